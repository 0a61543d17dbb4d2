/* test_cmi.c: the SCORM data models on the server (scorm/cmi.c).
 *
 * The bodies below are what scorm-again 3.4.3 sends with dataCommitFormat
 * "json" (captured from its renderCommitCMI under node), written with
 * single quotes for readability: body() turns them into JSON. Most cases
 * take the full commit of their edition, change one element and check that
 * the body is accepted, or refused with the SCORM code and element a
 * SetValue would have given. */
#include "cmi.h"
#include "check.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char full12[] =
    "{'cmi':{'suspend_data':'page=15;q=1,2,3','launch_data':'',"
    "'comments':'nice course','comments_from_lms':'','core':{'student_id':'',"
    "'student_name':'','lesson_location':'15','credit':'',"
    "'lesson_status':'passed','entry':'','lesson_mode':'normal',"
    "'exit':'suspend','session_time':'00:00:03','score':{'raw':'90','min':'0',"
    "'max':'100'},'total_time':'00:00:03'},"
    "'objectives':{'0':{'id':'obj_etiquette','status':'passed',"
    "'score':{'raw':'80','min':'','max':'100'}}},"
    "'student_data':{'mastery_score':'','max_time_allowed':'',"
    "'time_limit_action':''},'student_preference':{'audio':'50',"
    "'language':'en','speed':'','text':''},'interactions':{'0':{'id':'q1',"
    "'time':'10:15:02','type':'choice','weighting':'1','student_response':'b',"
    "'result':'wrong','latency':'00:00:12.5',"
    "'objectives':{'0':{'id':'obj_etiquette'}},"
    "'correct_responses':{'0':{'pattern':'a'}}},'1':{'id':'q2','time':'',"
    "'type':'true-false','weighting':'','student_response':'t',"
    "'result':'correct','latency':'','objectives':{},"
    "'correct_responses':{}}}}}";

static const char full04[] =
    "{'cmi':{'comments_from_learner':{'0':{'comment':'{lang=en}Great',"
    "'location':'playing_5','timestamp':'2024-03-01T10:16:00'}},"
    "'comments_from_lms':{},'completion_status':'completed',"
    "'completion_threshold':'','credit':'credit','entry':'','exit':'suspend',"
    "'interactions':{'0':{'id':'urn:golf:q1','type':'choice',"
    "'objectives':{'0':{'id':'urn:golf:etiquette'}},"
    "'timestamp':'2024-03-01T10:15:02.5Z','weighting':'1',"
    "'learner_response':'a[,]c','result':'correct','latency':'PT12.5S',"
    "'description':'Which clubs?',"
    "'correct_responses':{'0':{'pattern':'a[,]c'}}},"
    "'1':{'id':'urn:golf:q2','type':'numeric','objectives':{},"
    "'timestamp':'','weighting':'','learner_response':'4','result':'0.75',"
    "'latency':'','description':'',"
    "'correct_responses':{'0':{'pattern':'3[:]5'}}}},'launch_data':'',"
    "'learner_id':'','learner_name':'',"
    "'learner_preference':{'audio_level':'0.5','language':'en-US',"
    "'delivery_speed':'1','audio_captioning':'1'},'location':'playing_5',"
    "'max_time_allowed':'','mode':'normal',"
    "'objectives':{'0':{'id':'urn:golf:etiquette','success_status':'passed',"
    "'completion_status':'completed','progress_measure':'',"
    "'description':'{lang=en}Etiquette','score':{'scaled':'0.8','raw':'',"
    "'min':'','max':''}}},'progress_measure':'1','scaled_passing_score':'',"
    "'score':{'scaled':'1','raw':'100','min':'0','max':'100'},"
    "'session_time':'PT3.88S','success_status':'passed','suspend_data':'p=5',"
    "'time_limit_action':'continue,no message','total_time':'PT3.88S'}}";

static const char initial12[] =
    "{'cmi':{'suspend_data':'','launch_data':'','comments':'',"
    "'comments_from_lms':'','core':{'student_id':'','student_name':'',"
    "'lesson_location':'','credit':'','lesson_status':'not attempted',"
    "'entry':'','lesson_mode':'normal','exit':'','session_time':'00:00:00',"
    "'score':{'raw':'','min':'','max':'100'},'total_time':'00:00:00'},"
    "'objectives':{},'student_data':{'mastery_score':'','max_time_allowed':'',"
    "'time_limit_action':''},'student_preference':{'audio':'','language':'',"
    "'speed':'','text':''},'interactions':{}}}";

static const char initial04[] =
    "{'cmi':{'comments_from_learner':{},'comments_from_lms':{},"
    "'completion_status':'unknown','completion_threshold':'','credit':'credit',"
    "'entry':'','exit':'','interactions':{},'launch_data':'','learner_id':'',"
    "'learner_name':'','learner_preference':{'audio_level':'1','language':'',"
    "'delivery_speed':'1','audio_captioning':'0'},'location':'',"
    "'max_time_allowed':'','mode':'normal','objectives':{},"
    "'progress_measure':'','scaled_passing_score':'','score':{'scaled':'',"
    "'raw':'','min':'','max':''},'session_time':'PT0H0M0S',"
    "'success_status':'unknown','suspend_data':'',"
    "'time_limit_action':'continue,no message','total_time':'PT0S'}}";

/* Parses a single-quoted JSON text; the test data never needs a quote. */
static json_t *body(const char *text)
{
    char *copy = strdup(text);
    for (char *p = copy; *p; p++)
        if (*p == '\'')
            *p = '"';
    json_error_t e;
    json_t *j = json_loads(copy, JSON_DECODE_ANY, &e);
    if (!j)
        printf("# cannot parse test JSON: %s: %s\n", e.text, copy);
    free(copy);
    return j;
}

/* "@N" is N x's, "@uN" N two-byte characters; anything else is JSON, or
 * with raw set, the string itself. */
static json_t *make_value(const char *spec, bool raw)
{
    if (spec[0] != '@')
        return raw ? json_string(spec) : body(spec);
    bool wide = spec[1] == 'u';
    size_t n = strtoul(spec + (wide ? 2 : 1), NULL, 10);
    char *s = malloc(n * 2 + 1);
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        if (wide) {
            s[len++] = (char)0xC3;  /* é */
            s[len++] = (char)0xA9;
        } else {
            s[len++] = 'x';
        }
    }
    s[len] = '\0';
    json_t *j = json_string(s);
    free(s);
    return j;
}

static json_t *value(const char *spec)
{
    return make_value(spec, false);
}

static json_t *raw(const char *spec)
{
    return make_value(spec, true);
}

/* Sets a dotted path, creating objects on the way (object-form indexes). */
static void set_path(json_t *root, const char *path, json_t *v)
{
    char *copy = strdup(path);
    json_t *node = root;
    char *save = NULL;
    char *key = strtok_r(copy, ".", &save);
    for (char *next; (next = strtok_r(NULL, ".", &save)); key = next) {
        json_t *child = json_object_get(node, key);
        if (!json_is_object(child)) {
            child = json_object();
            json_object_set_new(node, key, child);
        }
        node = child;
    }
    json_object_set_new(node, key, v);
    free(copy);
}

struct vcase {
    int version;            /* 12 or 2004 */
    const char *path;       /* element changed in the full commit */
    const char *value;      /* JSON (single quotes) or "@N" */
    int code;               /* 0: accepted */
    const char *element;    /* where the fault is reported; NULL: path */
};

