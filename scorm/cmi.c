/* cmi.c: the SCORM 1.2 and 2004 run-time data models, checked on the server.
 *
 * Each edition is one table: a tree of elements, each with its type, its
 * limits and who may write it (see struct elem). Three walks read the same
 * tables: cairn_cmi_validate checks a commit body against them,
 * cairn_cmi_writable_subset copies out what the learner may write, and the
 * summary picks the few values the server acts on.
 *
 * Invariants the walks keep:
 *  1. Recursion follows the table, never the input: a body nested deeper than
 *     the data model is refused (or skipped) at the first unknown key, so
 *     attacker-chosen depth costs nothing.
 *  2. Work is linear in the body: every collection has a member cap, checked
 *     before its members are visited.
 *  3. An empty string or a JSON null is "not set". scorm-again serialises
 *     every element it has never set as "" (and its non-full commits write
 *     null), including collection members created by a failed SetValue, so
 *     neither is ever refused.
 *  4. Read-only elements are recognised (so they are not "undefined") and
 *     otherwise ignored, whatever their value: the server sets them itself.
 *  5. The server is never stricter than scorm-again where scorm-again follows
 *     the books, so that a commit the browser accepted is not thrown away
 *     whole. Exceptions, where the brief asks for the book's limit, are marked
 *     "stricter than scorm-again" below.
 */
#include "cmi.h"

#include <errno.h>
#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* The tables */

enum kind {
    K_IGNORED,      /* read-only: recognised, not looked at */
    K_NODE,         /* object whose keys are the children */
    K_LIST,         /* collection: array, or object keyed "0".."n-1" */
    K_TEXT,         /* characterstring, at most max characters */
    K_LOCALIZED,    /* 2004 localized_string_type: [{lang=xx}]text */
    K_ID12,         /* 1.2 CMIIdentifier */
    K_LONG_ID,      /* 2004 long_identifier_type */
    K_LANGUAGE,     /* 2004 language_type */
    K_VOCAB,
    K_REAL,         /* CMIDecimal / real(10,7), optional range */
    K_INT,          /* CMISInteger, with range */
    K_RESULT,       /* a vocabulary word or a decimal */
    K_TIMESPAN,     /* 1.2 CMITimespan */
    K_CLOCK,        /* 1.2 CMITime */
    K_DURATION,     /* 2004 timeinterval */
    K_TIMESTAMP,    /* 2004 time (second,10,0) */
    K_RESPONSE,     /* 2004 learner_response, shaped by the interaction type */
    K_PATTERN,      /* 2004 correct_responses.n.pattern, likewise */
    K_NAV,          /* adl.nav.request */
    K_STRMAP,       /* scorm-again's "sharedData": {id: string} */
};

enum access {
    RO,             /* set by the LMS; ignored in commits */
    RW,             /* stored and fed back */
    WO,             /* write-only in the book, stored all the same */
    SESSION,        /* checked, kept in the summary, never stored */
};

struct elem {
    const char *name;           /* NULL ends a table */
    enum kind kind;
    enum access access;
    unsigned max;               /* characters for strings, members for lists */
    bool has_lo, has_hi;
    double lo, hi;              /* range of K_REAL / K_INT */
    const char *const *vocab;   /* K_VOCAB, K_RESULT */
    const struct elem *children;/* K_NODE children, K_LIST member elements */
    bool interaction;           /* K_LIST whose members carry a 2004 "type" */
};

#define ELEM(n, k, a) .name = (n), .kind = (k), .access = (a)
#define END {.name = NULL}
#define IGNORED(n) {ELEM((n), K_IGNORED, RO)}
#define RANGE(l, h) .has_lo = true, .has_hi = true, .lo = (l), .hi = (h)

static const char *const v12_status[] = {
    "passed", "completed", "failed", "incomplete", "browsed", "not attempted",
    NULL};
/* "" is the book's "no exit"; scorm-again turns a content's "normal" into "" */
static const char *const v12_exit[] = {"time-out", "suspend", "logout", "", NULL};
static const char *const v12_type[] = {
    "true-false", "choice", "fill-in", "matching", "performance", "sequencing",
    "likert", "numeric", NULL};
static const char *const v12_result[] = {
    "correct", "wrong", "unanticipated", "neutral", NULL};

static const char *const v04_completion[] = {
    "completed", "incomplete", "not attempted", "unknown", NULL};
static const char *const v04_success[] = {"passed", "failed", "unknown", NULL};
static const char *const v04_exit[] = {
    "time-out", "suspend", "logout", "normal", "", NULL};
static const char *const v04_type[] = {
    "true-false", "choice", "fill-in", "long-fill-in", "matching",
    "performance", "sequencing", "likert", "numeric", "other", NULL};
static const char *const v04_result[] = {
    "correct", "incorrect", "unanticipated", "neutral", NULL};

/* Collection caps: the 2004 smallest-permitted-maximums scaled up where the
 * book's SPM is small, so that rich content still fits (interactions 250 ->
 * 1000, objectives 100, comments 250). */
#define MAX_INTERACTIONS 1000
#define MAX_OBJECTIVES 100
#define MAX_COMMENTS 250
#define MAX_SUB_ITEMS 100       /* interactions.n.objectives, correct_responses */
#define MAX_ADL_DATA 250
#define MAX_SHARED_DATA 250

/* --- SCORM 1.2 (RTE 3.4) --- */

/* CMIDecimal or "" with the range scorm-again and the book's text use */
static const struct elem score12[] = {
    {ELEM("raw", K_REAL, RW), RANGE(0, 100)},
    {ELEM("min", K_REAL, RW), RANGE(0, 100)},
    {ELEM("max", K_REAL, RW), RANGE(0, 100)},
    END};

static const struct elem core12[] = {
    IGNORED("student_id"),
    IGNORED("student_name"),
    {ELEM("lesson_location", K_TEXT, RW), .max = 255},
    IGNORED("credit"),
    {ELEM("lesson_status", K_VOCAB, RW), .vocab = v12_status},
    IGNORED("entry"),
    {ELEM("score", K_NODE, RW), .children = score12},
    IGNORED("total_time"),
    IGNORED("lesson_mode"),
    {ELEM("exit", K_VOCAB, SESSION), .vocab = v12_exit},
    {ELEM("session_time", K_TIMESPAN, SESSION)},
    END};

