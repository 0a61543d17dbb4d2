/* test_sequencing.c: the "sequencing" activity tree of the manifest JSON
 * (docs/SCORM-MANIFEST-JSON.md "Sequencing"): the shared forced-sequential
 * package, and hand-written manifests for each rule type of IMS SS and the
 * ADL extensions, sequencing collections and refusals. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "manifest.h"
#include "package.h"

#define CHECK1(cond, ...) do {                                            \
        bool check1_ok = (cond);                                          \
        CHECK(check1_ok, __VA_ARGS__);                                    \
    } while (0)

#define NS "xmlns=\"http://www.imsglobal.org/xsd/imscp_v1p1\" "                 \
           "xmlns:adlcp=\"http://www.adlnet.org/xsd/adlcp_v1p3\" "              \
           "xmlns:adlseq=\"http://www.adlnet.org/xsd/adlseq_v1p3\" "            \
           "xmlns:adlnav=\"http://www.adlnet.org/xsd/adlnav_v1p3\" "            \
           "xmlns:imsss=\"http://www.imsglobal.org/xsd/imsss\""
#define HEAD "<manifest identifier=\"m\" " NS "><metadata><schema>ADL SCORM</schema>" \
             "<schemaversion>2004 4th Edition</schemaversion></metadata>"
#define RES "<resources><resource identifier=\"r\" type=\"webcontent\" " \
            "adlcp:scormType=\"sco\" href=\"a.html\"/></resources>"

static json_t *parse(const char *xml, cairn_err *err)
{
    json_t *mf = NULL;
    memset(err, 0, sizeof *err);
    if (cairn_manifest_parse(xml, strlen(xml), &mf, err) < 0)
        return NULL;
    return mf;
}

static int parse_code(const char *xml, cairn_err *err)
{
    json_t *mf = NULL;
    memset(err, 0, sizeof *err);
    int r = cairn_manifest_parse(xml, strlen(xml), &mf, err);
    json_decref(mf);
    return r;
}

static const char *str(json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "(null)";
}

static bool num_is(json_t *v, double want)
{
    return json_is_number(v) && json_number_value(v) > want - 1e-9 &&
           json_number_value(v) < want + 1e-9;
}

/* The activity with this id anywhere in the tree. */
static json_t *act(json_t *a, const char *id)
{
    if (!a)
        return NULL;
    if (!strcmp(str(a, "id"), id))
        return a;
    size_t i;
    json_t *c, *hit;
    json_array_foreach(json_object_get(a, "children"), i, c)
        if ((hit = act(c, id)))
            return hit;
    return NULL;
}

static json_t *tree_of(json_t *mf)
{
    return json_object_get(json_object_get(mf, "sequencing"), "activity_tree");
}

/* path like "sequencingRules.preConditionRules.0.action" */
static json_t *at(json_t *v, const char *path)
{
    char buf[256], *save = NULL;
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = strtok_r(buf, ".", &save); p && v; p = strtok_r(NULL, ".", &save))
        v = json_is_array(v) ? json_array_get(v, strtoul(p, NULL, 10)) : json_object_get(v, p);
    return v;
}

static bool at_is(json_t *v, const char *path, const char *want)
{
    const char *s = json_string_value(at(v, path));
    return s && !strcmp(s, want);
}

/* ---- the shared forced-sequential package -------------------------------- */