static const struct vcase cases[] = {
    /* --- 1.2: accepted --- */
    {12, "cmi.core.lesson_status", "'passed'", 0, NULL},
    {12, "cmi.core.lesson_status", "'completed'", 0, NULL},
    {12, "cmi.core.lesson_status", "'failed'", 0, NULL},
    {12, "cmi.core.lesson_status", "'incomplete'", 0, NULL},
    {12, "cmi.core.lesson_status", "'browsed'", 0, NULL},
    {12, "cmi.core.lesson_status", "'not attempted'", 0, NULL},
    {12, "cmi.core.lesson_status", "''", 0, NULL},
    {12, "cmi.core.lesson_status", "null", 0, NULL},
    {12, "cmi.core.exit", "'time-out'", 0, NULL},
    {12, "cmi.core.exit", "'logout'", 0, NULL},
    {12, "cmi.core.exit", "''", 0, NULL},
    {12, "cmi.core.score.raw", "'0'", 0, NULL},
    {12, "cmi.core.score.raw", "'100'", 0, NULL},
    {12, "cmi.core.score.raw", "'55.5'", 0, NULL},
    {12, "cmi.core.score.raw", "'.5'", 0, NULL},
    {12, "cmi.core.score.raw", "''", 0, NULL},
    {12, "cmi.core.score.raw", "90", 0, NULL},
    {12, "cmi.core.score.raw", "90.5", 0, NULL},
    {12, "cmi.core.score.max", "true", 0, NULL},
    {12, "cmi.core.session_time", "'0000:00:00.5'", 0, NULL},
    {12, "cmi.core.session_time", "'9999:59:59.99'", 0, NULL},
    {12, "cmi.core.lesson_location", "@255", 0, NULL},
    {12, "cmi.core.lesson_location", "@u255", 0, NULL},
    {12, "cmi.suspend_data", "@4096", 0, NULL},
    {12, "cmi.suspend_data", "@64000", 0, NULL},   /* lenient, as scorm-again */
    {12, "cmi.comments", "@4096", 0, NULL},
    {12, "cmi.student_preference.audio", "'-1'", 0, NULL},
    {12, "cmi.student_preference.audio", "'100'", 0, NULL},
    {12, "cmi.student_preference.speed", "'-100'", 0, NULL},
    {12, "cmi.student_preference.text", "'1'", 0, NULL},
    {12, "cmi.student_preference.text", "-1", 0, NULL},
    {12, "cmi.student_preference.language", "@255", 0, NULL},
    {12, "cmi.objectives.0.id", "'obj.1 with spaces'", 0, NULL},
    {12, "cmi.objectives.0.id", "@255", 0, NULL},
    {12, "cmi.objectives.0.status", "'not attempted'", 0, NULL},
    {12, "cmi.interactions.0.type", "'true-false'", 0, NULL},
    {12, "cmi.interactions.0.type", "'fill-in'", 0, NULL},
    {12, "cmi.interactions.0.type", "'matching'", 0, NULL},
    {12, "cmi.interactions.0.type", "'performance'", 0, NULL},
    {12, "cmi.interactions.0.type", "'sequencing'", 0, NULL},
    {12, "cmi.interactions.0.type", "'likert'", 0, NULL},
    {12, "cmi.interactions.0.type", "'numeric'", 0, NULL},
    {12, "cmi.interactions.0.result", "'unanticipated'", 0, NULL},
    {12, "cmi.interactions.0.result", "'neutral'", 0, NULL},
    {12, "cmi.interactions.0.result", "'75'", 0, NULL},
    {12, "cmi.interactions.0.result", "0.5", 0, NULL},
    {12, "cmi.interactions.0.time", "'23:59:59.5'", 0, NULL},
    {12, "cmi.interactions.0.weighting", "'-500'", 0, NULL},
    {12, "cmi.interactions.0.student_response", "'a,b,c'", 0, NULL},
    {12, "cmi.interactions.0.correct_responses.1.pattern", "'c'", 0, NULL},
    /* read-only elements and keywords are accepted and ignored */
    {12, "cmi.core.student_id", "'someone-else'", 0, NULL},
    {12, "cmi.core.credit", "'whatever'", 0, NULL},
    {12, "cmi.core.total_time", "'99999:00:00'", 0, NULL},
    {12, "cmi.core.lesson_mode", "{'x':1}", 0, NULL},
    {12, "cmi.launch_data", "'x'", 0, NULL},
    {12, "cmi.student_data.mastery_score", "'0'", 0, NULL},
    {12, "cmi.core._children", "'student_id,student_name'", 0, NULL},
    {12, "cmi.objectives._count", "1", 0, NULL},
    {12, "cmi._version", "'3.4'", 0, NULL},

    /* --- 1.2: refused --- */
    {12, "cmi.core.lesson_status", "'done'", 405, NULL},
    {12, "cmi.core.lesson_status", "'unknown'", 405, NULL},
    {12, "cmi.core.lesson_status", "'Passed'", 405, NULL},
    {12, "cmi.core.lesson_status", "1", 405, NULL},
    {12, "cmi.core.exit", "'normal'", 405, NULL},
    {12, "cmi.core.exit", "'suspended'", 405, NULL},
    {12, "cmi.core.score.raw", "'101'", 405, NULL},
    {12, "cmi.core.score.raw", "'-1'", 405, NULL},
    {12, "cmi.core.score.raw", "101", 405, NULL},
    {12, "cmi.core.score.min", "'abc'", 405, NULL},
    {12, "cmi.core.score.max", "'1e2'", 405, NULL},
    {12, "cmi.core.score.max", "'12345678901'", 405, NULL},
    {12, "cmi.core.score.max", "'.'", 405, NULL},
    {12, "cmi.core.score.raw", "{}", 405, NULL},
    {12, "cmi.core.score", "'90'", 405, NULL},
    {12, "cmi.core", "[]", 405, NULL},
    {12, "cmi.core.session_time", "'PT1S'", 405, NULL},
    {12, "cmi.core.session_time", "'0:00:01'", 405, NULL},
    {12, "cmi.core.session_time", "'00:61:00'", 405, NULL},
    {12, "cmi.core.lesson_location", "@256", 405, NULL},
    {12, "cmi.core.lesson_location", "15", 405, NULL},
    {12, "cmi.suspend_data", "@64001", 405, NULL},
    {12, "cmi.comments", "@4097", 405, NULL},
    {12, "cmi.student_preference.audio", "'101'", 405, NULL},
    {12, "cmi.student_preference.audio", "'-2'", 405, NULL},
    {12, "cmi.student_preference.audio", "'1.5'", 405, NULL},
    {12, "cmi.student_preference.audio", "1.5", 405, NULL},
    {12, "cmi.student_preference.speed", "'-101'", 405, NULL},
    {12, "cmi.student_preference.text", "'2'", 405, NULL},
    {12, "cmi.student_preference.language", "@256", 405, NULL},
    {12, "cmi.objectives.0.id", "@256", 405, NULL},
    {12, "cmi.objectives.0.id", "'caf\\u00e9'", 405, NULL},
    {12, "cmi.objectives.0.status", "'unknown'", 405, NULL},
    {12, "cmi.objectives.0.score.raw", "'100.5'", 405, NULL},
    {12, "cmi.interactions.0.type", "'long-fill-in'", 405, NULL},
    {12, "cmi.interactions.0.type", "'other'", 405, NULL},
    {12, "cmi.interactions.0.result", "'incorrect'", 405, NULL},
    {12, "cmi.interactions.0.time", "'12:00'", 405, NULL},
    {12, "cmi.interactions.0.time", "'24:00:00'", 405, NULL},
    {12, "cmi.interactions.0.latency", "'PT5S'", 405, NULL},
    {12, "cmi.interactions.0.weighting", "'heavy'", 405, NULL},
    {12, "cmi.interactions.0.student_response", "@4097", 405, NULL},
    {12, "cmi.interactions.0.objectives.0.id", "@256", 405, NULL},
    {12, "cmi.interactions.0.correct_responses", "'a'", 405, NULL},
    {12, "cmi.interactions.0.correct_responses.0", "'a'", 201, NULL},
    {12, "cmi.core.foo", "'x'", 401, NULL},
    {12, "cmi.foo", "'x'", 401, NULL},
    {12, "cmi.core.score.scaled", "'0.5'", 401, NULL},      /* 2004 element */
    {12, "cmi.completion_status", "'completed'", 401, NULL},
    {12, "adl", "{}", 401, NULL},
    {12, "cmi.interactions.2", "{'id':'q3'}", 0, NULL},     /* 0, 1, 2: no gap */
    {12, "cmi.interactions.3", "{'id':'q4'}", 201, NULL},   /* gap after 1 */
    {12, "cmi.interactions.01", "{'id':'q'}", 401, NULL},
    {12, "cmi.interactions.x", "{'id':'q'}", 401, NULL},
    {12, "cmi.interactions.-1", "{'id':'q'}", 401, NULL},
    {12, "cmi.interactions.1", "'q2'", 201, NULL},
    {12, "cmi.objectives.1", "null", 201, NULL},

    /* --- 2004: accepted --- */
    {2004, "cmi.completion_status", "'incomplete'", 0, NULL},
    {2004, "cmi.completion_status", "'not attempted'", 0, NULL},
    {2004, "cmi.completion_status", "'unknown'", 0, NULL},
    {2004, "cmi.success_status", "'failed'", 0, NULL},
    {2004, "cmi.success_status", "'unknown'", 0, NULL},
    {2004, "cmi.exit", "'normal'", 0, NULL},
    {2004, "cmi.exit", "'time-out'", 0, NULL},
    {2004, "cmi.exit", "'logout'", 0, NULL},
    {2004, "cmi.exit", "''", 0, NULL},
    {2004, "cmi.score.scaled", "'-1'", 0, NULL},
    {2004, "cmi.score.scaled", "'0.333333333333333333333'", 0, NULL},
    {2004, "cmi.score.scaled", "-0.25", 0, NULL},
    {2004, "cmi.score.raw", "'1000'", 0, NULL},
    {2004, "cmi.score.raw", "'-5.5'", 0, NULL},
    {2004, "cmi.progress_measure", "'0'", 0, NULL},
    {2004, "cmi.progress_measure", "0.5", 0, NULL},
    {2004, "cmi.session_time", "'PT0H0M0S'", 0, NULL},
    {2004, "cmi.session_time", "'P1DT2H'", 0, NULL},
    {2004, "cmi.session_time", "'PT1.999S'", 0, NULL},
    {2004, "cmi.location", "@1000", 0, NULL},
    {2004, "cmi.location", "@u1000", 0, NULL},
    {2004, "cmi.suspend_data", "@64000", 0, NULL},
    {2004, "cmi.learner_preference.audio_level", "'0'", 0, NULL},
    {2004, "cmi.learner_preference.audio_level", "'2.5'", 0, NULL},
    {2004, "cmi.learner_preference.delivery_speed", "'0.5'", 0, NULL},
    {2004, "cmi.learner_preference.audio_captioning", "'-1'", 0, NULL},
    {2004, "cmi.learner_preference.audio_captioning", "0", 0, NULL},
    {2004, "cmi.learner_preference.language", "'fr'", 0, NULL},
    {2004, "cmi.learner_preference.language", "'x-klingon'", 0, NULL},
    {2004, "cmi.learner_preference.language", "'zh-Hant-TW'", 0, NULL},
    {2004, "cmi.comments_from_learner.0.comment", "@4000", 0, NULL},
    {2004, "cmi.comments_from_learner.0.comment", "'{lang=fr-CA}bonjour'", 0, NULL},
    {2004, "cmi.comments_from_learner.0.comment", "'{not a delimiter'", 0, NULL},
    {2004, "cmi.comments_from_learner.0.location", "@250", 0, NULL},
    {2004, "cmi.comments_from_learner.0.timestamp", "'2024-03-01T10:16:00.0+01:00'", 0, NULL},
    {2004, "cmi.interactions.0.id", "@4000", 0, NULL},
    {2004, "cmi.interactions.0.id", "''", 0, NULL},
    {2004, "cmi.interactions.0.result", "'incorrect'", 0, NULL},
    {2004, "cmi.interactions.0.result", "'-12.5'", 0, NULL},
    {2004, "cmi.interactions.0.weighting", "'-500'", 0, NULL},
    {2004, "cmi.interactions.0.description", "'{lang=en}Which clubs?'", 0, NULL},
    {2004, "cmi.objectives.0.progress_measure", "'0.5'", 0, NULL},
    {2004, "cmi.objectives.0.score.scaled", "'-1'", 0, NULL},
    {2004, "cmi.objectives.0.description", "@250", 0, NULL},
    {2004, "cmi.objectives.1.success_status", "'unknown'", 0, NULL}, /* empty id */
    {2004, "adl.nav.request", "'continue'", 0, NULL},
    {2004, "adl.nav.request", "'previous'", 0, NULL},
    {2004, "adl.nav.request", "'exit'", 0, NULL},
    {2004, "adl.nav.request", "'exitAll'", 0, NULL},
    {2004, "adl.nav.request", "'abandon'", 0, NULL},
    {2004, "adl.nav.request", "'abandonAll'", 0, NULL},
    {2004, "adl.nav.request", "'suspendAll'", 0, NULL},
    {2004, "adl.nav.request", "'_none_'", 0, NULL},
    {2004, "adl.nav.request", "'{target=sco-02}choice'", 0, NULL},
    {2004, "adl.nav.request", "'{target=intro}jump'", 0, NULL},
    {2004, "adl.nav.request_valid.continue", "'true'", 0, NULL},
    {2004, "adl.data.0", "{'id':'urn:golf:shared','store':'abc'}", 0, NULL},
    {2004, "adl.data.0.store", "@64000", 0, NULL},
    {2004, "sharedData", "{'urn:golf:shared':'abc'}", 0, NULL},
    /* read-only, ignored */
    {2004, "cmi.credit", "'no-credit'", 0, NULL},
    {2004, "cmi.learner_name", "'Ann'", 0, NULL},
    {2004, "cmi.total_time", "'P4166DT16H'", 0, NULL},
    {2004, "cmi.scaled_passing_score", "'0.8'", 0, NULL},
    {2004, "cmi.comments_from_lms.0", "{'comment':'from the LMS'}", 0, NULL},
    {2004, "cmi.interactions._count", "2", 0, NULL},
    {2004, "cmi._version", "'1.0'", 0, NULL},

    /* --- 2004: refused --- */
    {2004, "cmi.completion_status", "'passed'", 406, NULL},
    {2004, "cmi.success_status", "'completed'", 406, NULL},
    {2004, "cmi.exit", "'finished'", 406, NULL},
    {2004, "cmi.score.scaled", "'1.5'", 407, NULL},
    {2004, "cmi.score.scaled", "'-1.01'", 407, NULL},
    {2004, "cmi.score.scaled", "2", 407, NULL},
    {2004, "cmi.score.scaled", "'abc'", 406, NULL},
    {2004, "cmi.score.raw", "'1,5'", 406, NULL},
    {2004, "cmi.progress_measure", "'1.1'", 407, NULL},
    {2004, "cmi.progress_measure", "'-0.1'", 407, NULL},
    {2004, "cmi.session_time", "'PT'", 406, NULL},
    {2004, "cmi.session_time", "'P1W'", 406, NULL},
    {2004, "cmi.session_time", "'00:00:03'", 406, NULL},
    {2004, "cmi.session_time", "'-PT1S'", 406, NULL},
    {2004, "cmi.location", "@1001", 406, NULL},
    {2004, "cmi.location", "@u1001", 406, NULL},
    {2004, "cmi.suspend_data", "@64001", 406, NULL},
    {2004, "cmi.learner_preference.audio_level", "'-0.5'", 407, NULL},
    {2004, "cmi.learner_preference.delivery_speed", "-1", 407, NULL},
    {2004, "cmi.learner_preference.audio_captioning", "'2'", 407, NULL},
    {2004, "cmi.learner_preference.audio_captioning", "'0.5'", 406, NULL},
    {2004, "cmi.learner_preference.language", "'english!'", 406, NULL},
    {2004, "cmi.learner_preference.language", "'klingonese'", 406, NULL},
    {2004, "cmi.comments_from_learner.0.comment", "@4001", 406, NULL},
    {2004, "cmi.comments_from_learner.0.comment", "'{lang=!!}hi'", 406, NULL},
    {2004, "cmi.comments_from_learner.0.location", "@251", 406, NULL},
    {2004, "cmi.comments_from_learner.0.timestamp", "'yesterday'", 406, NULL},
    {2004, "cmi.comments_from_learner.0.timestamp", "'2024-02-30'", 406, NULL},
    {2004, "cmi.interactions.0.type", "'essay'", 406, NULL},
    {2004, "cmi.interactions.0.result", "'wrong'", 406, NULL},
    {2004, "cmi.interactions.0.latency", "'00:00:05'", 406, NULL},
    {2004, "cmi.interactions.0.timestamp", "'2024-13-01'", 406, NULL},
    {2004, "cmi.interactions.0.weighting", "'heavy'", 406, NULL},
    {2004, "cmi.interactions.0.id", "@4001", 406, NULL},
    {2004, "cmi.interactions.0.id", "'a\\nb'", 406, NULL},
    {2004, "cmi.interactions.0.description", "@251", 406, NULL},
    {2004, "cmi.interactions.0.objectives.0.id", "@4001", 406, NULL},
    {2004, "cmi.interactions.0.learner_response", "'a[,]'", 406, NULL},
    {2004, "cmi.interactions.0.correct_responses.0.pattern", "@4001", 406, NULL},
    {2004, "cmi.interactions.1.learner_response", "'four'", 406, NULL},
    {2004, "cmi.interactions.1.correct_responses.0.pattern", "'3[:]x'", 406, NULL},
    {2004, "cmi.interactions.2", "{'id':'q3','learner_response':'a'}", 408,
     "cmi.interactions.2.learner_response"},
    {2004, "cmi.interactions.2", "{'id':'q3','correct_responses':[{'pattern':'a'}]}", 408,
     "cmi.interactions.2.correct_responses.0.pattern"},
    {2004, "cmi.interactions.2", "{'learner_response':'yes','type':'true-false'}", 406,
     "cmi.interactions.2.learner_response"},
    /* the type is checked before the response that depends on it */
    {2004, "cmi.interactions.2", "{'learner_response':'x','type':'essay'}", 406,
     "cmi.interactions.2.type"},
    {2004, "cmi.objectives.0.score.scaled", "'2'", 407, NULL},
    {2004, "cmi.objectives.0.success_status", "'done'", 406, NULL},
    {2004, "cmi.objectives.0.completion_status", "'passed'", 406, NULL},
    {2004, "cmi.objectives.0.progress_measure", "'-0.1'", 407, NULL},
    {2004, "cmi.objectives.0.description", "@251", 406, NULL},
    {2004, "adl.nav.request", "'jump'", 406, NULL},
    {2004, "adl.nav.request", "'start'", 406, NULL},
    {2004, "adl.nav.request", "'{target=}choice'", 406, NULL},
    {2004, "adl.nav.request", "'{target=a b}choice'", 406, NULL},
    {2004, "adl.nav.request", "'{target=a}leap'", 406, NULL},
    {2004, "adl.data.0.store", "@64001", 406, NULL},
    {2004, "adl.data.0.other", "'x'", 401, NULL},
    {2004, "adl.foo", "'x'", 401, NULL},
    {2004, "sharedData", "'x'", 406, NULL},
    {2004, "sharedData.s", "@64001", 406, NULL},
    {2004, "sharedData.s", "1", 406, NULL},
    {2004, "cmi.core", "{}", 401, NULL},                /* 1.2 element */
    {2004, "cmi.suspend_data", "5", 406, NULL},
    {2004, "cmi.interactions.5", "{'id':'q'}", 351, NULL},
    {2004, "cmi.objectives.1.id", "'a'", 0, NULL},
    {2004, "cmi.objectives.2", "[]", 351, NULL},
};

