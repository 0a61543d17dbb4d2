/* api_lists.c: officers' lists of learners and of record entries, with
 * filters, sorting and pages, their CSV exports, and per-question analytics
 * of a module (docs/API.md "Lists and exports", "Question analytics").
 *
 * Scope: an officer sees their own borough's learners (asking for another
 * borough is 403); an admin sees every borough, or one with ?borough=ID.
 *
 * Exports stream: ?format=csv answers with a chunked body produced while it
 * is sent (reply_stream), read row by row from a cursor on a database
 * connection of the export's own (store_lists.h), so neither the rows nor
 * the CSV text are ever held whole in memory. */
#include "api.h"
#include "csv.h"
#include "audit.h"
#include "compliance.h"
#include "report_columns.h"
#include "store_compliance.h"
#include "store_lists.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { LIST_LIMIT_DEFAULT = 50, LIST_LIMIT_MAX = 200, TEXT_FILTER_MAX = 200 };

/* ---- parameters (each bad one answers 422 naming it) ---- */

static bool param_id(cairn_req *r, const char *key, int64_t *ret)
{
    const char *v = req_query(r, key);
    *ret = 0;
    if (!v || !*v)
        return true;
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno || *end || n <= 0 || n > 999999999999LL || !isdigit((unsigned char)v[0])) {
        reply_invalid(r, key, "%s must be a positive whole number.", key);
        return false;
    }
    *ret = n;
    return true;
}

/* A real calendar date YYYY-MM-DD. */
static bool param_date(cairn_req *r, const char *key, const char **ret)
{
    const char *v = req_query(r, key);
    *ret = NULL;
    if (!v || !*v)
        return true;
    int y, m, d;
    char tail;
    bool ok = strlen(v) == 10 && v[4] == '-' && v[7] == '-' &&
              sscanf(v, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3 && y >= 1900 && y <= 9999 &&
              m >= 1 && m <= 12 && d >= 1;
    if (ok) {
        static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        ok = d <= mdays[m - 1] + (m == 2 && leap);
    }
    if (!ok) {
        reply_invalid(r, key, "%s must be a date written YYYY-MM-DD, such as 2026-03-31.", key);
        return false;
    }
    *ret = v;
    return true;
}

/* One of words (NULL-terminated); the static spelling in *ret. */
static bool param_word(cairn_req *r, const char *key, const char *const *words,
                       const char *dflt, const char **ret)
{
    const char *v = req_query(r, key);
    *ret = dflt;
    if (!v || !*v)
        return true;
    for (const char *const *w = words; *w; w++) {
        if (strcmp(v, *w) == 0) {
            *ret = *w;
            return true;
        }
    }
    char list[300] = "";
    for (const char *const *w = words; *w; w++) {
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "", *w);
    }
    reply_invalid(r, key, "%s must be one of: %s.", key, list);
    return false;
}

/* Free text, at most TEXT_FILTER_MAX characters, no control characters. */
static bool param_text(cairn_req *r, const char *key, const char **ret)
{
    const char *v = req_query(r, key);
    *ret = NULL;
    if (!v)
        return true;
    while (*v == ' ')
        v++;
    if (!*v)
        return true;
    size_t chars = 0;
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            reply_invalid(r, key, "%s must not hold control characters.", key);
            return false;
        }
        chars += (*p & 0xC0) != 0x80;
    }
    if (chars > TEXT_FILTER_MAX) {
        reply_invalid(r, key, "%s is too long (at most %d characters).", key, TEXT_FILTER_MAX);
        return false;
    }
    *ret = v;
    return true;
}

/* "%text%" with LIKE's own characters escaped by \ (caller frees). */
static char *like_pattern(const char *text)
{
    if (!text)
        return NULL;
    size_t n = strlen(text);
    while (n && text[n - 1] == ' ')
        n--;
    char *out = malloc(2 * n + 3), *o = out;
    if (!out)
        return NULL;
    *o++ = '%';
    for (size_t i = 0; i < n; i++) {
        if (text[i] == '%' || text[i] == '_' || text[i] == '\\')
            *o++ = '\\';
        *o++ = text[i];
    }
    *o++ = '%';
    *o = '\0';
    return out;
}

static const char *const ORDERS[] = { "asc", "desc", NULL };
static const char *const GROUPS[] = { "A", "B", "C", NULL };
static const char *const FORMATS[] = { "json", "csv", NULL };