static const struct elem objective12[] = {
    {ELEM("id", K_ID12, RW), .max = 255},
    {ELEM("score", K_NODE, RW), .children = score12},
    {ELEM("status", K_VOCAB, RW), .vocab = v12_status},
    END};

static const struct elem preference12[] = {
    {ELEM("audio", K_INT, RW), RANGE(-1, 100)},
    {ELEM("language", K_TEXT, RW), .max = 255},
    {ELEM("speed", K_INT, RW), RANGE(-100, 100)},
    {ELEM("text", K_INT, RW), RANGE(-1, 1)},
    END};

static const struct elem iobjective12[] = {
    {ELEM("id", K_ID12, WO), .max = 255},
    END};

/* CMIFeedback: the book's SPM is 255, scorm-again checks neither length nor
 * format (legacy content writes long fill-in answers); 4096 bounds it. */
static const struct elem response12[] = {
    {ELEM("pattern", K_TEXT, WO), .max = 4096},
    END};

/* Interactions are write-only in 1.2 but still the learner's record. The
 * book gives weighting no range (scorm-again uses -100..100). */
static const struct elem interaction12[] = {
    {ELEM("id", K_ID12, WO), .max = 255},
    {ELEM("objectives", K_LIST, WO), .max = MAX_SUB_ITEMS, .children = iobjective12},
    {ELEM("time", K_CLOCK, WO)},
    {ELEM("type", K_VOCAB, WO), .vocab = v12_type},
    {ELEM("correct_responses", K_LIST, WO), .max = MAX_SUB_ITEMS, .children = response12},
    {ELEM("weighting", K_REAL, WO)},
    {ELEM("student_response", K_TEXT, WO), .max = 4096},
    {ELEM("result", K_RESULT, WO), .vocab = v12_result},
    {ELEM("latency", K_TIMESPAN, WO)},
    END};

static const struct elem cmi12[] = {
    {ELEM("core", K_NODE, RW), .children = core12},
    /* Stricter than scorm-again, which takes up to 64000 characters here. */
    /* CMIString4096 in the 1.2 book, but scorm-again accepts 64000 and
     * real content writes more than 4096: refusing it would throw away the
     * whole commit, status and score with it (docs/SCORM.md). */
    {ELEM("suspend_data", K_TEXT, RW), .max = 64000},
    IGNORED("launch_data"),
    {ELEM("comments", K_TEXT, RW), .max = 4096},
    IGNORED("comments_from_lms"),
    {ELEM("objectives", K_LIST, RW), .max = MAX_OBJECTIVES, .children = objective12},
    IGNORED("student_data"),
    {ELEM("student_preference", K_NODE, RW), .children = preference12},
    {ELEM("interactions", K_LIST, WO), .max = MAX_INTERACTIONS, .children = interaction12},
    END};

static const struct elem root12[] = {
    {ELEM("cmi", K_NODE, RW), .children = cmi12},
    END};

/* --- SCORM 2004 4th edition (RTE 4.2) --- */

static const struct elem score04[] = {
    {ELEM("scaled", K_REAL, RW), RANGE(-1, 1)},
    {ELEM("raw", K_REAL, RW)},
    {ELEM("min", K_REAL, RW)},
    {ELEM("max", K_REAL, RW)},
    END};

static const struct elem comment04[] = {
    {ELEM("comment", K_LOCALIZED, RW), .max = 4000},
    {ELEM("location", K_TEXT, RW), .max = 250},
    {ELEM("timestamp", K_TIMESTAMP, RW)},
    END};

static const struct elem iobjective04[] = {
    {ELEM("id", K_LONG_ID, RW), .max = 4000},
    END};

static const struct elem response04[] = {
    {ELEM("pattern", K_PATTERN, RW)},
    END};

/* Order matters for the writable subset, which loadFromJSON replays in key
 * order: id first, then type, before anything that depends on them. */
static const struct elem interaction04[] = {
    {ELEM("id", K_LONG_ID, RW), .max = 4000},
    {ELEM("type", K_VOCAB, RW), .vocab = v04_type},
    {ELEM("objectives", K_LIST, RW), .max = MAX_SUB_ITEMS, .children = iobjective04},
    {ELEM("timestamp", K_TIMESTAMP, RW)},
    {ELEM("correct_responses", K_LIST, RW), .max = MAX_SUB_ITEMS, .children = response04},
    {ELEM("weighting", K_REAL, RW)},
    {ELEM("learner_response", K_RESPONSE, RW)},
    {ELEM("result", K_RESULT, RW), .vocab = v04_result},
    {ELEM("latency", K_DURATION, RW)},
    {ELEM("description", K_LOCALIZED, RW), .max = 250},
    END};

static const struct elem preference04[] = {
    {ELEM("audio_level", K_REAL, RW), .has_lo = true, .lo = 0},
    {ELEM("language", K_LANGUAGE, RW), .max = 250},
    {ELEM("delivery_speed", K_REAL, RW), .has_lo = true, .lo = 0},
    {ELEM("audio_captioning", K_INT, RW), RANGE(-1, 1)},
    END};

static const struct elem objective04[] = {
    {ELEM("id", K_LONG_ID, RW), .max = 4000},
    {ELEM("score", K_NODE, RW), .children = score04},
    {ELEM("success_status", K_VOCAB, RW), .vocab = v04_success},
    {ELEM("completion_status", K_VOCAB, RW), .vocab = v04_completion},
    {ELEM("progress_measure", K_REAL, RW), RANGE(0, 1)},
    {ELEM("description", K_LOCALIZED, RW), .max = 250},
    END};