/* Responses by interaction type (2004 RTE 4.2.9.1 / 4.2.9.2). */
static const struct {
    const char *type, *response, *pattern;
    bool ok;
} responses[] = {
    {"true-false", "true", "false", true},
    {"true-false", "yes", "true", false},
    {"true-false", "true", "1", false},
    {"choice", "a[,]b[,]c", "{order_matters=false}a[,]c", true},
    {"choice", "urn:x:choice-1", "urn:x:choice-1", true},
    {"choice", "a[,]", "a", false},
    {"fill-in", "{lang=en}golf[,]club", "{case_matters=true}{lang=en}Golf", true},
    {"fill-in", "a[,]b[,]c[,]d[,]e[,]f[,]g[,]h[,]i[,]j", "a", true},
    {"fill-in", "a[,]b[,]c[,]d[,]e[,]f[,]g[,]h[,]i[,]j[,]k", "a", false},
    {"long-fill-in", "@u4000", "{case_matters=false}anything[,]at all", true},
    {"long-fill-in", "@4001", "a", false},
    {"matching", "1[.]a[,]2[.]b", "1[.]a[,]2[.]b", true},
    {"matching", "1[.]a[,]2", "1[.]a", false},
    {"matching", "1[.][,]2[.]b", "1[.]a", false},
    {"performance", "step1[.]answer one[,][.]2", "{order_matters=true}step1[.]1[:]3[,][.]abc", true},
    {"performance", "step 1[.]x", "a", false},
    {"sequencing", "c[,]a[,]b", "c[,]a[,]b", true},
    {"sequencing", "c[,]a b", "c", false},
    {"likert", "strongly_agree", "agree", true},
    {"likert", "a[,]b", "a", false},
    {"numeric", "3.5", "1[:]5", true},
    {"numeric", "-3", "[:]5", true},
    {"numeric", "3", "1[:]", true},
    {"numeric", "3", "4", true},
    {"numeric", "3", "a[:]5", false},
    {"numeric", "three", "1[:]5", false},
    {"other", "@4000", "anything [,] goes", true},
    {"other", "@4001", "a", false},
};