static int word_index(const char *const *words, const char *w)
{
    for (int i = 0; words[i]; i++)
        if (words[i] == w)
            return i;
    return 0;
}

/* The borough the list covers: *ret 0 for every borough (admins only).
 * ?borough= is its id or its short name (slug), as the reports take it
 * (api_reports.c). *ret_json: {"id","name"} or null. */
static bool param_scope(cairn_req *r, int64_t *ret, json_t **ret_json)
{
    const char *v = req_query(r, "borough");
    int64_t asked = 0;
    if (v && *v) {
        size_t n = strlen(v), digits = strspn(v, "0123456789");
        bool slug = n <= 64 && strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
        int e = 0;
        if (digits == n && n <= 12)
            asked = strtoll(v, NULL, 10);
        else if (slug)
            e = store_borough_by_slug(v, &asked);
        else {
            reply_invalid(r, "borough", "borough must be a borough's id or short name, "
                          "like \"eastmere\".");
            return false;
        }
        if (e && e != -ENOENT) {
            reply_error(r, 500, "internal", "The borough could not be read.");
            return false;
        }
        if (asked <= 0 || e == -ENOENT) {
            reply_error(r, 404, "not_found", "There is no borough \"%s\".", v);
            return false;
        }
    }
    if (r->user->role != ROLE_ADMIN) {
        if (r->user->borough_id == 0) {
            reply_error(r, 403, "forbidden", "Your officer account has no borough.");
            return false;
        }
        if (asked && asked != r->user->borough_id) {
            reply_error(r, 403, "forbidden", "Officers see their own borough's learners only.");
            return false;
        }
        *ret = r->user->borough_id;
        *ret_json = json_pack("{sI ss}", "id", (json_int_t)r->user->borough_id,
                              "name", r->user->borough_name ? r->user->borough_name : "");
        return true;
    }
    *ret = asked;
    if (!asked) {
        *ret_json = json_null();
        return true;
    }
    json_t *b;
    int e = store_borough_context_json(asked, &b);
    if (e == -ENOENT) {
        reply_error(r, 404, "not_found", "There is no borough \"%s\".", v);
        return false;
    }
    if (e) {
        reply_error(r, 500, "internal", "The borough could not be read.");
        return false;
    }
    *ret_json = json_pack("{sO sO}", "id", json_object_get(b, "id"),
                          "name", json_object_get(b, "name"));
    json_decref(b);
    return true;
}

/* ---- CSV streaming ---- */

typedef enum { CELL_TEXT, CELL_LEVEL, CELL_YESNO } cell_kind;

typedef struct csv_column {
    const char *header;
    int source;                 /* column of the cursor's row */
    cell_kind kind;
} csv_column;

typedef struct csv_stream {
    store_rows *rows;           /* owned */
    const csv_column *cols;
    int ncols;
    json_t *extra;              /* owned, may be NULL: the plugins' report columns
                                 * [{"key","label"}] after cols; row[0] is the
                                 * learner's id (report_columns.h) */
    char *buf;                  /* owned: pending output */
    size_t len, off, cap;
    bool started, done;
} csv_stream;

static void csv_stream_free(void *p)
{
    csv_stream *s = p;
    if (!s)
        return;
    store_rows_free(s->rows);
    json_decref(s->extra);
    free(s->buf);
    free(s);
}

static bool out_reserve(csv_stream *s, size_t more)
{
    if (s->len + more <= s->cap)
        return true;
    size_t cap = s->cap ? s->cap : 4096;
    while (cap < s->len + more)
        cap *= 2;
    char *b = realloc(s->buf, cap);
    if (!b)
        return false;
    s->buf = b;
    s->cap = cap;
    return true;
}

/* One cell (csv_cell: RFC 4180, formula guard). */
static bool out_cell(csv_stream *s, const char *v)
{
    if (!out_reserve(s, CSV_CELL_MAX(strlen(v))))
        return false;
    s->len += csv_cell(s->buf + s->len, v);
    return true;
}

static bool out_text(csv_stream *s, const char *t)
{
    size_t n = strlen(t);
    if (!out_reserve(s, n))
        return false;
    memcpy(s->buf + s->len, t, n);
    s->len += n;
    return true;
}

