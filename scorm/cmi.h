/* cmi.h: the SCORM run-time data model as the server sees it.
 *
 * The browser runs scorm-again, which already enforces the data model while
 * content calls SetValue. The server does not trust that: every commit body is
 * validated again here against SCORM 1.2 (RTE 3.4) or SCORM 2004 4th edition
 * (RTE 4.2) before anything is stored: vocabularies, types, ranges and
 * lengths. A commit that breaks a rule is refused whole, with the SCORM error
 * code that SetValue would have returned and the element at fault.
 *
 * Times are held as centiseconds (int64_t), the resolution both editions
 * use: CMITimespan "HHHH:MM:SS.SS" in 1.2, ISO 8601 durations in 2004.
 */
#ifndef CAIRN_CMI_H
#define CAIRN_CMI_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum cairn_scorm_version {
    CAIRN_SCORM_12 = 12,
    CAIRN_SCORM_2004 = 2004,
} cairn_scorm_version;

/* SCORM error codes the server answers with (the same numbers SetValue uses). */
enum {
    CAIRN_CMI_12_INVALID_ARGUMENT = 201,
    CAIRN_CMI_12_NOT_IMPLEMENTED = 401,   /* unknown element */
    CAIRN_CMI_12_READ_ONLY = 403,
    CAIRN_CMI_12_TYPE_MISMATCH = 405,     /* "incorrect data type" */
    CAIRN_CMI_2004_GENERAL_SET = 351,
    CAIRN_CMI_2004_UNDEFINED = 401,       /* undefined data model element */
    CAIRN_CMI_2004_READ_ONLY = 404,
    CAIRN_CMI_2004_TYPE_MISMATCH = 406,
    CAIRN_CMI_2004_OUT_OF_RANGE = 407,
    CAIRN_CMI_2004_DEPENDENCY = 408,     /* learner_response without a type */
};

typedef struct cairn_cmi_error {
    int scorm_code;          /* one of the codes above */
    char element[128];       /* e.g. "cmi.core.lesson_status" */
    char message[256];       /* e.g. "\"done\" is not a lesson_status" */
} cairn_cmi_error;

/* What the server needs to know of one commit, after validation. Strings are
 * borrowed from the json_t the summary was made from: keep that alive. */
typedef struct cairn_cmi_summary {
    /* 2004 vocabulary, also used for 1.2 after mapping (see
     * cairn_cmi_resolve_status): "completed", "incomplete", "not attempted",
     * "unknown", or NULL when the commit does not say. */
    const char *completion_status;
    /* "passed", "failed", "unknown", or NULL when the commit does not say. */
    const char *success_status;
    /* 1.2 only: cmi.core.lesson_status as sent, or NULL. */
    const char *lesson_status;
    bool has_score_scaled; double score_scaled;   /* -1..1 (2004) */
    bool has_score_raw;    double score_raw;
    bool has_score_min;    double score_min;
    bool has_score_max;    double score_max;
    bool has_progress;     double progress_measure; /* 0..1 (2004) */
    bool has_session_time; int64_t session_time_cs;
    const char *exit;           /* "", "suspend", "logout", "normal", "time-out", or NULL */
    const char *location;       /* lesson_location / location, or NULL */
    const char *suspend_data;   /* or NULL */
    size_t interaction_count;
} cairn_cmi_summary;

/* Validates a commit body as scorm-again sends it with dataCommitFormat
 * "json": {"cmi": {...}, "adl": {...}} nested objects whose leaves are
 * strings (numbers and booleans are accepted where the element is numeric).
 * Read-only elements that scorm-again includes in full commits (e.g.
 * cmi.core.student_id, cmi.learner_name, cmi.core.total_time, cmi.entry,
 * cmi.credit, cmi.mode, cmi.launch_data, the _children and _count keywords)
 * are accepted and ignored, never stored from the client.
 * An empty string or a JSON null means "not set" and is always accepted:
 * scorm-again writes "" for every element it has never set. Collections may
 * be arrays or objects keyed "0".."n-1"; a gap or too many members (1000
 * interactions, 100 objectives, 250 comments) is refused with 201 (1.2) or
 * 351 (2004), an unknown element with 401, a bad value with 405 (1.2) or
 * 406 / 407 (2004), a 2004 response without an interaction type with 408.
 * Returns 0 and fills *ret, or -EINVAL and fills *err (either may be NULL). */