/* The summary borrows strings from the body: *hold keeps the last body
 * alive until the next call (or the caller's json_decref). */
static int validate_text(json_t **hold, int version, const char *text,
                         cairn_cmi_summary *s, cairn_cmi_error *err)
{
    json_decref(*hold);
    *hold = body(text);
    return cairn_cmi_validate(version, *hold, s, err);
}

static void run_cases(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct vcase *c = &cases[i];
        json_t *j = body(c->version == 12 ? full12 : full04);
        set_path(j, c->path, value(c->value));
        cairn_cmi_summary s;
        cairn_cmi_error err = {0};
        int rc = cairn_cmi_validate(c->version, j, &s, &err);
        const char *element = c->element ? c->element : c->path;
        char shown[64];
        snprintf(shown, sizeof shown, "%s", c->value);
        if (c->code == 0)
            CHECK(rc == 0, "%d: %s = %s accepted (%d %s: %s)", c->version, c->path,
                  shown, err.scorm_code, err.element, err.message);
        else
            CHECK(rc == -EINVAL && err.scorm_code == c->code &&
                  strcmp(err.element, element) == 0,
                  "%d: %s = %s refused with %d at %s (got %d %s: %s)", c->version,
                  c->path, shown, c->code, element, err.scorm_code, err.element,
                  err.message);
        json_decref(j);
    }

    for (size_t i = 0; i < sizeof responses / sizeof responses[0]; i++) {
        json_t *j = body(full04);
        json_t *inter = body("{'id':'q9'}");
        json_object_set_new(inter, "type", json_string(responses[i].type));
        json_object_set_new(inter, "learner_response", raw(responses[i].response));
        json_t *cr = json_array();
        json_t *p = json_object();
        json_object_set_new(p, "pattern", raw(responses[i].pattern));
        json_array_append_new(cr, p);
        json_object_set_new(inter, "correct_responses", cr);
        set_path(j, "cmi.interactions.2", inter);
        cairn_cmi_error err = {0};
        int rc = cairn_cmi_validate(CAIRN_SCORM_2004, j, NULL, &err);
        CHECK((rc == 0) == responses[i].ok, "%s: response \"%.40s\" / pattern \"%.40s\" %s (%d %s: %s)",
              responses[i].type, responses[i].response, responses[i].pattern,
              responses[i].ok ? "accepted" : "refused", err.scorm_code, err.element,
              err.message);
        json_decref(j);
    }
}