/* The row's report columns (s->extra), from the learner's borough's
 * plugins, called for this row only: the export stays a stream. A learner
 * who cannot be read, or whose borough does not give a column, has it
 * empty. */
static bool out_report_columns(csv_stream *s, const char *learner_id)
{
    if (json_array_size(s->extra) == 0)
        return true;
    json_t *learner = NULL, *cols = NULL;
    if (store_learner_context_json(strtoll(learner_id, NULL, 10), &learner) == 0)
        cols = report_columns_of(learner);
    json_decref(learner);
    bool ok = true;
    size_t i;
    json_t *c;
    json_array_foreach(s->extra, i, c)
        if (!(ok = out_text(s, ",") &&
                   out_cell(s, report_columns_value(cols, json_string_value(json_object_get(c,
                            "key"))))))
            break;
    json_decref(cols);
    return ok;
}

/* Refills the pending output with the header or the next row. -1 on an
 * error, 0 at the end, 1 when something was added. */
static int csv_refill(csv_stream *s)
{
    s->len = s->off = 0;
    if (!s->started) {
        s->started = true;
        /* A UTF-8 byte order mark: spreadsheets then read names like Zoë right. */
        if (!out_text(s, "\xEF\xBB\xBF"))
            return -1;
        for (int i = 0; i < s->ncols; i++)
            if ((i && !out_text(s, ",")) || !out_cell(s, s->cols[i].header))
                return -1;
        size_t i;
        json_t *c;
        json_array_foreach(s->extra, i, c)
            if (!out_text(s, ",") || !out_cell(s, json_string_value(json_object_get(c, "label"))))
                return -1;
        return out_text(s, "\r\n") ? 1 : -1;
    }
    const char *const *row;
    int n;
    int r = store_rows_next(s->rows, &row, &n);
    if (r <= 0)
        return r;
    for (int i = 0; i < s->ncols; i++) {
        const csv_column *c = &s->cols[i];
        const char *v = c->source < n ? row[c->source] : "";
        if (c->kind == CELL_LEVEL && strcmp(v, "0") == 0)
            v = "";
        else if (c->kind == CELL_YESNO)
            v = strcmp(v, "0") == 0 || !*v ? "no" : "yes";
        if ((i && !out_text(s, ",")) || !out_cell(s, v))
            return -1;
    }
    return out_report_columns(s, n > 0 ? row[0] : "") && out_text(s, "\r\n") ? 1 : -1;
}

static long csv_read(void *cls, char *buf, size_t max)
{
    csv_stream *s = cls;
    size_t put = 0;
    while (put < max) {
        if (s->off == s->len) {
            if (s->done)
                break;
            int r = csv_refill(s);
            if (r < 0)
                return -1;
            if (r == 0) {
                s->done = true;
                break;
            }
        }
        size_t n = s->len - s->off;
        if (n > max - put)
            n = max - put;
        memcpy(buf + put, s->buf + s->off, n);
        s->off += n;
        put += n;
    }
    return (long)put;
}

/* The audit log (audit.h) records every export: which list, of which
 * borough (none: every borough), for which learner when the list is one
 * learner's, and the names of the filters used (never their values: a
 * search may be a person's name). */
static void audit_export(cairn_req *r, const char *list, int64_t borough_id, int64_t learner_id,
                         const char *const *params)
{
    json_t *used = json_array();
    for (const char *const *p = params; *p; p++) {
        const char *v = req_query(r, *p);
        if (v && *v)
            json_array_append_new(used, json_string(*p));
    }
    json_t *detail = json_pack("{ss so}", "list", list, "filters", used);
    if (borough_id)
        json_object_set_new(detail, "borough_id", json_integer(borough_id));
    audit_log(r, AUDIT_EXPORT_CSV, learner_id, detail);
}

/* extra (stolen, may be NULL): report columns after cols (csv_stream). */
static void reply_csv(cairn_req *r, const char *what, store_rows *rows,
                      const csv_column *cols, int ncols, json_t *extra)
{
    csv_stream *s = calloc(1, sizeof *s);
    if (!s) {
        json_decref(extra);
        store_rows_free(rows);
        reply_error(r, 500, "internal", "Out of memory.");
        return;
    }
    s->rows = rows;
    s->cols = cols;
    s->ncols = ncols;
    s->extra = extra;
    char day[11], name[96];
    api_today_utc(day);
    snprintf(name, sizeof name, "cairn-%s-%s.csv", what, day);
    reply_stream(r, 200, "text/csv; charset=utf-8", name, csv_read, s, csv_stream_free);
}