static void test_forced_sequential(void)
{
    const char *shared = getenv("CAIRN_SHARED");
    char path[1024];
    struct stat st;
    snprintf(path, sizeof path, "%s/scorm-packages/golf2004-3rd-seq-forced-sequential.zip",
             shared ? shared : "");
    if (!shared || !*shared || stat(path, &st) != 0) {
        CHECK(1, "# SKIP CAIRN_SHARED/scorm-packages not found");
        return;
    }
    cairn_err err = { 0 };
    json_t *mf = NULL;
    CHECK1(cairn_package_inspect(path, NULL, &mf, &err) == 0, "forced sequential inspects (%s)", err.msg);
    json_t *seq = json_object_get(mf, "sequencing"), *tree = tree_of(mf);
    CHECK1(json_is_false(json_object_get(seq, "objectives_global_to_system")),
           "adlseq:objectivesGlobalToSystem=\"false\" is read");
    CHECK1(!strcmp(str(tree, "id"), "golf_sample_default_org") &&
           json_is_true(at(tree, "sequencingControls.choice")) &&
           json_is_true(at(tree, "sequencingControls.flow")),
           "the organization is the root, with controlMode choice and flow");
    CHECK1(json_array_size(json_object_get(tree, "children")) == 5, "five activities under the root");
    json_t *playing = act(tree, "playing_item"), *etiquette = act(tree, "etuqiette_item");
    /* From the sequencingCollection entry common_seq_rules (IDRef). */
    CHECK1(json_is_true(at(playing, "deliveryControls.completionSetByContent")) &&
           json_is_true(at(playing, "deliveryControls.objectiveSetByContent")) &&
           num_is(at(playing, "sequencingControls.objectiveMeasureWeight"), 0),
           "delivery controls and rollup weight come from the collection by IDRef");
    CHECK1(at_is(playing, "primaryObjective.objectiveID", "playing_satisfied") &&
           at_is(playing, "primaryObjective.mapInfo.0.targetObjectiveID",
                 "com.scorm.golfsamples.sequencing.forcedsequential.playing_satisfied") &&
           json_is_true(at(playing, "primaryObjective.mapInfo.0.writeSatisfiedStatus")) &&
           json_is_false(at(playing, "primaryObjective.mapInfo.0.writeNormalizedMeasure")),
           "the primary objective writes its global objective");
    CHECK1(json_object_get(playing, "sequencingRules") == NULL, "the first SCO has no rules");
    json_t *pre = at(etiquette, "sequencingRules.preConditionRules.0");
    CHECK1(at_is(pre, "action", "disabled") && at_is(pre, "conditionCombination", "any") &&
           json_array_size(json_object_get(pre, "conditions")) == 2 &&
           at_is(pre, "conditions.0.condition", "satisfied") &&
           at_is(pre, "conditions.0.operator", "not") &&
           at_is(pre, "conditions.0.referencedObjective", "previous_sco_satisfied") &&
           at_is(pre, "conditions.1.condition", "objectiveStatusKnown"),
           "the second SCO is disabled until the first is satisfied");
    CHECK1(at_is(etiquette, "objectives.0.objectiveID", "previous_sco_satisfied") &&
           json_is_true(at(etiquette, "objectives.0.mapInfo.0.readSatisfiedStatus")) &&
           json_is_false(at(etiquette, "objectives.0.mapInfo.0.writeSatisfiedStatus")),
           "the prerequisite objective reads the previous SCO's global objective");
    json_decref(mf);
}

/* ---- hand-written manifests, one per rule family ------------------------- */