/* Collections arrive as arrays or as objects keyed "0".."n-1". */
static void run_collections(void)
{
    json_t *hold = NULL;
    cairn_cmi_error err;
    cairn_cmi_summary s;

    CHECK(validate_text(&hold, 12, "{'cmi':{'interactions':[{'id':'a','type':'choice',"
                        "'correct_responses':[{'pattern':'a'},{'pattern':'b'}],"
                        "'objectives':[{'id':'o'}]},{'id':'b'}],"
                        "'objectives':[{'id':'o','status':'passed'}]}}", &s, &err) == 0 &&
          s.interaction_count == 2, "1.2 collections as arrays");
    CHECK(validate_text(&hold, 2004, "{'cmi':{'interactions':[{'id':'a','type':'choice',"
                        "'learner_response':'x','correct_responses':[{'pattern':'x'}]}],"
                        "'comments_from_learner':[{'comment':'hi'}],"
                        "'objectives':[{'id':'o'}]},'adl':{'data':[{'id':'d','store':'s'}]}}",
                        &s, &err) == 0 && s.interaction_count == 1,
          "2004 collections as arrays");
    CHECK(validate_text(&hold, 2004, "{'cmi':{'interactions':{'1':{'id':'b'},'0':{'id':'a'}}}}",
                        &s, &err) == 0 && s.interaction_count == 2,
          "object keys in any order");
    CHECK(validate_text(&hold, 2004, "{'cmi':{'interactions':{'_count':2,'_children':'id,type',"
                        "'0':{'id':'a'},'1':{'id':'b'}}}}", &s, &err) == 0 &&
          s.interaction_count == 2, "_count and _children beside the members");
    CHECK(validate_text(&hold, 2004, "{'cmi':{'interactions':[{'id':'a'},null]}}", NULL, &err) ==
          -EINVAL && err.scorm_code == 351 && strcmp(err.element, "cmi.interactions.1") == 0,
          "a null member in an array is a gap (%d %s)", err.scorm_code, err.element);
    CHECK(validate_text(&hold, 12, "{'cmi':{'objectives':{'1':{'id':'b'}}}}", NULL, &err) ==
          -EINVAL && err.scorm_code == 201 && strcmp(err.element, "cmi.objectives.1") == 0,
          "an object collection must start at 0 (%d %s)", err.scorm_code, err.element);
    CHECK(validate_text(&hold, 12, "{'cmi':{'interactions':'q1'}}", NULL, &err) == -EINVAL &&
          err.scorm_code == 405 && strcmp(err.element, "cmi.interactions") == 0,
          "a collection that is a string is refused");

    /* caps: 1000 interactions, 100 objectives, 250 comments */
    static const struct {
        int version;
        const char *where, *member, *element;
        size_t cap;
        int code;
    } caps[] = {
        {12, "interactions", "{'id':'q'}", "cmi.interactions", 1000, 201},
        {2004, "interactions", "{'id':'q'}", "cmi.interactions", 1000, 351},
        {12, "objectives", "{'id':'o'}", "cmi.objectives", 100, 201},
        {2004, "objectives", "{'id':'o'}", "cmi.objectives", 100, 351},
        {2004, "comments_from_learner", "{'comment':'c'}", "cmi.comments_from_learner", 250, 351},
    };
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
        for (int as_object = 0; as_object < 2; as_object++) {
            json_t *list = as_object ? json_object() : json_array();
            for (size_t n = 0; n < caps[i].cap; n++) {
                char key[24];
                snprintf(key, sizeof key, "%zu", n);
                if (as_object)
                    json_object_set_new(list, key, body(caps[i].member));
                else
                    json_array_append_new(list, body(caps[i].member));
            }
            json_t *j = body("{'cmi':{}}");
            json_object_set(json_object_get(j, "cmi"), caps[i].where, list);
            CHECK(cairn_cmi_validate(caps[i].version, j, NULL, &err) == 0,
                  "%d: %zu %s as %s accepted", caps[i].version, caps[i].cap, caps[i].where,
                  as_object ? "object" : "array");
            char key[24];
            snprintf(key, sizeof key, "%zu", caps[i].cap);
            if (as_object)
                json_object_set_new(list, key, body(caps[i].member));
            else
                json_array_append_new(list, body(caps[i].member));
            CHECK(cairn_cmi_validate(caps[i].version, j, NULL, &err) == -EINVAL &&
                  err.scorm_code == caps[i].code && strcmp(err.element, caps[i].element) == 0,
                  "%d: %zu %s refused with %d (%d %s: %s)", caps[i].version, caps[i].cap + 1,
                  caps[i].where, caps[i].code, err.scorm_code, err.element, err.message);
            json_decref(list);
            json_decref(j);
        }
    }
    json_decref(hold);
}