int cairn_cmi_validate(cairn_scorm_version version, json_t *body,
                       cairn_cmi_summary *ret, cairn_cmi_error *err);

/* Returns a new object holding only the learner-writable elements of a body
 * already accepted by cairn_cmi_validate, in the same nested shape: what the
 * server stores and later feeds back with loadFromJSON. Left out as well are
 * the values that belong to one session only: session_time, exit and
 * adl.nav.request (the summary carries them; feeding them back would make
 * the next session report them again), and 2004 "sharedData". Numbers are
 * written back as strings, since loadFromJSON drops a numeric 0; collections
 * keep their array or object form. Never fails on a body that was not
 * validated (it skips what it does not recognise); NULL only when out of
 * memory. The caller owns the result. */
json_t *cairn_cmi_writable_subset(cairn_scorm_version version, json_t *body);

/* What the manifest says about deciding status (all optional). */
typedef struct cairn_sco_rules {
    bool has_mastery_score;     double mastery_score;        /* 1.2, 0..100 raw */
    bool has_passing_score;     double scaled_passing_score; /* 2004, -1..1 */
    bool has_completion_threshold; double completion_threshold; /* 2004, 0..1 */
} cairn_sco_rules;

/* The status the learner record keeps for one SCO, from a validated summary
 * and the manifest's rules:
 *  - 1.2 lesson_status maps to completion/success: "passed" and "failed"
 *    count as completed; "completed" completed with success unknown;
 *    "incomplete"/"browsed" incomplete; "not attempted" not attempted.
 *  - 1.2 mastery score applies when the SCO reports a raw score but no
 *    passed/failed status (raw >= mastery passes); the result counts as
 *    completed, as passed and failed do in 1.2.
 *  - 2004 scaled_passing_score applies when success_status is unknown or
 *    absent and score.scaled is present; completion_threshold applies to
 *    progress_measure when completion_status is unknown or absent.
 * Either out pointer is set to a static string or to NULL when unknown
 * ("unknown" is never returned). rules may be NULL (no rules); s may be NULL
 * (nothing known); either out pointer may be NULL. */
void cairn_cmi_resolve_status(cairn_scorm_version version,
                              const cairn_cmi_summary *s,
                              const cairn_sco_rules *rules,
                              const char **ret_completion,
                              const char **ret_success);

/* --- time (cmitime.c) --- */

/* SCORM 1.2 CMITimespan: HHHH:MM:SS.SS (hours 2-4 digits, optional 1-2
 * digit fraction). Returns 0 or -EINVAL. */
int cairn_time_parse_timespan(const char *s, int64_t *ret_cs);
/* SCORM 2004 timeinterval (second, 10, 2): ISO 8601 duration such as
 * "PT1H3M2.5S" or "P1DT2H". Years and months count as 365 and 30 days, as
 * the RTE book allows. Returns 0 or -EINVAL. */
int cairn_time_parse_duration(const char *s, int64_t *ret_cs);
/* Formats into buf (at least 32 bytes): "0012:03:04.50" / "PT12H3M4.5S". */
void cairn_time_format_timespan(int64_t cs, char *buf, size_t len);
void cairn_time_format_duration(int64_t cs, char *buf, size_t len);
/* SCORM 1.2 CMITime, a time of day: HH:MM:SS with an optional 1-2 digit
 * fraction (cmi.interactions.n.time). *ret_cs is centiseconds since
 * midnight. Returns 0 or -EINVAL. */
int cairn_time_parse_clock(const char *s, int64_t *ret_cs);
/* SCORM 2004 time (second,10,0), a point in time:
 * YYYY[-MM[-DD[Thh[:mm[:ss[.s[TZD]]]]]]], TZD being Z, +hh or +hh:mm (or -).
 * The RTE book wants a fraction before a TZD; "...:00Z" is accepted too,
 * as most tools write it. Returns 0 or -EINVAL. */
int cairn_time_check_timestamp(const char *s);

#endif
