/* fuzz_cmi.c: libFuzzer harness for the CMI data model (scorm/cmi.c) and the
 * time grammars (scorm/cmitime.c).
 *
 * Input: the first byte picks the edition (bit 0: 2004, else 1.2) and which
 * manifest rules apply (bit 1 mastery score, bit 2 scaled passing score,
 * bit 3 completion threshold); the rest is a commit body. So a seed
 * starting with "0" is a 1.2 body, "1" a 2004 body, ">" and "?" the same
 * with every rule. The rest, as a C string, also goes to every time parser.
 *
 * Besides "no crash, no sanitizer report", it aborts when a property breaks:
 *  - a parsed time formats to a string that parses back to the same value;
 *  - the writable subset of an accepted body is itself accepted, and taking
 *    the subset again changes nothing;
 *  - the summary and the resolved status only hold words of the vocabularies.
 * Every file in tests/fuzz/regression/ is also fed here (zip and manifest
 * inputs included), so nothing may be assumed about the bytes. */
#include "cmi.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Commit bodies beyond this are refused by the HTTP layer before they get
 * here; keeping the fuzzer under it keeps runs fast. */
#define MAX_INPUT (256 * 1024)
/* The data model is at most 7 levels deep (adl.data.n.store,
 * cmi.interactions.n.correct_responses.n.pattern): 32 is plenty, and keeps
 * jansson's recursive parser and destructor far from the stack's end. */
#define MAX_DEPTH 32

/* Nesting depth of a JSON text, counting brackets outside strings. */
static bool depth_ok(const uint8_t *p, size_t n)
{
    int depth = 0;
    bool in_string = false, escaped = false;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (in_string) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > MAX_DEPTH)
                return false;
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    return true;
}

static bool one_of(const char *s, const char *const *words)
{
    for (; *words; words++)
        if (strcmp(s, *words) == 0)
            return true;
    return false;
}

static void fuzz_times(const char *s)
{
    int64_t cs, back;
    char buf[64];

    if (cairn_time_parse_timespan(s, &cs) == 0) {
        if (cs < 0 || cs >= INT64_C(10000) * 360000)
            abort();
        cairn_time_format_timespan(cs, buf, sizeof buf);
        if (cairn_time_parse_timespan(buf, &back) != 0 || back != cs)
            abort();
    }
    if (cairn_time_parse_duration(s, &cs) == 0) {
        if (cs < 0 || cs > INT64_C(10000000000) * 100)
            abort();
        cairn_time_format_duration(cs, buf, sizeof buf);
        if (cairn_time_parse_duration(buf, &back) != 0 || back != cs)
            abort();
    }
    if (cairn_time_parse_clock(s, &cs) == 0 && (cs < 0 || cs >= INT64_C(24) * 360000))
        abort();
    (void)cairn_time_check_timestamp(s);
}

static void check_summary(const cairn_cmi_summary *s)
{
    static const char *const completion[] = {
        "completed", "incomplete", "not attempted", "unknown", NULL};
    static const char *const success[] = {"passed", "failed", "unknown", NULL};
    static const char *const exits[] = {
        "", "suspend", "logout", "normal", "time-out", NULL};
    if (s->completion_status && !one_of(s->completion_status, completion))
        abort();
    if (s->success_status && !one_of(s->success_status, success))
        abort();
    if (s->exit && !one_of(s->exit, exits))
        abort();
    if (s->has_score_scaled && (s->score_scaled < -1 || s->score_scaled > 1))
        abort();
    if (s->has_progress && (s->progress_measure < 0 || s->progress_measure > 1))
        abort();
    if (s->has_session_time && s->session_time_cs < 0)
        abort();
}

static void fuzz_body(cairn_scorm_version version, uint8_t rules_bits,
                      const uint8_t *p, size_t n)
{
    if (!depth_ok(p, n))
        return;
    json_error_t jerr;
    json_t *body = json_loadb((const char *)p, n, 0, &jerr);
    if (!body)
        return;

    cairn_cmi_summary s;
    cairn_cmi_error err;
    int rc = cairn_cmi_validate(version, body, &s, &err);
    if (rc != 0 && rc != -EINVAL)
        abort();
    if (rc != 0 && memchr(err.element, '\0', sizeof err.element) == NULL)
        abort();

    /* The subset must never fail, whatever it is given. */
    json_t *subset = cairn_cmi_writable_subset(version, body);
    if (!json_is_object(subset))
        abort();

    if (rc == 0) {
        check_summary(&s);
        cairn_cmi_summary s2;
        if (cairn_cmi_validate(version, subset, &s2, &err) != 0)
            abort();
        json_t *again = cairn_cmi_writable_subset(version, subset);
        if (!json_equal(again, subset))
            abort();
        json_decref(again);

        cairn_sco_rules rules = {
            .has_mastery_score = rules_bits & 2, .mastery_score = 80,
            .has_passing_score = rules_bits & 4, .scaled_passing_score = 0.5,
            .has_completion_threshold = rules_bits & 8, .completion_threshold = 0.75,
        };
        const char *c = "x", *su = "x";
        cairn_cmi_resolve_status(version, &s, &rules, &c, &su);
        static const char *const completion[] = {
            "completed", "incomplete", "not attempted", NULL};
        static const char *const success[] = {"passed", "failed", NULL};
        if ((c && !one_of(c, completion)) || (su && !one_of(su, success)))
            abort();
    }
    json_decref(subset);
    json_decref(body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > MAX_INPUT)
        return 0;
    cairn_scorm_version version = data[0] & 1 ? CAIRN_SCORM_2004 : CAIRN_SCORM_12;

    char *text = malloc(size);
    if (!text)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    fuzz_times(text);
    free(text);

    fuzz_body(version, data[0], data + 1, size - 1);
    return 0;
}