static const struct elem cmi04[] = {
    {ELEM("comments_from_learner", K_LIST, RW), .max = MAX_COMMENTS, .children = comment04},
    IGNORED("comments_from_lms"),
    {ELEM("completion_status", K_VOCAB, RW), .vocab = v04_completion},
    IGNORED("completion_threshold"),
    IGNORED("credit"),
    IGNORED("entry"),
    {ELEM("exit", K_VOCAB, SESSION), .vocab = v04_exit},
    {ELEM("interactions", K_LIST, RW), .max = MAX_INTERACTIONS, .children = interaction04,
     .interaction = true},
    IGNORED("launch_data"),
    IGNORED("learner_id"),
    IGNORED("learner_name"),
    {ELEM("learner_preference", K_NODE, RW), .children = preference04},
    {ELEM("location", K_TEXT, RW), .max = 1000},
    IGNORED("max_time_allowed"),
    IGNORED("mode"),
    {ELEM("objectives", K_LIST, RW), .max = MAX_OBJECTIVES, .children = objective04},
    {ELEM("progress_measure", K_REAL, RW), RANGE(0, 1)},
    IGNORED("scaled_passing_score"),
    {ELEM("score", K_NODE, RW), .children = score04},
    {ELEM("session_time", K_DURATION, SESSION)},
    {ELEM("success_status", K_VOCAB, RW), .vocab = v04_success},
    {ELEM("suspend_data", K_TEXT, RW), .max = 64000},
    IGNORED("time_limit_action"),
    IGNORED("total_time"),
    END};

static const struct elem nav04[] = {
    {ELEM("request", K_NAV, SESSION)},
    IGNORED("request_valid"),
    END};

/* adl.data.n.id comes from the manifest; only the store is the learner's. */
static const struct elem data04[] = {
    IGNORED("id"),
    {ELEM("store", K_TEXT, RW), .max = 64000},
    END};

static const struct elem adl04[] = {
    {ELEM("nav", K_NODE, RW), .children = nav04},
    {ELEM("data", K_LIST, RW), .max = MAX_ADL_DATA, .children = data04},
    END};

static const struct elem root04[] = {
    {ELEM("cmi", K_NODE, RW), .children = cmi04},
    {ELEM("adl", K_NODE, RW), .children = adl04},
    /* scorm-again 3.x adds the shared data stores this SCO may write; the
     * same values are in adl.data.n.store, so they are checked, not kept. */
    {ELEM("sharedData", K_STRMAP, SESSION), .max = 64000},
    END};

static const struct elem *root_table(cairn_scorm_version version)
{
    switch (version) {
    case CAIRN_SCORM_12:
        return root12;
    case CAIRN_SCORM_2004:
        return root04;
    }
    return NULL;
}

static const struct elem *find_elem(const struct elem *table, const char *name)
{
    for (const struct elem *e = table; e->name; e++)
        if (strcmp(e->name, name) == 0)
            return e;
    return NULL;
}

static bool in_vocab(const char *const *vocab, const char *s)
{
    for (; *vocab; vocab++)
        if (strcmp(*vocab, s) == 0)
            return true;
    return false;
}

/* ------------------------------------------------------------------ */
/* Lexical checks shared by several kinds */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_alnum(char c)
{
    return is_alpha(c) || is_digit(c);
}

/* Characters, as the books count them, of valid UTF-8 (jansson guarantees
 * it): every byte that does not continue a sequence starts one. */
static size_t utf8_chars(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            n++;
    return n;
}

/* strtod and printf read and write the decimal point of LC_NUMERIC; CMI
 * decimals always use ".". The server runs in the C locale, but a library
 * should not depend on that, so the point is swapped on the way in and out
 * (as cJSON does). */
static char locale_point(void)
{
    const char *p = localeconv()->decimal_point;
    return p && p[0] && !p[1] ? p[0] : '.';
}

/* CMIDecimal (1.2) and real(10,7) (2004): -?d*[.d*] with at least one digit
 * and at most ten before the point, as scorm-again allows. The grammar is
 * checked here; the value comes from strtod, which rounds correctly, so that
 * "0.99999999999999999" reads as 1 and never as a hair above it. */
#define MAX_DECIMAL_CHARS 64
#define MAX_ABS_DECIMAL 1e10

static bool parse_decimal(const char *s, size_t len, double *ret)
{
    if (len == 0 || len > MAX_DECIMAL_CHARS)
        return false;
    size_t i = s[0] == '-' ? 1 : 0;
    int int_digits = 0, frac_digits = 0;
    for (; i < len && is_digit(s[i]); i++)
        if (++int_digits > 10)
            return false;
    size_t point = len;
    if (i < len && s[i] == '.')
        for (point = i++; i < len && is_digit(s[i]); i++)
            frac_digits++;
    if (i != len || int_digits + frac_digits == 0)
        return false;
    char buf[MAX_DECIMAL_CHARS + 2];
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (point < len)
        buf[point] = locale_point();
    /* "-" or "." alone were refused above; "5." and ".5" are fine for strtod */
    *ret = strtod(buf, NULL);
    return true;
}

/* CMISInteger: -?d+, at most ten digits */
static bool parse_integer(const char *s, size_t len, double *ret)
{
    if (len == 0)
        return false;
    size_t i = s[0] == '-' ? 1 : 0;
    if (len <= i || len - i > 10)
        return false;
    double v = 0;
    for (; i < len; i++) {
        if (!is_digit(s[i]))
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *ret = s[0] == '-' ? -v : v;
    return true;
}

/* language_type (RFC 3066), as loose as scorm-again's check: a primary tag
 * of 1-8 letters ("i" and "x" included), then "-" and subtag characters. */
static bool is_language(const char *s, size_t len)
{
    if (len == 0 || len > 250)
        return false;
    size_t i = 0;
    while (i < len && is_alpha(s[i]))
        i++;
    if (i == 0 || i > 8)
        return false;
    if (i == len)
        return true;
    if (s[i++] != '-' || i == len)
        return false;
    for (; i < len; i++)
        if (!is_alnum(s[i]) && s[i] != '-')
            return false;
    return true;
}

/* localized_string_type: an optional "{lang=tag}" then the text. Sets
 * *ret_text to where the text starts. A well-formed delimiter with a bad
 * tag is refused; a "{" that does not form a delimiter is just text. */
static bool split_localized(const char *s, size_t len, size_t *ret_text)
{
    static const char open[] = "{lang=";
    const size_t olen = sizeof open - 1;
    *ret_text = 0;
    if (len < olen || memcmp(s, open, olen) != 0)
        return true;
    const char *close = memchr(s + olen, '}', len - olen);
    if (!close)
        return true;
    size_t tag_len = (size_t)(close - (s + olen));
    if (!is_language(s + olen, tag_len))
        return false;
    *ret_text = (size_t)(close - s) + 1;
    return true;
}

static bool localized_fits(const char *s, size_t len, unsigned max)
{
    size_t text;
    return split_localized(s, len, &text) && utf8_chars(s + text, len - text) <= max;
}

/* 1.2 CMIIdentifier as scorm-again checks it: printable ASCII and ASCII
 * white space (the book's letters-digits-dash-underscore is broken by much
 * real content: ids with dots, spaces and URLs). */
static bool is_id12(const char *s, size_t len)
{
    if (len > 255)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 0x21 && c <= 0x7E) || c == ' ' || (c >= '\t' && c <= '\r')))
            return false;
    }
    return true;
}