static void run_bodies(void)
{
    json_t *hold = NULL;
    cairn_cmi_error err;
    cairn_cmi_summary s;

    CHECK(validate_text(&hold, 12, full12, &s, &err) == 0, "1.2 full commit accepted");
    CHECK(validate_text(&hold, 2004, full04, &s, &err) == 0, "2004 full commit accepted");
    CHECK(validate_text(&hold, 12, initial12, &s, &err) == 0, "1.2 first commit (defaults) accepted");
    CHECK(s.lesson_status && strcmp(s.lesson_status, "not attempted") == 0 &&
          strcmp(s.completion_status, "not attempted") == 0 && !s.has_score_raw &&
          s.has_score_max && s.score_max == 100 && s.has_session_time &&
          s.session_time_cs == 0 && s.exit && s.exit[0] == '\0' && s.interaction_count == 0,
          "1.2 defaults summarised");
    CHECK(validate_text(&hold, 2004, initial04, &s, &err) == 0, "2004 first commit (defaults) accepted");
    CHECK(s.completion_status && strcmp(s.completion_status, "unknown") == 0 &&
          strcmp(s.success_status, "unknown") == 0 && !s.has_score_scaled &&
          !s.has_progress && s.has_session_time && s.session_time_cs == 0,
          "2004 defaults summarised");

    /* scorm-again's non-full commits write null for undefined values */
    CHECK(validate_text(&hold, 2004, "{'cmi':{'score':{'scaled':null},'location':null,"
                        "'interactions':null}}", &s, &err) == 0 && !s.has_score_scaled &&
          !s.location, "nulls are not set");
    CHECK(validate_text(&hold, 2004, "{}", &s, &err) == 0 && !s.completion_status,
          "an empty body says nothing");
    CHECK(validate_text(&hold, 2004, "{'_version':1,'cmi':{}}", &s, &err) == 0,
          "top-level keywords ignored");

    json_t *arr = json_array();
    CHECK(cairn_cmi_validate(CAIRN_SCORM_12, arr, &s, &err) == -EINVAL &&
          err.scorm_code == 405 && err.element[0] == '\0', "a body that is an array is refused");
    CHECK(cairn_cmi_validate(CAIRN_SCORM_2004, NULL, &s, &err) == -EINVAL &&
          err.scorm_code == 406, "a NULL body is refused");
    CHECK(cairn_cmi_validate((cairn_scorm_version)3, arr, &s, &err) == -EINVAL,
          "an unknown version is refused");
    json_decref(arr);
    CHECK(validate_text(&hold, 12, "{'cmi':'x'}", NULL, &err) == -EINVAL && err.scorm_code == 405 &&
          strcmp(err.element, "cmi") == 0, "cmi must be an object");
    CHECK(validate_text(&hold, 12, "{'cmi':{}}", NULL, NULL) == 0, "err and ret may be NULL");
    CHECK(validate_text(&hold, 12, "{'cmi':{'core':{'exit':'bye'}}}", NULL, NULL) == -EINVAL,
          "refusal without an error buffer");

    /* the element name of a long path is truncated, not overflowed */
    char deep[600];
    snprintf(deep, sizeof deep, "{'cmi':{'%0300d':1}}", 0);
    CHECK(validate_text(&hold, 12, deep, NULL, &err) == -EINVAL && err.scorm_code == 401 &&
          strlen(err.element) == sizeof err.element - 1, "long element names are truncated");

    /* the error message names the value */
    CHECK(validate_text(&hold, 12, "{'cmi':{'core':{'lesson_status':'done'}}}", NULL, &err) ==
          -EINVAL && strcmp(err.message, "\"done\" is not a lesson_status") == 0,
          "message: %s", err.message);
    CHECK(validate_text(&hold, 2004, "{'cmi':{'location':'x'}}", NULL, &err) == 0, "short location");
    json_decref(hold);
}

