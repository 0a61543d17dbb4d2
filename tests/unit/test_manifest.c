/* test_manifest.c: imsmanifest.xml parsing, on the shared test packages and
 * on small inline manifests for each rule (versions, xml:base, parameters,
 * ADL and IMS SS values, refused DTDs, depth, malformed XML). */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "manifest.h"
#include "package.h"

/* check.h's CHECK() evaluates its condition twice; evaluate ours once. */
#define CHECK1(cond, ...) do {                                            \
        bool check1_ok = (cond);                                          \
        CHECK(check1_ok, __VA_ARGS__);                                    \
    } while (0)

#define CP12 "xmlns=\"http://www.imsproject.org/xsd/imscp_rootv1p1p2\" " \
             "xmlns:adlcp=\"http://www.adlnet.org/xsd/adlcp_rootv1p2\""
#define CP2004 "xmlns=\"http://www.imsglobal.org/xsd/imscp_v1p1\" " \
               "xmlns:adlcp=\"http://www.adlnet.org/xsd/adlcp_v1p3\" " \
               "xmlns:imsss=\"http://www.imsglobal.org/xsd/imsss\""

/* ---- helpers ------------------------------------------------------------- */

static json_t *sco_at(json_t *mf, size_t i)
{
    return json_array_get(json_object_get(mf, "scos"), i);
}

static const char *str(json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "(null)";
}

static bool is_null(json_t *obj, const char *key)
{
    return json_is_null(json_object_get(obj, key));
}

static bool num_is(json_t *obj, const char *key, double want)
{
    json_t *v = json_object_get(obj, key);
    return json_is_number(v) && json_number_value(v) > want - 1e-9 &&
           json_number_value(v) < want + 1e-9;
}

static size_t count_items(json_t *items)
{
    size_t n = 0, i;
    json_t *it;
    json_array_foreach(items, i, it)
        n += 1 + count_items(json_object_get(it, "children"));
    return n;
}

static size_t default_org_items(json_t *mf)
{
    const char *def = str(mf, "default_organization");
    size_t i;
    json_t *org;
    json_array_foreach(json_object_get(mf, "organizations"), i, org)
        if (!strcmp(str(org, "identifier"), def))
            return count_items(json_object_get(org, "items"));
    return 0;
}

/* Parses xml; returns the code and leaves the JSON (or NULL) in *mf. */
static int parse(const char *xml, json_t **mf, cairn_err *err)
{
    memset(err, 0, sizeof *err);
    *mf = NULL;
    return cairn_manifest_parse(xml, strlen(xml), mf, err);
}

static bool has(const cairn_err *err, const char *needle)
{
    return strstr(err->msg, needle) != NULL;
}

/* ---- the shared packages ------------------------------------------------- */

static json_t *inspect(const char *dir, const char *name, cairn_err *err)
{
    char path[1024];
    json_t *mf = NULL;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    memset(err, 0, sizeof *err);
    if (cairn_package_inspect(path, NULL, &mf, err) < 0)
        return NULL;
    return mf;
}