static const char rules_xml[] = HEAD
    "<organizations default=\"o\"><organization identifier=\"o\"><title>Rules</title>"
    /* pre-condition actions */
    "<item identifier=\"pre\" identifierref=\"r\"><title>Pre</title><imsss:sequencing>"
    " <imsss:sequencingRules>"
    "  <imsss:preConditionRule><imsss:ruleConditions><imsss:ruleCondition condition=\"satisfied\"/>"
    "   </imsss:ruleConditions><imsss:ruleAction action=\"skip\"/></imsss:preConditionRule>"
    "  <imsss:preConditionRule><imsss:ruleConditions conditionCombination=\"any\">"
    "   <imsss:ruleCondition condition=\"attempted\" operator=\"not\"/>"
    "   <imsss:ruleCondition condition=\"objectiveMeasureGreaterThan\" measureThreshold=\"0.5\""
    "    referencedObjective=\"obj1\"/></imsss:ruleConditions>"
    "   <imsss:ruleAction action=\"disabled\"/></imsss:preConditionRule>"
    "  <imsss:preConditionRule><imsss:ruleConditions><imsss:ruleCondition condition=\"always\"/>"
    "   </imsss:ruleConditions><imsss:ruleAction action=\"hiddenFromChoice\"/></imsss:preConditionRule>"
    "  <imsss:preConditionRule><imsss:ruleConditions><imsss:ruleCondition condition=\"completed\"/>"
    "   </imsss:ruleConditions><imsss:ruleAction action=\"stopForwardTraversal\"/></imsss:preConditionRule>"
    "  <imsss:exitConditionRule><imsss:ruleConditions><imsss:ruleCondition condition=\"timeLimitExceeded\"/>"
    "   </imsss:ruleConditions><imsss:ruleAction action=\"exit\"/></imsss:exitConditionRule>"
    " </imsss:sequencingRules>"
    " <imsss:limitConditions attemptLimit=\"3\" attemptAbsoluteDurationLimit=\"PT1H\"/>"
    " <imsss:objectives><imsss:primaryObjective objectiveID=\"p\" satisfiedByMeasure=\"true\">"
    "  <imsss:minNormalizedMeasure>0.8</imsss:minNormalizedMeasure>"
    "  <imsss:mapInfo targetObjectiveID=\"g.p\" writeSatisfiedStatus=\"true\" writeNormalizedMeasure=\"true\"/>"
    " </imsss:primaryObjective>"
    " <imsss:objective objectiveID=\"obj1\"><imsss:mapInfo targetObjectiveID=\"g.1\""
    "  readNormalizedMeasure=\"false\"/></imsss:objective></imsss:objectives>"
    " <imsss:deliveryControls tracked=\"false\"/>"
    " <adlseq:objectives><adlseq:objective objectiveID=\"obj1\"><adlseq:mapInfo targetObjectiveID=\"g.1\""
    "  writeRawScore=\"true\" readCompletionStatus=\"false\"/>"
    "  <adlseq:mapInfo targetObjectiveID=\"g.extra\" writeCompletionStatus=\"true\"/></adlseq:objective>"
    " </adlseq:objectives>"
    "</imsss:sequencing>"
    "<adlnav:presentation><adlnav:navigationInterface><adlnav:hideLMSUI>continue</adlnav:hideLMSUI>"
    " <adlnav:hideLMSUI>suspendAll</adlnav:hideLMSUI></adlnav:navigationInterface></adlnav:presentation>"
    "<adlcp:completionThreshold completedByMeasure=\"true\" minProgressMeasure=\"0.6\" progressWeight=\"0.5\"/>"
    "<adlcp:data><adlcp:map targetID=\"shared.notes\" writeSharedData=\"true\"/></adlcp:data>"
    "</item>"
    /* post-condition actions */
    "<item identifier=\"post\" identifierref=\"r\"><title>Post</title><imsss:sequencing>"
    " <imsss:sequencingRules>"
    "  <imsss:postConditionRule><imsss:ruleConditions><imsss:ruleCondition condition=\"satisfied\" operator=\"not\"/>"
    "   </imsss:ruleConditions><imsss:ruleAction action=\"retry\"/></imsss:postConditionRule>"
    "  <imsss:postConditionRule><imsss:ruleConditions><imsss:ruleCondition condition=\"satisfied\"/>"
    "   </imsss:ruleConditions><imsss:ruleAction action=\"continue\"/></imsss:postConditionRule>"
    "  <imsss:postConditionRule><imsss:ruleConditions><imsss:ruleCondition condition=\"attemptLimitExceeded\"/>"
    "   </imsss:ruleConditions><imsss:ruleAction action=\"previous\"/></imsss:postConditionRule>"
    "  <imsss:postConditionRule><imsss:ruleConditions><imsss:ruleCondition condition=\"completed\"/>"
    "   </imsss:ruleConditions><imsss:ruleAction action=\"exitAll\"/></imsss:postConditionRule>"
    " </imsss:sequencingRules></imsss:sequencing></item>"
    /* a cluster with rollup rules, randomisation and ADL considerations */
    "<item identifier=\"cluster\"><title>Cluster</title>"
    " <item identifier=\"c1\" identifierref=\"r\" isvisible=\"false\"><title>C1</title></item>"
    " <item identifier=\"c2\" identifierref=\"r\"><title>C2</title></item>"
    " <imsss:sequencing><imsss:controlMode choice=\"false\" flow=\"true\" forwardOnly=\"true\""
    "   choiceExit=\"false\"/>"
    "  <imsss:rollupRules rollupObjectiveSatisfied=\"true\" rollupProgressCompletion=\"false\""
    "   objectiveMeasureWeight=\"0.5\">"
    "   <imsss:rollupRule childActivitySet=\"all\"><imsss:rollupConditions><imsss:rollupCondition"
    "    condition=\"satisfied\"/></imsss:rollupConditions><imsss:rollupAction action=\"satisfied\"/></imsss:rollupRule>"
    "   <imsss:rollupRule childActivitySet=\"any\"><imsss:rollupConditions><imsss:rollupCondition"
    "    operator=\"not\" condition=\"satisfied\"/></imsss:rollupConditions><imsss:rollupAction action=\"notSatisfied\"/></imsss:rollupRule>"
    "   <imsss:rollupRule childActivitySet=\"none\"><imsss:rollupConditions conditionCombination=\"all\">"
    "    <imsss:rollupCondition condition=\"attempted\"/><imsss:rollupCondition condition=\"completed\" operator=\"not\"/>"
    "    </imsss:rollupConditions><imsss:rollupAction action=\"completed\"/></imsss:rollupRule>"
    "   <imsss:rollupRule childActivitySet=\"atLeastCount\" minimumCount=\"2\"><imsss:rollupConditions>"
    "    <imsss:rollupCondition condition=\"completed\"/></imsss:rollupConditions><imsss:rollupAction action=\"completed\"/></imsss:rollupRule>"
    "   <imsss:rollupRule childActivitySet=\"atLeastPercent\" minimumPercent=\"0.75\"><imsss:rollupConditions>"
    "    <imsss:rollupCondition condition=\"activityProgressKnown\" operator=\"not\"/></imsss:rollupConditions>"
    "    <imsss:rollupAction action=\"incomplete\"/></imsss:rollupRule>"
    "  </imsss:rollupRules>"
    "  <imsss:randomizationControls selectCount=\"1\" selectionTiming=\"onEachNewAttempt\""
    "   reorderChildren=\"true\" randomizationTiming=\"once\"/>"
    "  <adlseq:constrainedChoiceConsiderations preventActivation=\"true\" constrainChoice=\"true\"/>"
    "  <adlseq:rollupConsiderations requiredForSatisfied=\"ifAttempted\" requiredForCompleted=\"ifNotSkipped\""
    "   measureSatisfactionIfActive=\"false\"/>"
    " </imsss:sequencing></item>"
    "<imsss:sequencing><imsss:controlMode choice=\"true\" flow=\"true\"/></imsss:sequencing>"
    "</organization></organizations>" RES "</manifest>";