/* 2004 long_identifier_type: the book wants a URI; scorm-again takes any
 * line of 1-4000 characters. Control characters are refused. */
static bool is_long_id(const char *s, size_t len, unsigned max)
{
    if (len == 0 || utf8_chars(s, len) > max)
        return false;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7F)
            return false;
    return true;
}

/* 2004 short_identifier_type as scorm-again checks it: 1-250 characters of
 * [A-Za-z0-9_-()+.:=@;$!*'%/#] with at least one letter, digit or "_". */
static bool is_short_id(const char *s, size_t len)
{
    if (len == 0 || len > 250)
        return false;
    bool word = false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (is_alnum(c) || c == '_')
            word = true;
        else if (!strchr("-()+.:=@;$!*'%/#", c) || c == '\0')
            return false;
    }
    return word;
}

/* ------------------------------------------------------------------ */
/* 2004 learner_response and correct_responses.n.pattern (RTE 4.2.9) */

enum item {
    I_BOOL,         /* "true" | "false" */
    I_LONG_ID,
    I_SHORT_ID,
    I_LOCALIZED_250,
    I_LOCALIZED_4000,
    I_TEXT_4000,
    I_DECIMAL,
    I_RANGE,        /* numeric pattern: [min][:][max] */
    I_MATCH,        /* source[.]target, both short identifiers */
    I_STEP,         /* [step_name][.][step_answer] */
};

struct response_rule {
    const char *type;
    unsigned max_items;     /* the SPM of the list; 1 means "not a list" */
    enum item response, pattern;
};

static const struct response_rule response_rules[] = {
    {"true-false", 1, I_BOOL, I_BOOL},
    {"choice", 36, I_LONG_ID, I_LONG_ID},
    {"fill-in", 10, I_LOCALIZED_250, I_LOCALIZED_250},
    {"long-fill-in", 1, I_LOCALIZED_4000, I_LOCALIZED_4000},
    {"matching", 36, I_MATCH, I_MATCH},
    {"performance", 250, I_STEP, I_STEP},
    {"sequencing", 36, I_SHORT_ID, I_SHORT_ID},
    {"likert", 1, I_SHORT_ID, I_SHORT_ID},
    {"numeric", 1, I_DECIMAL, I_RANGE},
    {"other", 1, I_TEXT_4000, I_TEXT_4000},
};

static const char *find_delim(const char *s, size_t len, const char *delim)
{
    return memmem(s, len, delim, strlen(delim));
}

static bool check_item(enum item kind, const char *s, size_t len)
{
    const char *mid;
    double v;
    switch (kind) {
    case I_BOOL:
        return (len == 4 && memcmp(s, "true", 4) == 0) ||
               (len == 5 && memcmp(s, "false", 5) == 0);
    case I_LONG_ID:
        return is_long_id(s, len, 4000);
    case I_SHORT_ID:
        return is_short_id(s, len);
    case I_LOCALIZED_250:
        return localized_fits(s, len, 250);
    case I_LOCALIZED_4000:
        return localized_fits(s, len, 4000);
    case I_TEXT_4000:
        return utf8_chars(s, len) <= 4000;
    case I_DECIMAL:
        return parse_decimal(s, len, &v);
    case I_RANGE:
        mid = find_delim(s, len, "[:]");
        if (!mid)
            return parse_decimal(s, len, &v);
        return (mid == s || parse_decimal(s, (size_t)(mid - s), &v)) &&
               (mid + 3 == s + len ||
                parse_decimal(mid + 3, (size_t)(s + len - mid - 3), &v));
    case I_MATCH:
        mid = find_delim(s, len, "[.]");
        return mid && is_short_id(s, (size_t)(mid - s)) &&
               is_short_id(mid + 3, (size_t)(s + len - mid - 3));
    case I_STEP:
        mid = find_delim(s, len, "[.]");
        if (!mid)
            return utf8_chars(s, len) <= 250;
        return (mid == s || is_short_id(s, (size_t)(mid - s))) &&
               utf8_chars(mid + 3, (size_t)(s + len - mid - 3)) <= 250;
    }
    return false;
}

/* Leading {case_matters=...} / {order_matters=...} of a correct response. */
static size_t skip_pattern_flags(const char *s, size_t len)
{
    static const char *const flags[] = {
        "{case_matters=true}", "{case_matters=false}",
        "{order_matters=true}", "{order_matters=false}"};
    size_t off = 0;
    for (bool again = true; again;) {
        again = false;
        for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
            size_t fl = strlen(flags[i]);
            if (len - off >= fl && memcmp(s + off, flags[i], fl) == 0) {
                off += fl;
                again = true;
            }
        }
    }
    return off;
}

/* Returns NULL when the response fits the type, or why it does not. */
static const char *check_response(const char *type, bool pattern,
                                  const char *s, size_t len)
{
    const struct response_rule *rule = NULL;
    for (size_t i = 0; i < sizeof response_rules / sizeof response_rules[0]; i++)
        if (strcmp(response_rules[i].type, type) == 0)
            rule = &response_rules[i];
    if (!rule)
        return "the interaction type is unknown";
    enum item kind = pattern ? rule->pattern : rule->response;
    if (pattern) {
        size_t off = skip_pattern_flags(s, len);
        s += off;
        len -= off;
    }
    if (rule->max_items == 1)
        return check_item(kind, s, len) ? NULL : "it does not fit the interaction type";
    unsigned items = 0;
    for (;;) {
        const char *d = find_delim(s, len, "[,]");
        size_t ilen = d ? (size_t)(d - s) : len;
        if (++items > rule->max_items)
            return "it has more items than the interaction type allows";
        if (!check_item(kind, s, ilen))
            return "an item does not fit the interaction type";
        if (!d)
            return NULL;
        len -= ilen + 3;
        s = d + 3;
    }
}