static void test_golf12(const char *dir)
{
    cairn_err err;
    json_t *mf = inspect(dir, "golf12-runtime-basic-singlesco.zip", &err);
    CHECK1(mf != NULL, "golf12 single SCO inspects (%s)", err.msg);
    CHECK1(mf && !strcmp(str(mf, "scorm_version"), "1.2") && is_null(mf, "edition"),
           "golf12 single SCO is SCORM 1.2");
    CHECK1(json_array_size(json_object_get(mf, "scos")) == 1, "golf12 single SCO has 1 SCO");
    CHECK1(!strcmp(str(sco_at(mf, 0), "launch_path"), "shared/launchpage.html") &&
           !strcmp(str(sco_at(mf, 0), "launch_query"), ""),
           "golf12 single SCO launches shared/launchpage.html");
    CHECK1(is_null(sco_at(mf, 0), "mastery_score"), "golf12 single SCO has no mastery score");
    CHECK1(!strcmp(str(mf, "title"), "Golf Explained - Run-time Basic Calls"),
           "title from the organization: %s", str(mf, "title"));
    json_decref(mf);

    mf = inspect(dir, "golf12-runtime-minimum-multisco.zip", &err);
    CHECK1(mf != NULL, "golf12 multi SCO inspects (%s)", err.msg);
    CHECK1(json_array_size(json_object_get(mf, "scos")) == 18, "golf12 multi SCO has 18 SCOs (%zu)",
           json_array_size(json_object_get(mf, "scos")));
    CHECK1(default_org_items(mf) == 22, "golf12 multi SCO has 22 items (%zu)", default_org_items(mf));
    json_t *quiz = sco_at(mf, 5);
    CHECK1(!strcmp(str(quiz, "id"), "playing_quiz_item") &&
           !strcmp(str(quiz, "launch_path"), "shared/assessmenttemplate.html") &&
           !strcmp(str(quiz, "launch_query"), "?questions=Playing"),
           "parameters become the quiz's launch query (%s%s)", str(quiz, "launch_path"),
           str(quiz, "launch_query"));
    CHECK1(json_integer_value(json_object_get(sco_at(mf, 0), "depth")) == 1,
           "SCOs under a folder item have depth 1");
    CHECK1(!strcmp(str(sco_at(mf, 0), "scorm_type"), "sco"), "scorm_type is sco");
    json_decref(mf);
}

static void test_golf2004(const char *dir)
{
    cairn_err err;
    json_t *mf = inspect(dir, "golf2004-3rd-runtime-basic.zip", &err);
    CHECK1(mf && !strcmp(str(mf, "scorm_version"), "2004") && !strcmp(str(mf, "edition"), "3rd"),
           "golf2004 basic is 2004 3rd edition (%s)", err.msg);
    CHECK1(json_array_size(json_object_get(mf, "scos")) == 1 &&
           json_is_true(json_object_get(sco_at(mf, 0), "has_sequencing")),
           "golf2004 basic has 1 SCO with item-level sequencing");
    json_decref(mf);

    mf = inspect(dir, "golf2004-3rd-seq-forced-sequential.zip", &err);
    CHECK1(mf && !strcmp(str(mf, "edition"), "3rd"), "forced sequential is 2004 3rd (%s)", err.msg);
    CHECK1(json_array_size(json_object_get(mf, "scos")) == 5, "forced sequential has 5 SCOs");
    CHECK1(!strcmp(str(sco_at(mf, 0), "launch_path"), "shared/launchpage.html") &&
           !strcmp(str(sco_at(mf, 0), "launch_query"), "?content=playing"),
           "a query in the resource href is split off (%s)", str(sco_at(mf, 0), "launch_query"));
    CHECK1(!strcmp(str(sco_at(mf, 4), "launch_query"), "?content=assessment"),
           "the fifth SCO is the assessment");
    CHECK1(is_null(sco_at(mf, 0), "scaled_passing_score"),
           "no satisfiedByMeasure, no scaled passing score");
    json_decref(mf);
}

static void test_invalid(const char *dir)
{
    cairn_err err;
    json_t *mf = inspect(dir, "invalid/badscorm.zip", &err);
    CHECK1(!mf && !strcmp(err.msg, "imsmanifest.xml must be at the top of the zip, not in 'badscorm/'"),
           "badscorm.zip: %s", err.msg);
    mf = inspect(dir, "invalid/invalid.zip", &err);
    CHECK1(!mf && has(&err, "no imsmanifest.xml"), "invalid.zip: %s", err.msg);
    mf = inspect(dir, "invalid/validaicc.zip", &err);
    CHECK1(!mf && !strcmp(err.msg, "This is an AICC course; Cairn plays SCORM 1.2 and 2004 packages only"),
           "validaicc.zip: %s", err.msg);
    mf = inspect(dir, "invalid/singlescobasic_missingorg.zip", &err);
    CHECK1(mf && json_is_true(json_object_get(mf, "organization_synthesized")),
           "missing organization: imported with a synthesized one (%s)", err.msg);
    CHECK1(json_array_size(json_object_get(mf, "scos")) == 1 &&
           !strcmp(str(sco_at(mf, 0), "launch_path"), "sso/launchpage.html"),
           "synthesized item launches sso/launchpage.html");
    json_decref(mf);
}