static void run_summary(void)
{
    json_t *hold = NULL;
    cairn_cmi_summary s;
    cairn_cmi_error err;

    CHECK(validate_text(&hold, 12, full12, &s, &err) == 0, "1.2 full commit for the summary");
    CHECK(s.lesson_status && strcmp(s.lesson_status, "passed") == 0, "1.2 lesson_status");
    CHECK(s.completion_status && strcmp(s.completion_status, "completed") == 0 &&
          s.success_status && strcmp(s.success_status, "passed") == 0,
          "1.2 passed maps to completed + passed");
    CHECK(s.has_score_raw && s.score_raw == 90 && s.has_score_min && s.score_min == 0 &&
          s.has_score_max && s.score_max == 100 && !s.has_score_scaled, "1.2 score");
    CHECK(s.has_session_time && s.session_time_cs == 300, "1.2 session_time");
    CHECK(s.exit && strcmp(s.exit, "suspend") == 0, "1.2 exit");
    CHECK(s.location && strcmp(s.location, "15") == 0, "1.2 lesson_location");
    CHECK(s.suspend_data && strcmp(s.suspend_data, "page=15;q=1,2,3") == 0, "1.2 suspend_data");
    CHECK(s.interaction_count == 2 && !s.has_progress, "1.2 interaction count");

    static const struct {
        const char *lesson_status, *completion, *success;
    } map[] = {
        {"failed", "completed", "failed"},
        {"completed", "completed", "unknown"},
        {"incomplete", "incomplete", "unknown"},
        {"browsed", "incomplete", "unknown"},
        {"not attempted", "not attempted", "unknown"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        json_t *j = body("{'cmi':{'core':{}}}");
        set_path(j, "cmi.core.lesson_status", json_string(map[i].lesson_status));
        CHECK(cairn_cmi_validate(CAIRN_SCORM_12, j, &s, &err) == 0 &&
              strcmp(s.completion_status, map[i].completion) == 0 &&
              strcmp(s.success_status, map[i].success) == 0,
              "1.2 %s maps to %s + %s", map[i].lesson_status, map[i].completion,
              map[i].success);
        json_decref(j);
    }

    CHECK(validate_text(&hold, 2004, full04, &s, &err) == 0, "2004 full commit for the summary");
    CHECK(strcmp(s.completion_status, "completed") == 0 &&
          strcmp(s.success_status, "passed") == 0 && !s.lesson_status, "2004 statuses");
    CHECK(s.has_score_scaled && s.score_scaled == 1 && s.has_score_raw && s.score_raw == 100 &&
          s.has_progress && s.progress_measure == 1, "2004 scores and progress");
    CHECK(s.has_session_time && s.session_time_cs == 388, "2004 session_time PT3.88S");
    CHECK(strcmp(s.exit, "suspend") == 0 && strcmp(s.location, "playing_5") == 0 &&
          strcmp(s.suspend_data, "p=5") == 0 && s.interaction_count == 2, "2004 bookmark");

    /* every decimal reads as the nearest double, as strtod gives it */
    static const char *const decimals[] = {
        "0.3", "0.035", "0.7", "-0.1", "0.9999999999999999", "0.99999999999999999",
        "1.", ".5", "-.25", "123.456", "9999999999.999999", "0.1234567890123456789012"};
    for (size_t i = 0; i < sizeof decimals / sizeof decimals[0]; i++) {
        json_t *j = body("{'cmi':{'score':{}}}");
        set_path(j, "cmi.score.raw", json_string(decimals[i]));
        CHECK(cairn_cmi_validate(CAIRN_SCORM_2004, j, &s, &err) == 0 && s.has_score_raw &&
              s.score_raw == strtod(decimals[i], NULL), "\"%s\" reads as %.17g (got %.17g)",
              decimals[i], strtod(decimals[i], NULL), s.score_raw);
        json_decref(j);
    }

    CHECK(validate_text(&hold, 2004, "{'cmi':{'score':{'scaled':-0.5,'raw':7},'progress_measure':true}}",
                        &s, &err) == 0 && s.has_score_scaled && s.score_scaled == -0.5 &&
          s.has_score_raw && s.score_raw == 7 && s.has_progress && s.progress_measure == 1,
          "numbers and booleans read as numbers");
    json_decref(hold);
}

static void run_subset(void)
{
    json_t *in = body(full12);
    json_t *out = cairn_cmi_writable_subset(CAIRN_SCORM_12, in);
    json_t *core = json_object_get(json_object_get(out, "cmi"), "core");
    CHECK(out && core, "1.2 subset has cmi.core");
    static const char *const gone12[] = {
        "student_id", "student_name", "credit", "entry", "total_time", "lesson_mode",
        "exit", "session_time"};
    for (size_t i = 0; i < sizeof gone12 / sizeof gone12[0]; i++)
        CHECK(!json_object_get(core, gone12[i]), "1.2 subset drops cmi.core.%s", gone12[i]);
    static const char *const kept12[] = {"lesson_location", "lesson_status", "score"};
    for (size_t i = 0; i < sizeof kept12 / sizeof kept12[0]; i++)
        CHECK(json_object_get(core, kept12[i]), "1.2 subset keeps cmi.core.%s", kept12[i]);
    json_t *cmi = json_object_get(out, "cmi");
    CHECK(!json_object_get(cmi, "launch_data") && !json_object_get(cmi, "comments_from_lms") &&
          !json_object_get(cmi, "student_data"), "1.2 subset drops read-only cmi elements");
    CHECK(json_object_get(cmi, "suspend_data") && json_object_get(cmi, "comments") &&
          json_object_get(cmi, "student_preference"), "1.2 subset keeps the learner's data");
    json_t *i0 = json_object_get(json_object_get(cmi, "interactions"), "0");
    CHECK(json_is_object(json_object_get(cmi, "interactions")) && i0 &&
          strcmp(json_string_value(json_object_get(i0, "id")), "q1") == 0 &&
          json_object_get(json_object_get(json_object_get(i0, "correct_responses"), "0"),
                          "pattern"),
          "1.2 interactions kept as an object, with their responses");
    cairn_cmi_error err;
    CHECK(cairn_cmi_validate(CAIRN_SCORM_12, out, NULL, &err) == 0,
          "the 1.2 subset validates");
    json_t *again = cairn_cmi_writable_subset(CAIRN_SCORM_12, out);
    CHECK(json_equal(again, out), "the 1.2 subset is a fixed point");
    json_decref(again);
    json_decref(out);
    json_decref(in);

    in = body(full04);
    set_path(in, "adl.nav.request", json_string("continue"));
    set_path(in, "adl.data", body("[{'id':'urn:shared','store':'abc'}]"));
    set_path(in, "sharedData", body("{'urn:shared':'abc'}"));
    out = cairn_cmi_writable_subset(CAIRN_SCORM_2004, in);
    cmi = json_object_get(out, "cmi");
    static const char *const gone04[] = {
        "comments_from_lms", "completion_threshold", "credit", "entry", "exit",
        "launch_data", "learner_id", "learner_name", "max_time_allowed", "mode",
        "scaled_passing_score", "session_time", "time_limit_action", "total_time"};
    for (size_t i = 0; i < sizeof gone04 / sizeof gone04[0]; i++)
        CHECK(!json_object_get(cmi, gone04[i]), "2004 subset drops cmi.%s", gone04[i]);
    static const char *const kept04[] = {
        "comments_from_learner", "completion_status", "interactions", "learner_preference",
        "location", "objectives", "progress_measure", "score", "success_status",
        "suspend_data"};
    for (size_t i = 0; i < sizeof kept04 / sizeof kept04[0]; i++)
        CHECK(json_object_get(cmi, kept04[i]), "2004 subset keeps cmi.%s", kept04[i]);
    json_t *adl = json_object_get(out, "adl");
    json_t *d0 = json_array_get(json_object_get(adl, "data"), 0);
    CHECK(!json_object_get(adl, "nav") && d0 && !json_object_get(d0, "id") &&
          strcmp(json_string_value(json_object_get(d0, "store")), "abc") == 0,
          "2004 subset keeps adl.data.n.store only, drops adl.nav");
    CHECK(!json_object_get(out, "sharedData"), "2004 subset drops sharedData");
    /* loadFromJSON replays keys in order: id, then type, then responses */
    i0 = json_object_get(json_object_get(cmi, "interactions"), "0");
    void *it = json_object_iter(i0);
    CHECK(it && strcmp(json_object_iter_key(it), "id") == 0 &&
          strcmp(json_object_iter_key(json_object_iter_next(i0, it)), "type") == 0,
          "2004 interaction members start with id, type");
    CHECK(cairn_cmi_validate(CAIRN_SCORM_2004, out, NULL, &err) == 0,
          "the 2004 subset validates");
    again = cairn_cmi_writable_subset(CAIRN_SCORM_2004, out);
    CHECK(json_equal(again, out), "the 2004 subset is a fixed point");
    json_decref(again);
    json_decref(out);
    json_decref(in);

    /* numbers become strings (loadFromJSON drops a numeric 0) */
    in = body("{'cmi':{'score':{'scaled':0,'raw':12.5,'min':true},"
              "'progress_measure':0.1,'learner_preference':{'audio_captioning':-1},"
              "'interactions':[{'id':'q','result':0.25}]}}");
    out = cairn_cmi_writable_subset(CAIRN_SCORM_2004, in);
    cmi = json_object_get(out, "cmi");
    json_t *score = json_object_get(cmi, "score");
    CHECK(json_is_string(json_object_get(score, "scaled")) &&
          strcmp(json_string_value(json_object_get(score, "scaled")), "0") == 0 &&
          strcmp(json_string_value(json_object_get(score, "raw")), "12.5") == 0 &&
          strcmp(json_string_value(json_object_get(score, "min")), "1") == 0 &&
          strcmp(json_string_value(json_object_get(cmi, "progress_measure")), "0.1") == 0 &&
          strcmp(json_string_value(json_object_get(json_object_get(cmi, "learner_preference"),
                                                   "audio_captioning")), "-1") == 0 &&
          strcmp(json_string_value(json_object_get(json_array_get(
              json_object_get(cmi, "interactions"), 0), "result")), "0.25") == 0,
          "numbers are written back as strings");
    CHECK(json_is_array(json_object_get(cmi, "interactions")),
          "array collections stay arrays");
    json_decref(out);
    json_decref(in);

    /* never fails on garbage */
    static const char *const junk[] = {
        "[]", "{'cmi':[]}", "{'cmi':{'core':'x','interactions':5}}",
        "{'cmi':{'interactions':{'0':5,'x':{},'1':{'id':[]}}}}",
        "{'cmi':{'score':{'raw':{}}},'adl':{'data':'x'}}"};
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
        for (int v = 0; v < 2; v++) {
            in = body(junk[i]);
            out = cairn_cmi_writable_subset(v ? CAIRN_SCORM_2004 : CAIRN_SCORM_12, in);
            CHECK(json_is_object(out), "subset of %s is an object", junk[i]);
            json_decref(out);
            json_decref(in);
        }
    }
    out = cairn_cmi_writable_subset(CAIRN_SCORM_12, NULL);
    CHECK(json_is_object(out) && json_object_size(out) == 0, "subset of NULL is {}");
    json_decref(out);
}

struct rcase {
    int version;
    const char *text;
    cairn_sco_rules rules;
    const char *completion, *success;   /* NULL: unknown */
};