static void test_rules(void)
{
    cairn_err err;
    json_t *mf = parse(rules_xml, &err);
    CHECK1(mf != NULL, "the rules manifest parses (%s)", err.msg);
    json_t *tree = tree_of(mf), *pre = act(tree, "pre"), *post = act(tree, "post");
    json_t *cl = act(tree, "cluster");
    static const char *const pre_actions[] = { "skip", "disabled", "hiddenFromChoice",
                                               "stopForwardTraversal" };
    for (int i = 0; i < 4; i++) {
        char path[80];
        snprintf(path, sizeof path, "sequencingRules.preConditionRules.%d.action", i);
        CHECK1(at_is(pre, path, pre_actions[i]), "preConditionRule action %s", pre_actions[i]);
    }
    CHECK1(at_is(pre, "sequencingRules.preConditionRules.0.conditionCombination", "all") &&
           at_is(pre, "sequencingRules.preConditionRules.0.conditions.0.operator", "noOp"),
           "defaults: conditionCombination all, operator noOp");
    CHECK1(num_is(at(pre, "sequencingRules.preConditionRules.1.conditions.1.parameters.threshold"), 0.5) &&
           at_is(pre, "sequencingRules.preConditionRules.1.conditions.1.referencedObjective", "obj1"),
           "measureThreshold and referencedObjective are kept");
    CHECK1(at_is(pre, "sequencingRules.exitConditionRules.0.action", "exit") &&
           at_is(pre, "sequencingRules.exitConditionRules.0.conditions.0.condition", "timeLimitExceeded"),
           "exitConditionRule");
    CHECK1(json_array_size(at(pre, "sequencingRules.postConditionRules")) == 0,
           "no post-condition rules: an empty list");
    static const char *const post_actions[] = { "retry", "continue", "previous", "exitAll" };
    for (int i = 0; i < 4; i++) {
        char path[80];
        snprintf(path, sizeof path, "sequencingRules.postConditionRules.%d.action", i);
        CHECK1(at_is(post, path, post_actions[i]), "postConditionRule action %s", post_actions[i]);
    }
    CHECK1(num_is(json_object_get(pre, "attemptLimit"), 3) &&
           at_is(pre, "attemptAbsoluteDurationLimit", "PT1H"), "limitConditions");
    CHECK1(json_is_true(at(pre, "primaryObjective.satisfiedByMeasure")) &&
           num_is(at(pre, "primaryObjective.minNormalizedMeasure"), 0.8) &&
           json_is_true(at(pre, "primaryObjective.mapInfo.0.writeNormalizedMeasure")) &&
           json_is_true(at(pre, "primaryObjective.mapInfo.0.readSatisfiedStatus")),
           "primary objective: satisfied by measure, write map");
    json_t *o1 = at(pre, "objectives.0");
    CHECK1(at_is(o1, "objectiveID", "obj1") && json_array_size(json_object_get(o1, "mapInfo")) == 2 &&
           json_is_false(at(o1, "mapInfo.0.readNormalizedMeasure")) &&
           json_is_true(at(o1, "mapInfo.0.writeRawScore")) &&
           json_is_false(at(o1, "mapInfo.0.readCompletionStatus")) &&
           json_is_true(at(o1, "mapInfo.0.readRawScore")),
           "adlseq:mapInfo merges into the imsss mapInfo with the same target");
    CHECK1(at_is(o1, "mapInfo.1.targetObjectiveID", "g.extra") &&
           json_is_false(at(o1, "mapInfo.1.readSatisfiedStatus")) &&
           json_is_true(at(o1, "mapInfo.1.writeCompletionStatus")),
           "an adlseq-only target gets its own mapInfo without imsss reads");
    CHECK1(json_is_false(at(pre, "deliveryControls.tracked")) &&
           json_is_false(at(pre, "deliveryControls.completionSetByContent")), "deliveryControls");
    CHECK1(json_array_size(json_object_get(pre, "hideLmsUi")) == 2 &&
           at_is(pre, "hideLmsUi.1", "suspendAll"), "adlnav hideLMSUI");
    CHECK1(json_is_true(at(pre, "completionThreshold.completedByMeasure")) &&
           num_is(at(pre, "completionThreshold.minProgressMeasure"), 0.6) &&
           num_is(at(pre, "completionThreshold.progressWeight"), 0.5), "4th edition completionThreshold");
    CHECK1(at_is(pre, "sharedDataMaps.0.targetID", "shared.notes") &&
           json_is_true(at(pre, "sharedDataMaps.0.readSharedData")) &&
           json_is_true(at(pre, "sharedDataMaps.0.writeSharedData")), "adlcp:data maps");

    json_t *rules = at(cl, "rollupRules.rules");
    static const char *const sets[] = { "all", "any", "none", "atLeastCount", "atLeastPercent" };
    for (int i = 0; i < 5; i++)
        CHECK1(at_is(json_array_get(rules, (size_t)i), "consideration", sets[i]),
               "rollup childActivitySet %s", sets[i]);
    CHECK1(at_is(rules, "1.action", "notSatisfied") && at_is(rules, "1.conditions.0.operator", "not") &&
           at_is(rules, "0.conditionCombination", "any") && at_is(rules, "2.conditionCombination", "all"),
           "rollup actions, operators and combinations (default any)");
    CHECK1(num_is(at(rules, "3.minimumCount"), 2) && num_is(at(rules, "4.minimumPercent"), 0.75),
           "minimumCount and minimumPercent (as the fraction the manifest writes)");
    json_t *ctl = json_object_get(cl, "sequencingControls");
    CHECK1(json_is_false(json_object_get(ctl, "choice")) && json_is_true(json_object_get(ctl, "forwardOnly")) &&
           json_is_false(json_object_get(ctl, "choiceExit")) &&
           json_is_true(json_object_get(ctl, "rollupObjectiveSatisfied")) &&
           json_is_false(json_object_get(ctl, "rollupProgressCompletion")) &&
           num_is(json_object_get(ctl, "objectiveMeasureWeight"), 0.5),
           "controlMode and rollupRules attributes");
    CHECK1(num_is(json_object_get(ctl, "selectCount"), 1) &&
           at_is(ctl, "selectionTiming", "onEachNewAttempt") &&
           at_is(ctl, "randomizationTiming", "once") && json_is_true(json_object_get(ctl, "reorderChildren")),
           "randomizationControls");
    CHECK1(json_is_true(json_object_get(ctl, "preventActivation")) &&
           json_is_true(json_object_get(ctl, "constrainChoice")), "constrainedChoiceConsiderations");
    CHECK1(at_is(cl, "rollupConsiderations.requiredForSatisfied", "ifAttempted") &&
           at_is(cl, "rollupConsiderations.requiredForCompleted", "ifNotSkipped") &&
           at_is(cl, "rollupConsiderations.requiredForIncomplete", "always") &&
           json_is_false(at(cl, "rollupConsiderations.measureSatisfactionIfActive")),
           "adlseq rollupConsiderations with defaults");
    CHECK1(json_is_false(json_object_get(act(tree, "c1"), "isVisible")) &&
           json_array_size(json_object_get(cl, "children")) == 2, "isvisible=false and nesting");
    CHECK1(json_is_true(json_object_get(json_object_get(mf, "sequencing"), "objectives_global_to_system")),
           "objectivesGlobalToSystem defaults to true");
    json_decref(mf);
}