/* ---- learners ---- */

static const char *const LEARNER_SORTS[] = {
    "name", "organisation", "status", "last_activity", NULL };
static const char *const LEARNER_STATUSES[] = {
    "overdue", "expiring", "not_started", "in_progress", "compliant", "none", NULL };

static const csv_column LEARNER_CSV[] = {
    { "id", 0, CELL_TEXT }, { "name", 1, CELL_TEXT }, { "email", 2, CELL_TEXT },
    { "organisation", 3, CELL_TEXT }, { "job_role", 4, CELL_TEXT }, { "status", 5, CELL_TEXT },
    { "required", 6, CELL_TEXT }, { "in_date", 7, CELL_TEXT },
    { "registered_at", 8, CELL_TEXT }, { "last_activity", 9, CELL_TEXT },
};

void api_officer_learners(cairn_req *r)
{
    learner_query q = { 0 };
    json_t *borough = NULL;
    const char *format, *sort, *order, *q_text = NULL;
    int64_t limit = LIST_LIMIT_DEFAULT, offset = 0;
    if (!param_word(r, "format", FORMATS, "json", &format) ||
        !param_text(r, "q", &q_text) ||
        !param_word(r, "status", LEARNER_STATUSES, NULL, &q.status) ||
        !param_id(r, "organisation", &q.organisation_id) ||
        !param_text(r, "job_role", &q.job_role) ||
        !param_word(r, "group", GROUPS, NULL, &q.group) ||
        !param_id(r, "package", &q.package_id) ||
        !param_id(r, "course", &q.course_id) ||
        !param_date(r, "registered_from", &q.registered_from) ||
        !param_date(r, "registered_to", &q.registered_to) ||
        !param_date(r, "completed_from", &q.completed_from) ||
        !param_date(r, "completed_to", &q.completed_to) ||
        !param_word(r, "sort", LEARNER_SORTS, "name", &sort) ||
        !param_word(r, "order", ORDERS, "asc", &order) ||
        !req_query_int(r, "limit", 1, LIST_LIMIT_MAX, &limit) ||
        !req_query_int(r, "offset", 0, 1000000000, &offset) ||
        !param_scope(r, &q.borough_id, &borough))
        return;
    /* The status comes from the compliance table: let a change made just
     * before (a completion, evidence, a registration) reach it first, as
     * the reports do (up to a second). */
    compliance_wait(1000);
    char *pattern = like_pattern(q_text);
    q.q = pattern;
    q.sort = (learners_sort)word_index(LEARNER_SORTS, sort);
    q.desc = strcmp(order, "desc") == 0;
    q.limit = limit;
    q.offset = offset;

    if (strcmp(format, "csv") == 0) {
        json_decref(borough);
        store_rows *rows;
        json_t *extra = NULL;
        int e = report_columns_header(q.borough_id, &extra);
        if (!e && (e = store_learners_open(&q, &rows)))
            json_decref(extra);
        free(pattern);
        if (e) {
            reply_error(r, 500, "internal", "The learners could not be read.");
            return;
        }
        static const char *const filters[] = { "q", "status", "organisation", "job_role",
            "group", "package", "course", "registered_from", "registered_to", "completed_from",
            "completed_to", NULL };
        audit_export(r, "learners", q.borough_id, 0, filters);
        reply_csv(r, "learners", rows, LEARNER_CSV,
                  (int)(sizeof LEARNER_CSV / sizeof LEARNER_CSV[0]), extra);
        return;
    }
    json_t *rows;
    int64_t total;
    int e = store_learners_page(&q, &rows, &total);
    free(pattern);
    if (e) {
        json_decref(borough);
        reply_error(r, 500, "internal", "The learners could not be read.");
        return;
    }
    /* Each learner's modules, as My training shows them (a page at most
     * LIST_LIMIT_MAX learners). */
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        json_t *t = NULL;
        int64_t id = json_integer_value(json_object_get(row, "id"));
        if (store_training_json(id, &t) == 0) {
            json_object_set(row, "modules", json_object_get(t, "modules"));
            json_decref(t);
        } else {
            json_object_set_new(row, "modules", json_array());
        }
    }
    reply_json(r, 200, json_pack("{so so sI sI sI ss ss}", "borough", borough,
        "learners", rows, "total", (json_int_t)total, "limit", (json_int_t)limit,
        "offset", (json_int_t)offset, "sort", sort, "order", order));
}