static void run_status(void)
{
    json_t *hold = NULL;
    static const struct rcase rc[] = {
        /* 1.2: lesson_status alone */
        {12, "{'cmi':{'core':{'lesson_status':'passed'}}}", {0}, "completed", "passed"},
        {12, "{'cmi':{'core':{'lesson_status':'failed'}}}", {0}, "completed", "failed"},
        {12, "{'cmi':{'core':{'lesson_status':'completed'}}}", {0}, "completed", NULL},
        {12, "{'cmi':{'core':{'lesson_status':'incomplete'}}}", {0}, "incomplete", NULL},
        {12, "{'cmi':{'core':{'lesson_status':'browsed'}}}", {0}, "incomplete", NULL},
        {12, "{'cmi':{'core':{'lesson_status':'not attempted'}}}", {0}, "not attempted", NULL},
        {12, "{'cmi':{'core':{}}}", {0}, NULL, NULL},
        /* 1.2 mastery score: applies to a raw score without passed/failed */
        {12, "{'cmi':{'core':{'lesson_status':'completed','score':{'raw':'80'}}}}",
         {.has_mastery_score = true, .mastery_score = 80}, "completed", "passed"},
        {12, "{'cmi':{'core':{'lesson_status':'completed','score':{'raw':'79.5'}}}}",
         {.has_mastery_score = true, .mastery_score = 80}, "completed", "failed"},
        {12, "{'cmi':{'core':{'lesson_status':'incomplete','score':{'raw':'90'}}}}",
         {.has_mastery_score = true, .mastery_score = 80}, "completed", "passed"},
        {12, "{'cmi':{'core':{'score':{'raw':'10'}}}}",
         {.has_mastery_score = true, .mastery_score = 80}, "completed", "failed"},
        {12, "{'cmi':{'core':{'lesson_status':'failed','score':{'raw':'90'}}}}",
         {.has_mastery_score = true, .mastery_score = 80}, "completed", "failed"},
        {12, "{'cmi':{'core':{'lesson_status':'passed','score':{'raw':'10'}}}}",
         {.has_mastery_score = true, .mastery_score = 80}, "completed", "passed"},
        {12, "{'cmi':{'core':{'lesson_status':'completed','score':{'raw':''}}}}",
         {.has_mastery_score = true, .mastery_score = 80}, "completed", NULL},
        {12, "{'cmi':{'core':{'lesson_status':'completed','score':{'raw':'90'}}}}",
         {0}, "completed", NULL},
        /* 2004 */
        {2004, "{'cmi':{'completion_status':'completed','success_status':'passed'}}",
         {0}, "completed", "passed"},
        {2004, "{'cmi':{'completion_status':'unknown','success_status':'unknown'}}",
         {0}, NULL, NULL},
        {2004, "{'cmi':{'completion_status':'not attempted'}}", {0}, "not attempted", NULL},
        {2004, "{'cmi':{'success_status':'unknown','score':{'scaled':'0.8'}}}",
         {.has_passing_score = true, .scaled_passing_score = 0.8}, NULL, "passed"},
        {2004, "{'cmi':{'score':{'scaled':'0.79'}}}",
         {.has_passing_score = true, .scaled_passing_score = 0.8}, NULL, "failed"},
        {2004, "{'cmi':{'score':{'scaled':'-0.5'}}}",
         {.has_passing_score = true, .scaled_passing_score = -0.6}, NULL, "passed"},
        /* the score decides over the SCO's own status (RTE 4.2.21) */
        {2004, "{'cmi':{'success_status':'failed','score':{'scaled':'0.9'}}}",
         {.has_passing_score = true, .scaled_passing_score = 0.8}, NULL, "passed"},
        {2004, "{'cmi':{'success_status':'passed','score':{'scaled':'0.2'}}}",
         {.has_passing_score = true, .scaled_passing_score = 0.8}, NULL, "failed"},
        {2004, "{'cmi':{'success_status':'unknown','score':{'scaled':''}}}",
         {.has_passing_score = true, .scaled_passing_score = 0.8}, NULL, NULL},
        {2004, "{'cmi':{'score':{'scaled':'0.9'}}}", {0}, NULL, NULL},
        /* decimals read exactly as strtod reads the manifest's value */
        {2004, "{'cmi':{'score':{'scaled':'0.035'}}}",
         {.has_passing_score = true, .scaled_passing_score = 0.035}, NULL, "passed"},
        {12, "{'cmi':{'core':{'score':{'raw':'80.3'}}}}",
         {.has_mastery_score = true, .mastery_score = 80.3}, "completed", "passed"},
        {2004, "{'cmi':{'completion_status':'unknown','progress_measure':'0.75'}}",
         {.has_completion_threshold = true, .completion_threshold = 0.75}, "completed", NULL},
        {2004, "{'cmi':{'progress_measure':'0.5'}}",
         {.has_completion_threshold = true, .completion_threshold = 0.75}, "incomplete", NULL},
        {2004, "{'cmi':{'completion_status':'incomplete','progress_measure':'1'}}",
         {.has_completion_threshold = true, .completion_threshold = 0.75}, "completed", NULL},
        {2004, "{'cmi':{'completion_status':'completed','progress_measure':'0.1'}}",
         {.has_completion_threshold = true, .completion_threshold = 0.75}, "incomplete", NULL},
        {2004, "{'cmi':{'completion_status':'unknown'}}",
         {.has_completion_threshold = true, .completion_threshold = 0.75}, NULL, NULL},
        {2004, "{'cmi':{'progress_measure':'1'}}", {0}, NULL, NULL},
        {2004, "{'cmi':{'score':{'scaled':'1'},'progress_measure':'1'}}",
         {.has_passing_score = true, .scaled_passing_score = 0.5,
          .has_completion_threshold = true, .completion_threshold = 1}, "completed", "passed"},
    };
    for (size_t i = 0; i < sizeof rc / sizeof rc[0]; i++) {
        cairn_cmi_summary s;
        cairn_cmi_error err;
        const char *c = "x", *su = "x";
        int ok = validate_text(&hold, rc[i].version, rc[i].text, &s, &err);
        cairn_cmi_resolve_status(rc[i].version, &s, &rc[i].rules, &c, &su);
        bool cm = rc[i].completion ? c && strcmp(c, rc[i].completion) == 0 : c == NULL;
        bool sm = rc[i].success ? su && strcmp(su, rc[i].success) == 0 : su == NULL;
        CHECK(ok == 0 && cm && sm, "%d %s -> %s / %s (got %s / %s)", rc[i].version,
              rc[i].text, rc[i].completion ? rc[i].completion : "unknown",
              rc[i].success ? rc[i].success : "unknown", c ? c : "unknown",
              su ? su : "unknown");
    }
    json_decref(hold);

    /* the strings are static: they outlive the body */
    cairn_cmi_summary s;
    json_t *j = body("{'cmi':{'completion_status':'completed','success_status':'failed'}}");
    cairn_cmi_validate(CAIRN_SCORM_2004, j, &s, NULL);
    const char *c = NULL, *su = NULL;
    cairn_cmi_resolve_status(CAIRN_SCORM_2004, &s, NULL, &c, &su);
    cairn_cmi_resolve_status(CAIRN_SCORM_12, &s, NULL, NULL, NULL);
    json_decref(j);
    CHECK(c && strcmp(c, "completed") == 0 && su && strcmp(su, "failed") == 0,
          "resolved strings outlive the body; NULL rules allowed");
    cairn_cmi_resolve_status(CAIRN_SCORM_2004, NULL, NULL, &c, &su);
    CHECK(c == NULL && su == NULL, "no summary resolves to unknown");
    CHECK(true, "NULL out pointers are allowed");
}

int main(void)
{
    run_bodies();
    run_cases();
    run_collections();
    run_summary();
    run_subset();
    run_status();
    return check_done();
}