/* adl.nav.request (SN book table 4.4.2a): what a SCO may ask for. */
static bool is_nav_request(const char *s)
{
    static const char *const plain[] = {
        "continue", "previous", "exit", "exitAll", "abandon", "abandonAll",
        "suspendAll", "_none_", NULL};
    if (in_vocab(plain, s))
        return true;
    static const char open[] = "{target=";
    if (strncmp(s, open, sizeof open - 1) != 0)
        return false;
    const char *t = s + sizeof open - 1;
    const char *close = strchr(t, '}');
    if (!close || close == t || !is_long_id(t, (size_t)(close - t), 4000))
        return false;
    for (const char *p = t; p < close; p++)
        if (*p == ' ')
            return false;
    return strcmp(close + 1, "choice") == 0 || strcmp(close + 1, "jump") == 0;
}

/* ------------------------------------------------------------------ */
/* Validation */

enum fault { F_UNDEFINED, F_TYPE, F_RANGE, F_INDEX, F_DEPENDENCY };

struct walk {
    cairn_scorm_version version;
    cairn_cmi_error *err;
    const char *itype;      /* type of the 2004 interaction being walked */
    size_t plen;
    char path[256];         /* dotted element name, e.g. cmi.core.exit */
};

static int scorm_code(cairn_scorm_version version, enum fault f)
{
    /* 1.2 has one code for every bad value, "incorrect data type" */
    static const int c12[] = {
        [F_UNDEFINED] = CAIRN_CMI_12_NOT_IMPLEMENTED,
        [F_TYPE] = CAIRN_CMI_12_TYPE_MISMATCH,
        [F_RANGE] = CAIRN_CMI_12_TYPE_MISMATCH,
        [F_INDEX] = CAIRN_CMI_12_INVALID_ARGUMENT,
        [F_DEPENDENCY] = CAIRN_CMI_12_TYPE_MISMATCH,
    };
    static const int c04[] = {
        [F_UNDEFINED] = CAIRN_CMI_2004_UNDEFINED,
        [F_TYPE] = CAIRN_CMI_2004_TYPE_MISMATCH,
        [F_RANGE] = CAIRN_CMI_2004_OUT_OF_RANGE,
        [F_INDEX] = CAIRN_CMI_2004_GENERAL_SET,
        [F_DEPENDENCY] = CAIRN_CMI_2004_DEPENDENCY,
    };
    return version == CAIRN_SCORM_12 ? c12[f] : c04[f];
}

__attribute__((format(printf, 3, 4)))
static int fail(struct walk *w, enum fault f, const char *fmt, ...)
{
    if (w->err) {
        w->err->scorm_code = scorm_code(w->version, f);
        size_t n = w->plen < sizeof w->err->element ? w->plen
                                                   : sizeof w->err->element - 1;
        memcpy(w->err->element, w->path, n);
        w->err->element[n] = '\0';
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(w->err->message, sizeof w->err->message, fmt, ap);
        va_end(ap);
    }
    return -EINVAL;
}

static size_t path_push(struct walk *w, const char *name)
{
    size_t old = w->plen;
    int n = snprintf(w->path + old, sizeof w->path - old, "%s%s",
                     old ? "." : "", name);
    if (n > 0)
        w->plen = old + (size_t)n < sizeof w->path ? old + (size_t)n
                                                   : sizeof w->path - 1;
    return old;
}

static void path_pop(struct walk *w, size_t old)
{
    w->plen = old;
    w->path[old] = '\0';
}

static const char *edition(const struct walk *w)
{
    return w->version == CAIRN_SCORM_12 ? "SCORM 1.2" : "SCORM 2004";
}

static bool numeric_kind(enum kind k)
{
    return k == K_REAL || k == K_INT || k == K_RESULT;
}

/* A JSON number or boolean where a number is expected: booleans count as
 * 1 and 0. Same bound as the ten digits a string may have. */
static bool json_numeric(json_t *v, double *ret)
{
    double d;
    if (json_is_integer(v))
        d = (double)json_integer_value(v);
    else if (json_is_real(v))
        d = json_real_value(v);
    else if (json_is_boolean(v))
        d = json_is_true(v) ? 1 : 0;
    else
        return false;
    if (!isfinite(d) || fabs(d) >= MAX_ABS_DECIMAL)
        return false;
    *ret = d;
    return true;
}

static int check_range(struct walk *w, const struct elem *e, double v)
{
    if ((e->has_lo && v < e->lo) || (e->has_hi && v > e->hi)) {
        if (e->has_hi)
            return fail(w, F_RANGE, "%g is outside %g..%g", v, e->lo, e->hi);
        return fail(w, F_RANGE, "%g is below %g", v, e->lo);
    }
    return 0;
}