/* Every zip in the folder, known or not: inspect must answer, not crash. */
static void test_every_zip(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0, good = 0;
    while (d && (de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (len < 5 || strcmp(de->d_name + len - 4, ".zip"))
            continue;
        cairn_err err;
        json_t *mf = inspect(dir, de->d_name, &err);
        n++;
        good += mf != NULL;
        json_decref(mf);
    }
    if (d)
        closedir(d);
    CHECK1(n >= 4 && good == n, "every package in scorm-packages/ inspects (%d of %d)", good, n);
}

static void test_shared(void)
{
    const char *shared = getenv("CAIRN_SHARED");
    char dir[900];
    struct stat st;
    snprintf(dir, sizeof dir, "%s/scorm-packages", shared ? shared : "");
    if (!shared || !*shared || stat(dir, &st) != 0) {
        CHECK(1, "# SKIP CAIRN_SHARED/scorm-packages not found");
        return;
    }
    test_golf12(dir);
    test_golf2004(dir);
    test_invalid(dir);
    test_every_zip(dir);
}

/* ---- inline manifests ---------------------------------------------------- */

static void test_versions(void)
{
    cairn_err err;
    json_t *mf;
    static const char cam13[] = "<manifest identifier=\"m\" " CP2004 ">"
        "<metadata><schema>ADL SCORM</schema><schemaversion>CAM 1.3</schemaversion></metadata>"
        "<organizations default=\"o\"><organization identifier=\"o\"><title>Org</title>"
        "<item identifier=\"i\" identifierref=\"r\"><title>I</title></item></organization></organizations>"
        "<resources><resource identifier=\"r\" type=\"webcontent\" adlcp:scormType=\"sco\" href=\"a.html\"/>"
        "</resources></manifest>";
    CHECK1(parse(cam13, &mf, &err) == 0 && !strcmp(str(mf, "scorm_version"), "2004") &&
           !strcmp(str(mf, "edition"), "2nd") && !strcmp(str(mf, "schemaversion"), "CAM 1.3"),
           "CAM 1.3 is SCORM 2004 2nd edition (%s)", err.msg);
    json_decref(mf);

    static const char bare12[] = "<manifest identifier=\"m\" " CP12 "><organizations default=\"o\">"
        "<organization identifier=\"o\"><item identifier=\"i\" identifierref=\"r\"/></organization>"
        "</organizations><resources><resource identifier=\"r\" type=\"webcontent\" "
        "adlcp:scormtype=\"sco\" href=\"a.html\"/></resources></manifest>";
    CHECK1(parse(bare12, &mf, &err) == 0 && !strcmp(str(mf, "scorm_version"), "1.2") &&
           is_null(mf, "schemaversion"), "no schemaversion but the ADL 1.2 namespace: 1.2 (%s)", err.msg);
    CHECK1(mf && !strcmp(str(mf, "title"), "i"), "no titles: the first item's (its identifier)");
    json_decref(mf);

    static const char v11[] = "<manifest identifier=\"m\" " CP12 "><metadata><schemaversion>1.1"
        "</schemaversion></metadata><organizations/><resources/></manifest>";
    CHECK1(parse(v11, &mf, &err) == -ENOTSUP && has(&err, "schemaversion '1.1'"),
           "unknown schemaversion refused (%s)", err.msg);

    static const char plain[] = "<manifest identifier=\"m\" "
        "xmlns=\"http://www.imsglobal.org/xsd/imscp_v1p1\"><organizations/><resources/></manifest>";
    CHECK1(parse(plain, &mf, &err) == -ENOTSUP && has(&err, "does not say which SCORM version"),
           "plain IMS CP without ADL refused (%s)", err.msg);

    static const char notcp[] = "<html><body/></html>";
    CHECK1(parse(notcp, &mf, &err) == -EINVAL && has(&err, "<html>"),
           "a root other than <manifest> refused (%s)", err.msg);

    /* Prefixes are arbitrary: namespaces decide. */
    static const char prefixes[] = "<cp:manifest identifier=\"m\" "
        "xmlns:cp=\"http://www.imsglobal.org/xsd/imscp_v1p1\" "
        "xmlns:z=\"http://www.adlnet.org/xsd/adlcp_v1p3\" xmlns:o=\"urn:other\">"
        "<cp:metadata><cp:schemaversion>2004 4th Edition</cp:schemaversion></cp:metadata>"
        "<o:organizations><o:organization identifier=\"fake\"/></o:organizations>"
        "<cp:organizations default=\"o\"><cp:organization identifier=\"o\"><cp:title>Real</cp:title>"
        "<cp:item identifier=\"i\" identifierref=\"r\"/></cp:organization></cp:organizations>"
        "<cp:resources><cp:resource identifier=\"r\" type=\"webcontent\" z:scormType=\"sco\" "
        "href=\"a.html\"/></cp:resources></cp:manifest>";
    CHECK1(parse(prefixes, &mf, &err) == 0 && !strcmp(str(mf, "edition"), "4th") &&
           !strcmp(str(mf, "title"), "Real") &&
           json_array_size(json_object_get(mf, "organizations")) == 1 &&
           !strcmp(str(sco_at(mf, 0), "scorm_type"), "sco"),
           "elements matched by namespace URI, not prefix (%s)", err.msg);
    json_decref(mf);
}

static void test_launch(void)
{
    cairn_err err;
    json_t *mf;
    static const char xml[] = "<manifest identifier=\"m\" " CP12 " xml:base=\"course/\">"
        "<metadata><schemaversion>1.2</schemaversion></metadata>"
        "<organizations default=\"o\"><organization identifier=\"o\">"
        "<item identifier=\"a\" identifierref=\"r1\" parameters=\"?b=2\"/>"
        "<item identifier=\"b\" identifierref=\"r2\" parameters=\"#frag\"/>"
        "<item identifier=\"c\" identifierref=\"r3\" parameters=\"&amp;x=1\"/>"
        "<item identifier=\"d\" identifierref=\"r4\" parameters=\"#ignored\"/>"
        "<item identifier=\"e\" identifierref=\"r5\" parameters=\"?&amp;y=2#f\"/>"
        "<item identifier=\"f\" identifierref=\"asset\" isvisible=\"false\"/>"
        "</organization></organizations>"
        "<resources xml:base=\"res\">"
        "<resource identifier=\"r1\" type=\"webcontent\" adlcp:scormtype=\"sco\" xml:base=\"sco1/\""
        " href=\"index.html?a=1#top\"/>"
        "<resource identifier=\"r2\" type=\"webcontent\" adlcp:scormtype=\"sco\" href=\"two.html\"/>"
        "<resource identifier=\"r3\" type=\"webcontent\" adlcp:scormtype=\"sco\" xml:base=\"x/\""
        " href=\"../three.html\"/>"
        "<resource identifier=\"r4\" type=\"webcontent\" adlcp:scormtype=\"sco\" href=\"./4.html#keep\"/>"
        "<resource identifier=\"r5\" type=\"webcontent\" adlcp:scormtype=\"sco\" href=\"5.html?q\"/>"
        "<resource identifier=\"asset\" type=\"webcontent\" adlcp:scormtype=\"asset\" href=\"p.pdf\">"
        "<file href=\"p.pdf\"/><dependency identifierref=\"r1\"/></resource>"
        "</resources></manifest>";
    CHECK1(parse(xml, &mf, &err) == 0, "xml:base manifest parses (%s)", err.msg);
    static const char *const want[][2] = {
        { "course/res/sco1/index.html", "?a=1&b=2#top" },
        { "course/res/two.html", "#frag" },
        { "course/res/three.html", "?x=1" },
        { "course/res/4.html", "#keep" },
        { "course/res/5.html", "?q&y=2#f" },
        { "course/res/p.pdf", "" },
    };
    for (size_t i = 0; i < 6; i++) {
        json_t *s = sco_at(mf, i);
        CHECK1(!strcmp(str(s, "launch_path"), want[i][0]) && !strcmp(str(s, "launch_query"), want[i][1]),
               "launch %zu: %s %s", i, str(s, "launch_path"), str(s, "launch_query"));
    }
    json_t *asset = json_array_get(json_object_get(mf, "resources"), 5);
    CHECK1(!strcmp(str(asset, "base"), "course/res/") && !strcmp(str(asset, "scorm_type"), "asset") &&
           json_array_size(json_object_get(asset, "files")) == 1 &&
           !strcmp(json_string_value(json_array_get(json_object_get(asset, "dependencies"), 0)), "r1"),
           "resource base, files and dependencies kept");
    json_t *items = json_object_get(json_array_get(json_object_get(mf, "organizations"), 0), "items");
    CHECK1(json_is_false(json_object_get(json_array_get(items, 5), "visible")) &&
           json_is_true(json_object_get(json_array_get(items, 0), "visible")), "isvisible kept");
    CHECK1(!strcmp(str(sco_at(mf, 5), "scorm_type"), "asset"), "a launchable asset is listed with its type");
    json_decref(mf);

    static const char escape[] = "<manifest identifier=\"m\" " CP12 "><organizations default=\"o\">"
        "<organization identifier=\"o\"><item identifier=\"i\" identifierref=\"r\"/></organization>"
        "</organizations><resources><resource identifier=\"r\" type=\"webcontent\" "
        "adlcp:scormtype=\"sco\" xml:base=\"a/\" href=\"../../etc/passwd\"/></resources></manifest>";
    CHECK1(parse(escape, &mf, &err) == -EINVAL && has(&err, "outside the package"),
           "a launch path climbing out of the package refused (%s)", err.msg);

    static const char url[] = "<manifest identifier=\"m\" " CP12 "><organizations default=\"o\">"
        "<organization identifier=\"o\"><item identifier=\"i\" identifierref=\"r\"/></organization>"
        "</organizations><resources><resource identifier=\"r\" type=\"webcontent\" "
        "adlcp:scormtype=\"sco\" href=\"https://example.com/x.html\"/></resources></manifest>";
    CHECK1(parse(url, &mf, &err) == -EINVAL && has(&err, "not a file in the package"),
           "an external launch URL refused (%s)", err.msg);
}

static void test_values(void)
{
    cairn_err err;
    json_t *mf;
    static const char v12[] = "<manifest identifier=\"m\" " CP12 ">"
        "<metadata><schemaversion>1.2</schemaversion></metadata>"
        "<organizations default=\"o\"><organization identifier=\"o\">"
        "<item identifier=\"i\" identifierref=\"r\"><title>Quiz</title>"
        "<adlcp:masteryscore>80</adlcp:masteryscore>"
        "<adlcp:datafromlms>level=2</adlcp:datafromlms>"
        "<adlcp:maxtimeallowed>00:30:00</adlcp:maxtimeallowed>"
        "<adlcp:timelimitaction>exit,message</adlcp:timelimitaction></item>"
        "<item identifier=\"j\" identifierref=\"r\"><adlcp:masteryscore>72.5</adlcp:masteryscore></item>"
        "</organization></organizations><resources><resource identifier=\"r\" type=\"webcontent\""
        " adlcp:scormtype=\"sco\" href=\"q.html\"/></resources></manifest>";
    CHECK1(parse(v12, &mf, &err) == 0, "1.2 item values parse (%s)", err.msg);
    json_t *s = sco_at(mf, 0);
    CHECK1(num_is(s, "mastery_score", 80) && json_is_integer(json_object_get(s, "mastery_score")),
           "masteryscore 80");
    CHECK1(num_is(sco_at(mf, 1), "mastery_score", 72.5), "masteryscore 72.5");
    CHECK1(!strcmp(str(s, "data_from_lms"), "level=2") && !strcmp(str(s, "max_time_allowed"), "00:30:00") &&
           !strcmp(str(s, "time_limit_action"), "exit,message"), "datafromlms, maxtimeallowed, timelimitaction");
    CHECK1(is_null(s, "scaled_passing_score") && is_null(s, "completion_threshold"),
           "no 2004 values in a 1.2 item");
    json_decref(mf);

    static const char bad[] = "<manifest identifier=\"m\" " CP12 "><organizations default=\"o\">"
        "<organization identifier=\"o\"><item identifier=\"i\" identifierref=\"r\">"
        "<adlcp:masteryscore>lots</adlcp:masteryscore></item></organization></organizations>"
        "<resources><resource identifier=\"r\" type=\"webcontent\" adlcp:scormtype=\"sco\" href=\"q.html\"/>"
        "</resources></manifest>";
    CHECK1(parse(bad, &mf, &err) == -EINVAL && has(&err, "'lots'") && has(&err, "line 1"),
           "a masteryscore that is not a number refused (%s)", err.msg);

    static const char v4[] = "<manifest identifier=\"m\" " CP2004 ">"
        "<metadata><schemaversion>2004 4th Edition</schemaversion></metadata>"
        "<organizations default=\"o\"><organization identifier=\"o\">"
        "<item identifier=\"a\" identifierref=\"r\">"
        "<adlcp:completionThreshold completedByMeasure=\"true\" minProgressMeasure=\"0.75\"/>"
        "<adlcp:dataFromLMS>x</adlcp:dataFromLMS><adlcp:timeLimitAction>continue,no message</adlcp:timeLimitAction>"
        "<imsss:sequencing><imsss:limitConditions attemptAbsoluteDurationLimit=\"PT1H\"/>"
        "<imsss:objectives><imsss:primaryObjective satisfiedByMeasure=\"true\">"
        "<imsss:minNormalizedMeasure>0.6</imsss:minNormalizedMeasure></imsss:primaryObjective>"
        "</imsss:objectives></imsss:sequencing></item>"
        "<item identifier=\"b\" identifierref=\"r\">"
        "<adlcp:completionThreshold completedByMeasure=\"true\"/>"
        "<imsss:sequencing IDRef=\"shared\"/></item>"
        "<item identifier=\"c\" identifierref=\"r\">"
        "<adlcp:completionThreshold minProgressMeasure=\"0.5\"/></item>"
        "<item identifier=\"d\" identifierref=\"r\">"
        "<adlcp:completionThreshold>0.9</adlcp:completionThreshold></item>"
        "</organization></organizations>"
        "<resources><resource identifier=\"r\" type=\"webcontent\" adlcp:scormType=\"sco\" href=\"s.html\"/>"
        "</resources><imsss:sequencingCollection><imsss:sequencing ID=\"shared\"><imsss:objectives>"
        "<imsss:primaryObjective satisfiedByMeasure=\"true\"/></imsss:objectives></imsss:sequencing>"
        "</imsss:sequencingCollection></manifest>";
    CHECK1(parse(v4, &mf, &err) == 0, "2004 4th values parse (%s)", err.msg);
    s = sco_at(mf, 0);
    CHECK1(num_is(s, "completion_threshold", 0.75), "4th: minProgressMeasure with completedByMeasure");
    CHECK1(num_is(s, "scaled_passing_score", 0.6), "minNormalizedMeasure with satisfiedByMeasure");
    CHECK1(!strcmp(str(s, "max_time_allowed"), "PT1H"), "attemptAbsoluteDurationLimit as max time");
    CHECK1(!strcmp(str(s, "data_from_lms"), "x") && !strcmp(str(s, "time_limit_action"), "continue,no message"),
           "2004 element spellings (dataFromLMS, timeLimitAction)");
    CHECK1(json_is_true(json_object_get(s, "has_sequencing")), "has_sequencing kept");
    s = sco_at(mf, 1);
    CHECK1(num_is(s, "completion_threshold", 1.0), "completedByMeasure without minProgressMeasure: 1.0");
    CHECK1(num_is(s, "scaled_passing_score", 1.0), "satisfiedByMeasure from the IDRef collection, default 1.0");
    CHECK1(is_null(sco_at(mf, 2), "completion_threshold"), "minProgressMeasure without completedByMeasure: null");
    CHECK1(num_is(sco_at(mf, 3), "completion_threshold", 0.9), "3rd: completionThreshold element text");
    CHECK1(is_null(sco_at(mf, 2), "mastery_score"), "no masteryscore: null");
    json_decref(mf);
}

static void test_refusals(void)
{
    cairn_err err;
    json_t *mf;
    static const char xxe[] = "<?xml version=\"1.0\"?>\n"
        "<!DOCTYPE manifest [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n"
        "<manifest identifier=\"&xxe;\" " CP12 "><organizations/><resources/></manifest>";
    CHECK1(parse(xxe, &mf, &err) == -EPERM && has(&err, "DOCTYPE"),
           "an external entity (XXE) refused (%s)", err.msg);

    static const char laughs[] = "<?xml version=\"1.0\"?>\n<!DOCTYPE manifest [\n"
        "<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
        "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\"><!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">]>\n"
        "<manifest identifier=\"m\" " CP12 "><organizations><organization identifier=\"o\">"
        "<title>&d;</title></organization></organizations><resources/></manifest>";
    CHECK1(parse(laughs, &mf, &err) == -EPERM, "entity expansion (billion laughs) refused (%s)", err.msg);

    static const char doctype[] = "<!DOCTYPE manifest SYSTEM \"http://example.com/m.dtd\">"
        "<manifest identifier=\"m\" " CP12 "><organizations/><resources/></manifest>";
    CHECK1(parse(doctype, &mf, &err) == -EPERM, "a DOCTYPE with an external DTD refused");

    static const char undeclared[] = "<manifest identifier=\"&xxe;\" " CP12 "><organizations/>"
        "<resources/></manifest>";
    CHECK1(parse(undeclared, &mf, &err) == -EBADMSG && has(&err, "xxe"),
           "an undeclared entity is an error, never expanded (%s)", err.msg);

    static const char malformed[] = "<?xml version=\"1.0\"?>\n<manifest " CP12 ">\n"
        "  <organizations>\n    <organization identifier=\"o\">\n"
        "  </organizations>\n</manifest>\n";
    CHECK1(parse(malformed, &mf, &err) == -EBADMSG && has(&err, "not well-formed") && has(&err, "line 5"),
           "malformed XML reported with its line (%s)", err.msg);

    CHECK1(cairn_manifest_parse("", 0, &mf, &err) == -EBADMSG && has(&err, "empty"), "empty manifest refused");

    size_t huge_len = CAIRN_MANIFEST_MAX_SIZE + 1;
    char *huge = malloc(huge_len);
    memset(huge, ' ', huge_len);
    mf = NULL;
    CHECK1(cairn_manifest_parse(huge, huge_len, &mf, &err) == -EFBIG && !mf, "oversized manifest refused");
    free(huge);
}