/* ---- record entries ---- */

static const char *const RECORD_SORTS[] = { "date", "learner", "title", "kind", "status", NULL };
static const char *const RECORD_KINDS[] = { "elearning", "face_to_face", "evidence", NULL };
static const char *const RECORD_STATUSES[] = {
    "passed", "completed", "failed", "attended", "partly_attended", "no_show",
    "cancelled_late", NULL };

static const csv_column RECORD_CSV[] = {
    { "date", 0, CELL_TEXT }, { "kind", 1, CELL_TEXT }, { "title", 2, CELL_TEXT },
    { "group", 3, CELL_TEXT }, { "level", 4, CELL_LEVEL }, { "hours", 5, CELL_TEXT },
    { "status", 6, CELL_TEXT }, { "flagged", 7, CELL_YESNO }, { "score", 8, CELL_TEXT },
    { "learner_id", 13, CELL_TEXT }, { "learner_name", 14, CELL_TEXT },
    { "learner_email", 15, CELL_TEXT }, { "organisation", 16, CELL_TEXT },
    { "evidence_kind", 17, CELL_TEXT }, { "provider", 18, CELL_TEXT },
    { "certificate", 12, CELL_TEXT },
};

void api_officer_records(cairn_req *r)
{
    record_query q = { 0 };
    json_t *borough = NULL;
    const char *format, *sort, *order, *q_text = NULL, *title = NULL;
    int64_t limit = LIST_LIMIT_DEFAULT, offset = 0;
    if (!param_word(r, "format", FORMATS, "json", &format) ||
        !param_word(r, "kind", RECORD_KINDS, NULL, &q.kind) ||
        !param_word(r, "status", RECORD_STATUSES, NULL, &q.status) ||
        !param_id(r, "organisation", &q.organisation_id) ||
        !param_word(r, "group", GROUPS, NULL, &q.group) ||
        !param_text(r, "title", &title) ||
        !param_date(r, "from", &q.from) ||
        !param_date(r, "to", &q.to) ||
        !param_id(r, "learner", &q.learner_id) ||
        !param_text(r, "q", &q_text) ||
        !param_word(r, "sort", RECORD_SORTS, "date", &sort) ||
        !param_word(r, "order", ORDERS, strcmp(sort, "date") == 0 ? "desc" : "asc", &order) ||
        !req_query_int(r, "limit", 1, LIST_LIMIT_MAX, &limit) ||
        !req_query_int(r, "offset", 0, 1000000000, &offset) ||
        !param_scope(r, &q.borough_id, &borough))
        return;
    char *title_pattern = like_pattern(title), *pattern = like_pattern(q_text);
    q.title = title_pattern;
    q.q = pattern;
    q.sort = (records_sort)word_index(RECORD_SORTS, sort);
    q.desc = strcmp(order, "desc") == 0;
    q.limit = limit;
    q.offset = offset;
    int e;
    if (strcmp(format, "csv") == 0) {
        json_decref(borough);
        store_rows *rows;
        e = store_records_open(&q, &rows);
        free(title_pattern);
        free(pattern);
        if (e) {
            reply_error(r, 500, "internal", "The records could not be read.");
            return;
        }
        static const char *const filters[] = { "kind", "status", "organisation", "group",
            "title", "from", "to", "learner", "q", NULL };
        audit_export(r, "records", q.borough_id, q.learner_id, filters);
        reply_csv(r, "records", rows, RECORD_CSV, (int)(sizeof RECORD_CSV / sizeof RECORD_CSV[0]),
                  NULL);
        return;
    }
    json_t *rows;
    int64_t total;
    e = store_records_page(&q, &rows, &total);
    free(title_pattern);
    free(pattern);
    if (e) {
        json_decref(borough);
        reply_error(r, 500, "internal", "The records could not be read.");
        return;
    }
    reply_json(r, 200, json_pack("{so so sI sI sI ss ss}", "borough", borough,
        "records", rows, "total", (json_int_t)total, "limit", (json_int_t)limit,
        "offset", (json_int_t)offset, "sort", sort, "order", order));
}

/* ---- question analytics ---- */