static int check_leaf(struct walk *w, const struct elem *e, json_t *val)
{
    double num;
    if (!json_is_string(val)) {
        if (!numeric_kind(e->kind))
            return fail(w, F_TYPE, "the value must be a string");
        if (!json_numeric(val, &num))
            return fail(w, F_TYPE, "the value must be a number or a string");
        if (e->kind == K_INT && num != floor(num))
            return fail(w, F_TYPE, "%g is not an integer", num);
        return e->kind == K_RESULT ? 0 : check_range(w, e, num);
    }

    const char *s = json_string_value(val);
    size_t len = json_string_length(val);
    if (len == 0)
        return 0;       /* not set (invariant 3) */
    if (strlen(s) != len && e->kind != K_TEXT && e->kind != K_LOCALIZED)
        return fail(w, F_TYPE, "the value holds a NUL character");

    size_t chars, text;
    const char *why;
    switch (e->kind) {
    case K_TEXT:
        chars = utf8_chars(s, len);
        if (chars > e->max)
            return fail(w, F_TYPE, "%zu characters; the limit is %u", chars, e->max);
        return 0;
    case K_LOCALIZED:
        if (!split_localized(s, len, &text))
            return fail(w, F_TYPE, "the {lang=...} delimiter is not a language");
        chars = utf8_chars(s + text, len - text);
        if (chars > e->max)
            return fail(w, F_TYPE, "%zu characters; the limit is %u", chars, e->max);
        return 0;
    case K_ID12:
        if (!is_id12(s, len))
            return fail(w, F_TYPE, "not a CMIIdentifier (printable ASCII, at most 255)");
        return 0;
    case K_LONG_ID:
        if (!is_long_id(s, len, e->max))
            return fail(w, F_TYPE, "not an identifier (at most %u characters, "
                        "no control characters)", e->max);
        return 0;
    case K_LANGUAGE:
        if (!is_language(s, len))
            return fail(w, F_TYPE, "\"%.60s\" is not a language code", s);
        return 0;
    case K_VOCAB:
        if (!in_vocab(e->vocab, s))
            return fail(w, F_TYPE, "\"%.60s\" is not a %s", s, e->name);
        return 0;
    case K_REAL:
        if (!parse_decimal(s, len, &num))
            return fail(w, F_TYPE, "\"%.60s\" is not a decimal number", s);
        return check_range(w, e, num);
    case K_INT:
        if (!parse_integer(s, len, &num))
            return fail(w, F_TYPE, "\"%.60s\" is not an integer", s);
        return check_range(w, e, num);
    case K_RESULT:
        if (!in_vocab(e->vocab, s) && !parse_decimal(s, len, &num))
            return fail(w, F_TYPE, "\"%.60s\" is not a result", s);
        return 0;
    case K_TIMESPAN: {
        int64_t cs;
        if (cairn_time_parse_timespan(s, &cs) < 0)
            return fail(w, F_TYPE, "\"%.60s\" is not a CMITimespan (HHHH:MM:SS.SS)", s);
        return 0;
    }
    case K_CLOCK: {
        int64_t cs;
        if (cairn_time_parse_clock(s, &cs) < 0)
            return fail(w, F_TYPE, "\"%.60s\" is not a CMITime (HH:MM:SS.SS)", s);
        return 0;
    }
    case K_DURATION: {
        int64_t cs;
        if (cairn_time_parse_duration(s, &cs) < 0)
            return fail(w, F_TYPE, "\"%.60s\" is not an ISO 8601 duration", s);
        return 0;
    }
    case K_TIMESTAMP:
        if (cairn_time_check_timestamp(s) < 0)
            return fail(w, F_TYPE, "\"%.60s\" is not an ISO 8601 time", s);
        return 0;
    case K_RESPONSE:
    case K_PATTERN:
        if (!w->itype)
            return fail(w, F_DEPENDENCY, "the interaction has no type");
        why = check_response(w->itype, e->kind == K_PATTERN, s, len);
        if (why)
            return fail(w, F_TYPE, "not a %s response: %s", w->itype, why);
        return 0;
    case K_NAV:
        if (!is_nav_request(s))
            return fail(w, F_TYPE, "\"%.60s\" is not a navigation request", s);
        return 0;
    case K_IGNORED:
    case K_NODE:
    case K_LIST:
    case K_STRMAP:
        break;
    }
    return 0;
}

static int walk_node(struct walk *w, const struct elem *table, json_t *obj);
static int walk_elem(struct walk *w, const struct elem *e, json_t *val);

/* A collection index as scorm-again writes it: "0", "17", no sign, no
 * leading zero. Returns -1 when the key is not one. */
static long parse_index(const char *key)
{
    if (!is_digit(key[0]) || (key[0] == '0' && key[1]) || strlen(key) > 9)
        return -1;
    long v = 0;
    for (const char *p = key; *p; p++) {
        if (!is_digit(*p))
            return -1;
        v = v * 10 + (*p - '0');
    }
    return v;
}

static json_t *list_member(json_t *list, size_t i)
{
    if (json_is_array(list))
        return json_array_get(list, i);
    char key[24];
    snprintf(key, sizeof key, "%zu", i);
    return json_object_get(list, key);
}

/* Counts a collection and checks that its indexes run 0..n-1 without a gap
 * and stay under the cap. */
static int list_count(struct walk *w, const struct elem *e, json_t *list,
                      size_t *ret_n)
{
    size_t n = 0;
    if (json_is_array(list)) {
        n = json_array_size(list);
    } else if (json_is_object(list)) {
        const char *key;
        json_t *m;
        json_object_foreach(list, key, m) {
            if (key[0] == '_')
                continue;       /* _count, _children */
            if (parse_index(key) < 0) {
                size_t mark = path_push(w, key);
                int rc = fail(w, F_UNDEFINED, "%s is not a %s element", w->path,
                              edition(w));
                path_pop(w, mark);
                return rc;
            }
            n++;
        }
        json_object_foreach(list, key, m) {
            long i = key[0] == '_' ? -1 : parse_index(key);
            if (i >= 0 && (size_t)i >= n) {
                size_t mark = path_push(w, key);
                int rc = fail(w, F_INDEX, "index %ld leaves a gap: the collection "
                              "has %zu members", i, n);
                path_pop(w, mark);
                return rc;
            }
        }
    } else {
        return fail(w, F_TYPE, "a collection must be an array or an object");
    }
    if (n > e->max)
        return fail(w, F_INDEX, "%zu members; the limit is %u", n, e->max);
    *ret_n = n;
    return 0;
}

static int walk_list(struct walk *w, const struct elem *e, json_t *list)
{
    size_t n = 0;
    int rc = list_count(w, e, list, &n);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n && rc == 0; i++) {
        char idx[24];
        snprintf(idx, sizeof idx, "%zu", i);
        size_t mark = path_push(w, idx);
        json_t *m = list_member(list, i);
        const char *saved_type = w->itype;
        if (!json_is_object(m)) {
            rc = fail(w, F_INDEX, "a member must be an object");
        } else if (e->interaction) {
            /* the type decides what learner_response and the patterns may
             * hold, whatever order the keys come in: check it first */
            json_t *type = json_object_get(m, "type");
            const struct elem *te = find_elem(e->children, "type");
            size_t tmark = path_push(w, "type");
            rc = type ? walk_elem(w, te, type) : 0;
            path_pop(w, tmark);
            w->itype = json_is_string(type) && json_string_length(type) > 0
                     ? json_string_value(type) : NULL;
        }
        if (rc == 0)
            rc = walk_node(w, e->children, m);
        w->itype = saved_type;
        path_pop(w, mark);
    }
    return rc;
}