/* n items nested inside each other. */
static char *nested(int n)
{
    size_t cap = (size_t)n * 64 + 1024, o = 0;
    char *x = malloc(cap);
    o += (size_t)snprintf(x + o, cap - o, "<manifest identifier=\"m\" " CP12 "><organizations "
                          "default=\"o\"><organization identifier=\"o\">");
    for (int i = 0; i < n; i++)
        o += (size_t)snprintf(x + o, cap - o, "<item identifier=\"i%d\" identifierref=\"r\">", i);
    for (int i = 0; i < n; i++)
        o += (size_t)snprintf(x + o, cap - o, "</item>");
    snprintf(x + o, cap - o, "</organization></organizations><resources><resource identifier=\"r\" "
             "type=\"webcontent\" adlcp:scormtype=\"sco\" href=\"a.html\"/></resources></manifest>");
    return x;
}

static void test_structure(void)
{
    cairn_err err;
    json_t *mf;
    char *x = nested(20);
    CHECK1(parse(x, &mf, &err) == 0 && json_array_size(json_object_get(mf, "scos")) == 20 &&
           json_integer_value(json_object_get(sco_at(mf, 19), "depth")) == 19,
           "20 nested items parse, in document order with depths (%s)", err.msg);
    json_decref(mf);
    free(x);
    x = nested(100);
    CHECK1(parse(x, &mf, &err) == -EFBIG && has(&err, "deep"), "100 nested items refused (%s)", err.msg);
    free(x);
    x = nested(1000);
    CHECK1(parse(x, &mf, &err) < 0, "1000 nested items refused (%s)", err.msg);
    free(x);

    static const char missing[] = "<manifest identifier=\"m\" " CP12 "><organizations default=\"o\">"
        "<organization identifier=\"o\"><item identifier=\"i\" identifierref=\"nope\"/></organization>"
        "</organizations><resources/></manifest>";
    CHECK1(parse(missing, &mf, &err) == -EINVAL && has(&err, "'nope'") && has(&err, "not listed"),
           "an item referencing a missing resource is named (%s)", err.msg);

    static const char submf[] = "<manifest identifier=\"m\" " CP12 "><organizations default=\"o\">"
        "<organization identifier=\"o\"><item identifier=\"i\" identifierref=\"sub\"/></organization>"
        "</organizations><resources/><manifest identifier=\"sub\"/></manifest>";
    CHECK1(parse(submf, &mf, &err) == -ENOTSUP && has(&err, "sub-manifest"),
           "a sub-manifest reference explained (%s)", err.msg);

    static const char empty[] = "<manifest identifier=\"m\" " CP12 "><organizations/><resources/></manifest>";
    CHECK1(parse(empty, &mf, &err) == -EINVAL && has(&err, "no organizations and no resources"),
           "no organizations and no resources refused (%s)", err.msg);

    static const char assets[] = "<manifest identifier=\"m\" " CP12 "><organizations/><resources>"
        "<resource identifier=\"r\" type=\"webcontent\" adlcp:scormtype=\"asset\" href=\"a.html\"/>"
        "</resources></manifest>";
    CHECK1(parse(assets, &mf, &err) == -EINVAL && has(&err, "no SCO resource"),
           "no organization and only assets refused (%s)", err.msg);

    static const char synth[] = "<manifest identifier=\"m\" " CP12 "><resources>"
        "<resource identifier=\"s1\" type=\"webcontent\" adlcp:scormtype=\"sco\" href=\"1.html\"/>"
        "<resource identifier=\"a\" type=\"webcontent\" adlcp:scormtype=\"asset\" href=\"x.css\"/>"
        "<resource identifier=\"s2\" type=\"webcontent\" adlcp:scormtype=\"sco\" href=\"2.html\"/>"
        "</resources></manifest>";
    CHECK1(parse(synth, &mf, &err) == 0 && json_is_true(json_object_get(mf, "organization_synthesized")) &&
           json_array_size(json_object_get(mf, "scos")) == 2 && !strcmp(str(sco_at(mf, 1), "id"), "s2"),
           "no organization: one item per SCO resource (%s)", err.msg);
    json_decref(mf);

    static const char dupe[] = "<manifest identifier=\"m\" " CP12 "><organizations default=\"o\">"
        "<organization identifier=\"o\"><item identifier=\"i\" identifierref=\"r\"/>"
        "<item identifier=\"i\" identifierref=\"r\"/></organization></organizations><resources>"
        "<resource identifier=\"r\" type=\"webcontent\" adlcp:scormtype=\"sco\" href=\"a.html\"/>"
        "</resources></manifest>";
    CHECK1(parse(dupe, &mf, &err) == -EINVAL && has(&err, "share the identifier"),
           "duplicate item identifiers refused (%s)", err.msg);

    static const char nodefault[] = "<manifest identifier=\"m\" " CP12 "><organizations default=\"gone\">"
        "<organization identifier=\"o1\"><title>First</title><item identifier=\"i\" identifierref=\"r\"/>"
        "</organization><organization identifier=\"o2\"><item identifier=\"j\" identifierref=\"r\"/>"
        "</organization></organizations><resources><resource identifier=\"r\" type=\"webcontent\" "
        "adlcp:scormtype=\"sco\" href=\"a.html\"/></resources></manifest>";
    CHECK1(parse(nodefault, &mf, &err) == 0 && !strcmp(str(mf, "default_organization"), "o1") &&
           json_array_size(json_object_get(mf, "warnings")) == 1 &&
           json_array_size(json_object_get(mf, "scos")) == 1 &&
           json_array_size(json_object_get(mf, "organizations")) == 2,
           "a missing default organization falls back to the first, with a warning (%s)", err.msg);
    json_decref(mf);

    static const char nolaunch[] = "<manifest identifier=\"m\" " CP12 "><organizations default=\"o\">"
        "<organization identifier=\"o\"><item identifier=\"i\"/></organization></organizations>"
        "<resources><resource identifier=\"r\" type=\"webcontent\" adlcp:scormtype=\"sco\"/>"
        "</resources></manifest>";
    CHECK1(parse(nolaunch, &mf, &err) == -EINVAL && has(&err, "no item that launches"),
           "an organization with nothing to launch refused (%s)", err.msg);
}

int main(void)
{
    test_shared();
    test_versions();
    test_launch();
    test_values();
    test_refusals();
    test_structure();
    return check_done();
}