static void test_collection(void)
{
    static const char xml[] = HEAD
        "<organizations default=\"o\"><organization identifier=\"o\">"
        "<item identifier=\"a\" identifierref=\"r\"><imsss:sequencing IDRef=\"shared\">"
        " <imsss:limitConditions attemptLimit=\"1\"/></imsss:sequencing></item>"
        "<item identifier=\"b\" identifierref=\"r\"><imsss:sequencing IDRef=\"shared\"/></item>"
        "</organization></organizations>" RES
        "<imsss:sequencingCollection><imsss:sequencing ID=\"shared\">"
        " <imsss:limitConditions attemptLimit=\"5\"/>"
        " <imsss:controlMode flow=\"true\"/></imsss:sequencing></imsss:sequencingCollection>"
        "</manifest>";
    cairn_err err;
    json_t *mf = parse(xml, &err), *tree = tree_of(mf);
    CHECK1(mf && num_is(json_object_get(act(tree, "a"), "attemptLimit"), 1) &&
           json_is_true(at(act(tree, "a"), "sequencingControls.flow")),
           "the item's own element wins; the rest comes from the collection (%s)", err.msg);
    CHECK1(num_is(json_object_get(act(tree, "b"), "attemptLimit"), 5),
           "an item with only an IDRef gets the collection's elements");
    json_decref(mf);
}