static int walk_strmap(struct walk *w, const struct elem *e, json_t *map)
{
    if (!json_is_object(map))
        return fail(w, F_TYPE, "the value must be an object");
    if (json_object_size(map) > MAX_SHARED_DATA)
        return fail(w, F_INDEX, "%zu entries; the limit is %d",
                    json_object_size(map), MAX_SHARED_DATA);
    const char *key;
    json_t *v;
    json_object_foreach(map, key, v) {
        size_t mark = path_push(w, key);
        int rc = 0;
        if (!json_is_string(v) && !json_is_null(v))
            rc = fail(w, F_TYPE, "the value must be a string");
        else if (v && json_is_string(v) &&
                 utf8_chars(json_string_value(v), json_string_length(v)) > e->max)
            rc = fail(w, F_TYPE, "more than %u characters", e->max);
        path_pop(w, mark);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int walk_elem(struct walk *w, const struct elem *e, json_t *val)
{
    if (e->access == RO || json_is_null(val))
        return 0;       /* invariants 3 and 4 */
    switch (e->kind) {
    case K_NODE:
        return walk_node(w, e->children, val);
    case K_LIST:
        return walk_list(w, e, val);
    case K_STRMAP:
        return walk_strmap(w, e, val);
    default:
        return check_leaf(w, e, val);
    }
}

static int walk_node(struct walk *w, const struct elem *table, json_t *obj)
{
    if (!json_is_object(obj))
        return fail(w, F_TYPE, "the value must be an object");
    const char *key;
    json_t *val;
    json_object_foreach(obj, key, val) {
        if (key[0] == '_')
            continue;   /* _children, _count, _version: keywords, not data */
        size_t mark = path_push(w, key);
        const struct elem *e = find_elem(table, key);
        int rc = e ? walk_elem(w, e, val)
                   : fail(w, F_UNDEFINED, "%s is not a %s element", w->path,
                          edition(w));
        path_pop(w, mark);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* The summary: read once the body is known to be valid */

static json_t *at(json_t *v, const char *const *keys)
{
    for (; v && *keys; keys++)
        v = json_is_object(v) ? json_object_get(v, *keys) : NULL;
    return v;
}

#define AT(v, ...) at((v), (const char *const[]){__VA_ARGS__, NULL})

/* A string value, or NULL when absent or null; "" kept when keep_empty. */
static const char *string_of(json_t *v, bool keep_empty)
{
    if (!json_is_string(v))
        return NULL;
    if (!keep_empty && json_string_length(v) == 0)
        return NULL;
    return json_string_value(v);
}

static bool number_of(json_t *v, double *ret)
{
    if (json_is_string(v))
        return parse_decimal(json_string_value(v), json_string_length(v), ret);
    return json_numeric(v, ret);
}

static size_t count_of(json_t *list)
{
    if (json_is_array(list))
        return json_array_size(list);
    size_t n = 0;
    const char *key;
    json_t *m;
    json_object_foreach(list, key, m)
        if (key[0] != '_')
            n++;
    return n;
}

static void read_score(json_t *score, cairn_cmi_summary *s)
{
    s->has_score_scaled = number_of(AT(score, "scaled"), &s->score_scaled);
    s->has_score_raw = number_of(AT(score, "raw"), &s->score_raw);
    s->has_score_min = number_of(AT(score, "min"), &s->score_min);
    s->has_score_max = number_of(AT(score, "max"), &s->score_max);
}

/* 1.2 lesson_status read in the 2004 vocabulary (see cmi.h) */
static void map_lesson_status(const char *ls, cairn_cmi_summary *s)
{
    static const struct {
        const char *lesson_status, *completion, *success;
    } map[] = {
        {"passed", "completed", "passed"},
        {"failed", "completed", "failed"},
        {"completed", "completed", "unknown"},
        {"incomplete", "incomplete", "unknown"},
        {"browsed", "incomplete", "unknown"},
        {"not attempted", "not attempted", "unknown"},
    };
    for (size_t i = 0; ls && i < sizeof map / sizeof map[0]; i++) {
        if (strcmp(map[i].lesson_status, ls) == 0) {
            s->completion_status = map[i].completion;
            s->success_status = map[i].success;
        }
    }
}

static void summarise(cairn_scorm_version version, json_t *body,
                      cairn_cmi_summary *s)
{
    memset(s, 0, sizeof *s);
    json_t *cmi = AT(body, "cmi");
    json_t *session_time;
    if (version == CAIRN_SCORM_12) {
        json_t *core = AT(cmi, "core");
        s->lesson_status = string_of(AT(core, "lesson_status"), false);
        map_lesson_status(s->lesson_status, s);
        read_score(AT(core, "score"), s);
        s->has_score_scaled = false;    /* not a 1.2 element */
        s->exit = string_of(AT(core, "exit"), true);
        s->location = string_of(AT(core, "lesson_location"), true);
        session_time = AT(core, "session_time");
        if (string_of(session_time, false))
            s->has_session_time = cairn_time_parse_timespan(
                json_string_value(session_time), &s->session_time_cs) == 0;
    } else {
        s->completion_status = string_of(AT(cmi, "completion_status"), false);
        s->success_status = string_of(AT(cmi, "success_status"), false);
        read_score(AT(cmi, "score"), s);
        s->has_progress = number_of(AT(cmi, "progress_measure"), &s->progress_measure);
        s->exit = string_of(AT(cmi, "exit"), true);
        s->location = string_of(AT(cmi, "location"), true);
        session_time = AT(cmi, "session_time");
        if (string_of(session_time, false))
            s->has_session_time = cairn_time_parse_duration(
                json_string_value(session_time), &s->session_time_cs) == 0;
    }
    s->suspend_data = string_of(AT(cmi, "suspend_data"), true);
    s->interaction_count = count_of(AT(cmi, "interactions"));
}

int cairn_cmi_validate(cairn_scorm_version version, json_t *body,
                       cairn_cmi_summary *ret, cairn_cmi_error *err)
{
    struct walk w = {.version = version, .err = err};
    const struct elem *root = root_table(version);
    if (!root) {
        if (err) {
            *err = (cairn_cmi_error){.scorm_code = 0};
            snprintf(err->message, sizeof err->message,
                     "%d is not a SCORM version", (int)version);
        }
        return -EINVAL;
    }
    if (!json_is_object(body))
        return fail(&w, F_TYPE, "the commit body must be a JSON object");
    int rc = walk_node(&w, root, body);
    if (rc < 0)
        return rc;
    if (ret)
        summarise(version, body, ret);
    return 0;
}

/* ------------------------------------------------------------------ */
/* The writable subset */

/* A number as the string loadFromJSON needs: the shortest fixed-point
 * form that reads back as the same double (never an exponent, which
 * CMIDecimal does not allow). */
static json_t *number_string(double v)
{
    char buf[64];
    char point = locale_point();
    for (int prec = 0; prec <= 18; prec++) {
        snprintf(buf, sizeof buf, "%.*f", prec, v);
        char *p = strchr(buf, point);
        if (p)
            *p = '.';
        double back;
        /* past 18 digits (tiny values) the last try stands: rounding to
         * a whole bound never leaves a range whose bounds are whole */
        if (parse_decimal(buf, strlen(buf), &back) && back == v)
            break;
    }
    return json_string(buf);
}

static json_t *subset_leaf(const struct elem *e, json_t *v)
{
    double num;
    if (json_is_string(v))
        return json_stringn(json_string_value(v), json_string_length(v));
    if (!numeric_kind(e->kind) || !json_numeric(v, &num))
        return NULL;
    if (json_is_integer(v)) {
        char buf[32];
        snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return json_string(buf);
    }
    return number_string(num);
}

static json_t *subset_node(const struct elem *table, json_t *obj, bool *oom);

static json_t *subset_list(const struct elem *e, json_t *list, bool *oom)
{
    size_t n = count_of(list);
    if (n > e->max)
        n = e->max;
    json_t *out = json_is_array(list) ? json_array() : json_object();
    if (!out) {
        *oom = true;
        return NULL;
    }
    for (size_t i = 0; i < n && !*oom; i++) {
        json_t *m = list_member(list, i);
        if (!json_is_object(m))
            continue;
        json_t *c = subset_node(e->children, m, oom);
        if (!c)
            continue;
        int rc;
        if (json_is_array(out)) {
            rc = json_array_append_new(out, c);
        } else {
            char key[24];
            snprintf(key, sizeof key, "%zu", i);
            rc = json_object_set_new(out, key, c);
        }
        if (rc < 0)
            *oom = true;
    }
    return out;
}

/* Copies the writable elements of obj in table order (see interaction04).
 * Lists are kept even when empty, so that indexes stay in step; other
 * nodes are dropped when nothing in them is writable. */
static json_t *subset_node(const struct elem *table, json_t *obj, bool *oom)
{
    json_t *out = json_object();
    if (!out) {
        *oom = true;
        return NULL;
    }
    for (const struct elem *e = table; e->name && !*oom; e++) {
        if (e->access == RO || e->access == SESSION)
            continue;
        json_t *v = json_object_get(obj, e->name);
        if (!v || json_is_null(v))
            continue;
        json_t *c = NULL;
        switch (e->kind) {
        case K_NODE:
            if (json_is_object(v)) {
                c = subset_node(e->children, v, oom);
                if (c && json_object_size(c) == 0) {
                    json_decref(c);
                    c = NULL;
                }
            }
            break;
        case K_LIST:
            if (json_is_array(v) || json_is_object(v))
                c = subset_list(e, v, oom);
            break;
        case K_IGNORED:
        case K_STRMAP:
            break;
        default:
            c = subset_leaf(e, v);
            if (!c && json_is_string(v))
                *oom = true;
            break;
        }
        if (c && json_object_set_new(out, e->name, c) < 0)
            *oom = true;
    }
    if (*oom) {
        json_decref(out);
        return NULL;
    }
    return out;
}

json_t *cairn_cmi_writable_subset(cairn_scorm_version version, json_t *body)
{
    const struct elem *root = root_table(version);
    if (!root || !json_is_object(body))
        return json_object();
    bool oom = false;
    return subset_node(root, body, &oom);
}

/* ------------------------------------------------------------------ */
/* Status */

/* The static spelling of a summary string, so callers may keep it. */
static const char *canonical(const char *s, const char *const *vocab)
{
    for (; s && *vocab; vocab++)
        if (strcmp(*vocab, s) == 0)
            return *vocab;
    return NULL;
}

void cairn_cmi_resolve_status(cairn_scorm_version version,
                              const cairn_cmi_summary *s,
                              const cairn_sco_rules *rules,
                              const char **ret_completion,
                              const char **ret_success)
{
    static const char *const completion_words[] = {
        "completed", "incomplete", "not attempted", NULL};
    static const char *const success_words[] = {"passed", "failed", NULL};
    static const cairn_sco_rules no_rules;
    if (!rules)
        rules = &no_rules;

    const char *completion = NULL, *success = NULL;
    if (s) {
        /* "unknown" is no answer: it stays NULL here */
        completion = canonical(s->completion_status, completion_words);
        success = canonical(s->success_status, success_words);

        if (version == CAIRN_SCORM_12) {
            /* RTE 3.4.4: with a mastery score and a raw score, the LMS
             * decides passed/failed unless the SCO did. In 1.2 passed and
             * failed both mean completed. */
            if (!success && rules->has_mastery_score && s->has_score_raw) {
                success = s->score_raw >= rules->mastery_score ? success_words[0]
                                                               : success_words[1];
                completion = completion_words[0];
            }
        } else {
            /* RTE 4th ed. 4.2.21 and 4.2.4: when the LMS knows a scaled
             * passing score (completion threshold) and the SCO reports a
             * scaled score (progress measure), the comparison decides,
             * whatever status the SCO set. */
            if (rules->has_passing_score && s->has_score_scaled)
                success = s->score_scaled >= rules->scaled_passing_score
                        ? success_words[0] : success_words[1];
            if (rules->has_completion_threshold && s->has_progress)
                completion = s->progress_measure >= rules->completion_threshold
                           ? completion_words[0] : completion_words[1];
        }
    }
    if (ret_completion)
        *ret_completion = completion;
    if (ret_success)
        *ret_success = success;
}