static const char *const ANSWERS[] = { "first", "latest", NULL };

/* A cell as out_cell writes it, into a growing string (analytics CSV is
 * one row per question: small, built in memory). */
static void csv_append(csv_stream *s, const char *v, bool last)
{
    out_cell(s, v ? v : "");
    out_text(s, last ? "\r\n" : ",");
}

static void questions_csv(cairn_req *r, json_t *questions)
{
    csv_stream s = { 0 };
    out_text(&s, "\xEF\xBB\xBF");
    static const char *const head[] = { "sco", "sco_title", "question", "type", "description",
        "answered", "correct", "wrong", "share_correct", "correct_response",
        "common_wrong_answer", "common_wrong_count" };
    for (size_t i = 0; i < sizeof head / sizeof head[0]; i++)
        csv_append(&s, head[i], i + 1 == sizeof head / sizeof head[0]);
    size_t i;
    json_t *q;
    json_array_foreach(questions, i, q) {
        char answered[24], correct[24], wrong[24], share[24] = "", count[24] = "";
        snprintf(answered, sizeof answered, "%lld",
                 (long long)json_integer_value(json_object_get(q, "answered")));
        snprintf(correct, sizeof correct, "%lld",
                 (long long)json_integer_value(json_object_get(q, "correct")));
        snprintf(wrong, sizeof wrong, "%lld",
                 (long long)json_integer_value(json_object_get(q, "wrong")));
        json_t *sh = json_object_get(q, "share_correct");
        if (json_is_number(sh))
            snprintf(share, sizeof share, "%.3f", json_number_value(sh));
        json_t *cw = json_object_get(q, "common_wrong");
        if (json_is_object(cw))
            snprintf(count, sizeof count, "%lld",
                     (long long)json_integer_value(json_object_get(cw, "count")));
        json_t *sco = json_object_get(q, "sco");
        csv_append(&s, json_str(sco, "id"), false);
        csv_append(&s, json_str(sco, "title"), false);
        csv_append(&s, json_str(q, "id"), false);
        csv_append(&s, json_str(q, "type"), false);
        csv_append(&s, json_str(q, "description"), false);
        csv_append(&s, answered, false);
        csv_append(&s, correct, false);
        csv_append(&s, wrong, false);
        csv_append(&s, share, false);
        csv_append(&s, json_str(q, "correct_response"), false);
        csv_append(&s, json_is_object(cw) ? json_str(cw, "response") : "", false);
        csv_append(&s, count, true);
    }
    if (!s.buf) {
        reply_error(r, 500, "internal", "Out of memory.");
        return;
    }
    char day[11], name[96];
    api_today_utc(day);
    snprintf(name, sizeof name, "cairn-questions-%lld-%s.csv", (long long)r->ids[0], day);
    reply_download(r, "text/csv; charset=utf-8", name, s.buf, s.len);
}

void api_officer_questions(cairn_req *r)
{
    const char *format, *answer;
    int64_t borough_id;
    json_t *borough = NULL;
    if (!param_word(r, "format", FORMATS, "json", &format) ||
        !param_word(r, "answer", ANSWERS, "first", &answer) ||
        !param_scope(r, &borough_id, &borough))
        return;
    cairn_package_version *pv = NULL;
    int e = api_package_current(r, &pv);
    if (e) {
        json_decref(borough);
        return;
    }
    json_t *stats;
    e = store_question_stats_json(r->ids[0], borough_id, strcmp(answer, "latest") == 0, &stats);
    if (e) {
        json_decref(borough);
        cairn_package_version_free(pv);
        reply_error(r, e == -ENOENT ? 404 : 500, e == -ENOENT ? "not_found" : "internal",
                    "The module's answers could not be read.");
        return;
    }
    if (strcmp(format, "csv") == 0) {
        json_decref(borough);
        cairn_package_version_free(pv);
        questions_csv(r, json_object_get(stats, "questions"));
        json_decref(stats);
        return;
    }
    json_object_set_new(stats, "package", json_pack("{sI ss ss}",
        "id", (json_int_t)pv->package_id, "title", pv->title,
        "scorm_version", pv->scorm_version));
    json_object_set_new(stats, "borough", borough);
    json_object_set_new(stats, "answer", json_string(answer));
    cairn_package_version_free(pv);
    reply_json(r, 200, stats);
}