static void test_no_sequencing(void)
{
    static const char plain[] = HEAD
        "<organizations default=\"o\"><organization identifier=\"o\">"
        "<item identifier=\"a\" identifierref=\"r\"/><item identifier=\"b\" identifierref=\"r\"/>"
        "</organization></organizations>" RES "</manifest>";
    cairn_err err;
    json_t *mf = parse(plain, &err);
    CHECK1(mf && json_is_null(json_object_get(mf, "sequencing")),
           "a 2004 package without any sequencing element: sequencing null (%s)", err.msg);
    json_decref(mf);
    static const char v12[] = "<manifest identifier=\"m\" "
        "xmlns=\"http://www.imsproject.org/xsd/imscp_rootv1p1p2\" "
        "xmlns:adlcp=\"http://www.adlnet.org/xsd/adlcp_rootv1p2\"><organizations default=\"o\">"
        "<organization identifier=\"o\"><item identifier=\"a\" identifierref=\"r\"/></organization>"
        "</organizations><resources><resource identifier=\"r\" type=\"webcontent\" "
        "adlcp:scormtype=\"sco\" href=\"a.html\"/></resources></manifest>";
    mf = parse(v12, &err);
    CHECK1(mf && json_is_null(json_object_get(mf, "sequencing")), "SCORM 1.2: sequencing null");
    json_decref(mf);
}

static void test_refusals(void)
{
    cairn_err err;
#define ONE(seq) HEAD "<organizations default=\"o\"><organization identifier=\"o\">" \
    "<item identifier=\"a\" identifierref=\"r\"><imsss:sequencing>" seq "</imsss:sequencing></item>" \
    "</organization></organizations>" RES "</manifest>"
    CHECK1(parse_code(ONE("<imsss:sequencingRules><imsss:preConditionRule><imsss:ruleConditions>"
        "<imsss:ruleCondition condition=\"satisfied\"/></imsss:ruleConditions>"
        "<imsss:ruleAction action=\"retry\"/></imsss:preConditionRule></imsss:sequencingRules>"), &err) == -EINVAL &&
           strstr(err.msg, "'retry'") && strstr(err.msg, "skip"),
           "a post-condition action in a pre-condition rule is refused (%s)", err.msg);
    CHECK1(parse_code(ONE("<imsss:controlMode flow=\"yes\"/>"), &err) == -EINVAL &&
           strstr(err.msg, "true or false") && strstr(err.msg, "'a'"),
           "a boolean that is not one is refused, naming the activity (%s)", err.msg);
    CHECK1(parse_code(ONE("<imsss:limitConditions attemptLimit=\"1.5\"/>"), &err) == -EINVAL &&
           strstr(err.msg, "attemptLimit"), "a fractional attemptLimit is refused (%s)", err.msg);
    CHECK1(parse_code(ONE("<imsss:rollupRules><imsss:rollupRule minimumPercent=\"75\">"
        "<imsss:rollupAction action=\"completed\"/></imsss:rollupRule></imsss:rollupRules>"), &err) == -EINVAL &&
           strstr(err.msg, "minimumPercent"), "minimumPercent above 1 is refused (%s)", err.msg);
    CHECK1(parse_code(ONE("<imsss:objectives><imsss:objective><imsss:mapInfo targetObjectiveID=\"g\"/>"
        "</imsss:objective></imsss:objectives>"), &err) == -EINVAL &&
           strstr(err.msg, "objectiveID"), "an objective without objectiveID is refused (%s)", err.msg);
    CHECK1(parse_code(ONE("<imsss:sequencingRules><imsss:postConditionRule><imsss:ruleConditions>"
        "<imsss:ruleCondition condition=\"satisfied\"/></imsss:ruleConditions></imsss:postConditionRule>"
        "</imsss:sequencingRules>"), &err) == -EINVAL && strstr(err.msg, "ruleAction"),
           "a rule without an action is refused (%s)", err.msg);
#undef ONE
}

int main(void)
{
    test_forced_sequential();
    test_rules();
    test_collection();
    test_no_sequencing();
    test_refusals();
    return check_done();
}
