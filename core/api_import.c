/* api_import.c: importing past training records from a CSV file
 * (POST /api/officer/imports, docs/API.md "Importing training history").
 *
 * The whole file arrives as the request body (text/csv, at most
 * CSV_BODY_LIMIT bytes, server.c) and is read with csv.c. Every line is
 * checked on its own and answered with an outcome:
 *
 *   accept     it would be (dry run) or was written as evidence
 *   reject     something is wrong with it: the reason says every problem
 *   duplicate  it is already recorded, or an earlier line of the file
 *              holds the same record (learner, kind, item, date)
 *
 * A dry run writes nothing. A real import writes every accepted line in
 * one transaction (store_import_rows), so a file is imported whole or not
 * at all; running it again finds every line already recorded.
 *
 * An officer imports only for learners of their own borough; the answer
 * for an email of another borough is the same as for an unknown one, so
 * an import cannot be used to learn who has an account elsewhere. */
#include "api.h"
#include "compliance.h"
#include "csv.h"
#include "store_import.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

enum {
    IMPORT_MAX_ROWS = 50000,
    IMPORT_MAX_COLUMNS = 32,
    IMPORT_MAX_FIELD = 4000,    /* bytes; a longer field fails the whole file */
    EMAIL_MAX = 254,
    ITEM_MAX = 200,
    PROVIDER_MAX = 200,
    NOTE_MAX = 1000,
    HOURS_MAX = 100,
};

enum { COL_EMAIL, COL_ITEM, COL_DATE, COL_HOURS, COL_KIND, COL_PROVIDER, COL_GROUP,
       COL_LEVEL, COL_NOTE, COL_COUNT, COL_REQUIRED = COL_KIND + 1 };
static const char *const col_names[COL_COUNT] = {
    "email", "item", "date", "hours", "kind", "provider", "group", "level", "note",
};

typedef struct import_line {
    size_t line;
    char *email, *item, *provider, *note;   /* owned, trimmed */
    const char *outcome;                    /* "accept", "reject", "duplicate" */
    char *reason;                           /* owned; NULL when accepted */
    cairn_import_row row;                   /* strings point into this line */
    char date[11];
    char *key;                              /* owned: the de-duplication key */
} import_line;

static void line_free(import_line *l)
{
    free(l->email);
    free(l->item);
    free(l->provider);
    free(l->note);
    free(l->reason);
    free(l->key);
}

/* A copy of s without leading and trailing spaces and tabs. */
static char *trimmed_dup(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    return strndup(s, n);
}

/* s cut to at most 40 bytes on a character boundary, for echoing a bad
 * value in a reason; "..." marks a cut. */
static const char *short_text(const char *s, char out[48])
{
    size_t n = strlen(s);
    if (n <= 40)
        return s;
    n = 40;
    while (n && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    snprintf(out, 48, "%.*s...", (int)n, s);
    return out;
}

typedef struct reasons {
    char text[1200];            /* more than every reason at once */
    size_t len;
} reasons;

static void __attribute__((format(printf, 2, 3))) reason_add(reasons *rs, const char *fmt, ...)
{
    if (rs->len >= sizeof rs->text - 1)
        return;
    if (rs->len)
        rs->len += (size_t)snprintf(rs->text + rs->len, sizeof rs->text - rs->len, "; ");
    if (rs->len >= sizeof rs->text - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(rs->text + rs->len, sizeof rs->text - rs->len, fmt, ap);
    va_end(ap);
    rs->len += w > 0 ? (size_t)w : 0;
    if (rs->len > sizeof rs->text - 1)
        rs->len = sizeof rs->text - 1;
}

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

/* YYYY-MM-DD or DD/MM/YYYY (day and month may have one digit) into
 * out "YYYY-MM-DD". */
static bool parse_date(const char *s, char out[11])
{
    int y, m, d;
    size_t n = strlen(s);
    if (n == 10 && s[4] == '-' && s[7] == '-' && all_digits(s, 4) && all_digits(s + 5, 2) &&
        all_digits(s + 8, 2)) {
        y = atoi(s);
        m = atoi(s + 5);
        d = atoi(s + 8);
    } else {
        const char *a = strchr(s, '/'), *b = a ? strchr(a + 1, '/') : NULL;
        if (!a || !b || a - s < 1 || a - s > 2 || b - a - 1 < 1 || b - a - 1 > 2 ||
            strlen(b + 1) != 4 || !all_digits(s, (size_t)(a - s)) ||
            !all_digits(a + 1, (size_t)(b - a - 1)) || !all_digits(b + 1, 4))
            return false;
        d = atoi(s);
        m = atoi(a + 1);
        y = atoi(b + 1);
    }
    static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (y < 1900 || y > 9999 || m < 1 || m > 12 || d < 1)
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > days[m - 1] + (m == 2 && leap))
        return false;
    char buf[40];
    snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
    memcpy(out, buf, 11);     /* y < 10000: always 10 characters */
    return true;
}

/* Hours as digits with an optional fraction ("3", "1.5", "0.25"): no
 * signs, exponents, hex or "nan". */
static bool parse_hours(const char *s, double *ret)
{
    size_t int_digits = strspn(s, "0123456789");
    const char *p = s + int_digits;
    size_t frac_digits = 0;
    if (*p == '.') {
        frac_digits = strspn(p + 1, "0123456789");
        p += 1 + frac_digits;
    }
    if (*p || int_digits == 0 || int_digits > 3 || frac_digits > 2 ||
        (s[int_digits] == '.' && frac_digits == 0))
        return false;
    double v = strtod(s, NULL);
    if (v < 0 || v > HOURS_MAX)
        return false;
    *ret = v;
    return true;
}

static const char *kind_parse(const char *s)
{
    static const char *const kinds[] = { "elearning", "course", "external" };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcasecmp(s, kinds[i]) == 0)
            return kinds[i];
    return NULL;
}

/* Maps the header's columns; replies 422 and returns false when it is not
 * usable. map[col] is the field index, or -1. */
static bool read_header(cairn_req *r, const csv_record *rec, int map[COL_COUNT])
{
    for (int c = 0; c < COL_COUNT; c++)
        map[c] = -1;
    for (size_t i = 0; i < rec->n; i++) {
        char *name = trimmed_dup(rec->fields[i]);
        if (!name) {
            reply_error(r, 500, "internal", "Out of memory.");
            return false;
        }
        int col = -1;
        for (int c = 0; c < COL_COUNT; c++)
            if (strcasecmp(name, col_names[c]) == 0)
                col = c;
        if (col < 0 && name[0]) {
            char sh[48];
            reply_invalid(r, "file", "The header names a column \"%s\" that Cairn does not "
                          "know. The columns are email, item, date, hours and kind, and "
                          "optionally provider, group, level and note.", short_text(name, sh));
            free(name);
            return false;
        }
        free(name);
        if (col < 0)
            continue;        /* an empty header cell: a column left unused */
        if (map[col] >= 0) {
            reply_invalid(r, "file", "The header names the column \"%s\" twice.", col_names[col]);
            return false;
        }
        map[col] = (int)i;
    }
    char missing[80] = "";
    for (int c = 0; c < COL_REQUIRED; c++)
        if (map[c] < 0)
            snprintf(missing + strlen(missing), sizeof missing - strlen(missing), "%s%s",
                     missing[0] ? ", " : "", col_names[c]);
    if (missing[0]) {
        reply_invalid(r, "file", "The first line must be a header naming the columns email, "
                      "item, date, hours and kind (in any order); it lacks: %s.", missing);
        return false;
    }
    return true;
}

/* Checks one record into l (l->line already set). Returns -ENOMEM or -EIO
 * when the server failed, else 0 (the outcome says the rest). */
static int check_line(cairn_req *r, const csv_record *rec, const int map[COL_COUNT],
                      size_t header_fields, const char *today, import_line *l)
{
    const char *v[COL_COUNT];
    for (int c = 0; c < COL_COUNT; c++)
        v[c] = map[c] >= 0 && (size_t)map[c] < rec->n ? rec->fields[map[c]] : "";
    l->email = trimmed_dup(v[COL_EMAIL]);
    l->item = trimmed_dup(v[COL_ITEM]);
    l->provider = trimmed_dup(v[COL_PROVIDER]);
    l->note = trimmed_dup(v[COL_NOTE]);
    char *date = trimmed_dup(v[COL_DATE]), *hours = trimmed_dup(v[COL_HOURS]),
         *kind = trimmed_dup(v[COL_KIND]), *group = trimmed_dup(v[COL_GROUP]),
         *level = trimmed_dup(v[COL_LEVEL]);
    int ret = 0;
    if (!l->email || !l->item || !l->provider || !l->note || !date || !hours || !kind ||
        !group || !level) {
        ret = -ENOMEM;
        goto out;
    }
    reasons rs = { .len = 0 };
    char sh[48];
    cairn_import_row *row = &l->row;
    row->level = -1;
    if (rec->n != header_fields)
        reason_add(&rs, "the line has %zu values but the header names %zu columns", rec->n,
                   header_fields);
    if (!l->email[0])
        reason_add(&rs, "email is missing");
    else if (strlen(l->email) > EMAIL_MAX || !strchr(l->email, '@'))
        reason_add(&rs, "email \"%s\" is not an email address", short_text(l->email, sh));
    if (!l->item[0])
        reason_add(&rs, "item is missing");
    else if (strlen(l->item) > ITEM_MAX)
        reason_add(&rs, "item is too long (at most %d characters)", ITEM_MAX);
    if (!date[0])
        reason_add(&rs, "date is missing");
    else if (!parse_date(date, l->date))
        reason_add(&rs, "date \"%s\" is not a date (write 2024-03-31 or 31/03/2024)",
                   short_text(date, sh));
    else if (strcmp(l->date, today) > 0)
        reason_add(&rs, "date %s is in the future", l->date);
    if (!parse_hours(hours, &row->hours))
        reason_add(&rs, "hours \"%s\" must be a number from 0 to %d", short_text(hours, sh),
                   HOURS_MAX);
    if (!(row->kind = kind_parse(kind)))
        reason_add(&rs, "kind \"%s\" must be elearning, course or external",
                   short_text(kind, sh));
    if (group[0]) {
        if (strlen(group) == 1 && strchr("ABCabc", group[0]))
            row->group = group[0] == 'A' || group[0] == 'a' ? "A"
                       : group[0] == 'B' || group[0] == 'b' ? "B" : "C";
        else
            reason_add(&rs, "group \"%s\" must be A, B or C", short_text(group, sh));
    }
    if (level[0]) {
        if (strlen(level) == 1 && strchr("012", level[0]))
            row->level = level[0] - '0';
        else
            reason_add(&rs, "level \"%s\" must be 0, 1 or 2", short_text(level, sh));
    }
    if (strlen(l->provider) > PROVIDER_MAX)
        reason_add(&rs, "provider is too long (at most %d characters)", PROVIDER_MAX);
    if (strlen(l->note) > NOTE_MAX)
        reason_add(&rs, "note is too long (at most %d characters)", NOTE_MAX);
    if (l->email[0] && strlen(l->email) <= EMAIL_MAX) {
        cairn_user *u = NULL;
        char *hash = NULL;
        int e = store_user_by_email(l->email, &u, &hash);
        free(hash);
        bool admin = r->user->role == ROLE_ADMIN;
        if (e && e != -ENOENT) {
            ret = -EIO;
            goto out;
        }
        /* an officer imports for learners only: not for themselves or a
         * colleague (their own training is not theirs to certify) */
        if (e || (!admin && (!r->user->borough_id || u->borough_id != r->user->borough_id ||
                             u->role != ROLE_LEARNER)))
            reason_add(&rs, admin ? "no account with this email"
                              : "no learner with this email in your borough");
        else
            row->user_id = u->id;
        cairn_user_free(u);
    }
    if (rs.len) {
        l->outcome = "reject";
        l->reason = strdup(rs.text);
        ret = l->reason ? 0 : -ENOMEM;
        goto out;
    }
    l->outcome = "accept";
    row->title = l->item;
    row->provider = l->provider;
    row->note = l->note;
    /* row->completed_on is set when the batch is made: l->date moves
     * whenever the lines array grows. */
    if (asprintf(&l->key, "%lld\x1f%s\x1f%s\x1f%s", (long long)row->user_id, row->kind,
                 l->date, l->item) < 0) {
        l->key = NULL;
        ret = -ENOMEM;
    }
out:
    free(date);
    free(hours);
    free(kind);
    free(group);
    free(level);
    return ret;
}

typedef struct key_ref {
    const char *key;
    size_t idx;
} key_ref;

static int cmp_keys(const void *a, const void *b)
{
    const key_ref *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

/* Marks every accepted line whose record an earlier line already holds. */
static int mark_file_duplicates(import_line *lines, size_t n)
{
    key_ref *refs = malloc((n ? n : 1) * sizeof *refs);
    if (!refs)
        return -ENOMEM;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (lines[i].key)
            refs[m++] = (key_ref){ lines[i].key, i };
    qsort(refs, m, sizeof *refs, cmp_keys);
    int ret = 0;
    for (size_t i = 1; i < m && !ret; i++) {
        size_t first = i - 1;
        while (i < m && strcmp(refs[i].key, refs[first].key) == 0) {
            import_line *l = &lines[refs[i].idx];
            l->outcome = "duplicate";
            if (asprintf(&l->reason, "the same record as line %zu", lines[refs[first].idx].line) < 0) {
                l->reason = NULL;
                ret = -ENOMEM;
            }
            free(l->key);
            l->key = NULL;
            i++;
        }
    }
    free(refs);
    return ret;
}

void api_history_import(cairn_req *r)
{
    const char *dq = req_query(r, "dry_run");
    if (dq && strcmp(dq, "1") && strcmp(dq, "0") && strcmp(dq, "true") && strcmp(dq, "false")) {
        reply_invalid(r, "dry_run", "\"dry_run\" must be 1 (check only) or 0 (import).");
        return;
    }
    bool dry = dq && (!strcmp(dq, "1") || !strcmp(dq, "true"));
    csv_reader rd;
    csv_init(&rd, r->body ? r->body : "", r->body_len, IMPORT_MAX_COLUMNS, IMPORT_MAX_FIELD);
    import_line *lines = NULL;
    cairn_import_row *batch = NULL;
    size_t *batch_idx = NULL;
    size_t n = 0, cap = 0;
    csv_record rec;
    int map[COL_COUNT];
    int e = csv_next(&rd, &rec);
    if (e < 0) {
        reply_invalid(r, "file", "Line %zu: %s.", rd.line, csv_strerror(e));
        goto out;
    }
    if (e == 0) {
        reply_invalid(r, "file", "The file is empty. Its first line names the columns email, "
                      "item, date, hours and kind; then one line per training record.");
        goto out;
    }
    if (!read_header(r, &rec, map))
        goto out;
    size_t header_fields = rec.n;
    /* Count the records (and find broken CSV) before any is looked up. */
    {
        csv_reader count;
        csv_record c;
        csv_init(&count, rd.data, rd.len, IMPORT_MAX_COLUMNS, IMPORT_MAX_FIELD);
        size_t records = 0;
        while ((e = csv_next(&count, &c)) == 1 && records <= IMPORT_MAX_ROWS + 1)
            records++;
        size_t bad_line = count.line;
        csv_free(&count);
        if (e < 0) {
            reply_invalid(r, "file", "Line %zu: %s.", bad_line, csv_strerror(e));
            goto out;
        }
        if (records > IMPORT_MAX_ROWS + 1) {   /* the header is one of them */
            reply_error(r, 413, "too_many_rows", "The file has more than %d records; split it "
                        "into smaller files.", IMPORT_MAX_ROWS);
            goto out;
        }
    }
    char today[11];
    api_today_utc(today);
    while ((e = csv_next(&rd, &rec)) == 1) {
        if (n == IMPORT_MAX_ROWS) {
            reply_error(r, 413, "too_many_rows", "The file has more than %d records; split it "
                        "into smaller files.", IMPORT_MAX_ROWS);
            goto out;
        }
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 256;
            import_line *nl = realloc(lines, ncap * sizeof *nl);
            if (!nl) {
                reply_error(r, 500, "internal", "Out of memory.");
                goto out;
            }
            lines = nl;
            cap = ncap;
        }
        import_line *l = &lines[n++];
        memset(l, 0, sizeof *l);
        l->line = rec.line;
        int ce = check_line(r, &rec, map, header_fields, today, l);
        if (ce) {
            reply_error(r, 500, "internal", "The file could not be checked (line %zu).", l->line);
            goto out;
        }
    }
    if (e < 0) {
        reply_invalid(r, "file", "Line %zu: %s.", rd.line, csv_strerror(e));
        goto out;
    }
    if (n == 0) {
        reply_invalid(r, "file", "The file has a header but no records.");
        goto out;
    }
    if (mark_file_duplicates(lines, n)) {
        reply_error(r, 500, "internal", "Out of memory.");
        goto out;
    }
    batch = malloc(n * sizeof *batch);
    batch_idx = malloc(n * sizeof *batch_idx);
    if (!batch || !batch_idx) {
        reply_error(r, 500, "internal", "Out of memory.");
        goto out;
    }
    size_t m = 0, written = 0;
    for (size_t i = 0; i < n; i++)
        if (lines[i].key) {
            batch[m] = lines[i].row;
            batch[m].completed_on = lines[i].date;
            batch_idx[m++] = i;
        }
    if (store_import_rows(batch, m, !dry, r->user->id, &written)) {
        reply_error(r, 500, "internal", "The records could not be %s; nothing was written.",
                    dry ? "checked" : "written");
        goto out;
    }
    for (size_t j = 0; j < m && !dry; j++)
        if (!batch[j].exists)
            compliance_touch(batch[j].user_id);     /* evidence can complete required items */
    for (size_t j = 0; j < m; j++)
        if (batch[j].exists) {
            import_line *l = &lines[batch_idx[j]];
            l->outcome = "duplicate";
            l->reason = strdup("already recorded");
        }
    json_t *rows = json_array();
    size_t accepted = 0, rejected = 0, duplicates = 0;
    for (size_t i = 0; i < n; i++) {
        import_line *l = &lines[i];
        accepted += l->outcome[0] == 'a';
        rejected += l->outcome[0] == 'r';
        duplicates += l->outcome[0] == 'd';
        json_array_append_new(rows, json_pack("{sI ss ss ss ss?}", "line", (json_int_t)l->line,
            "email", l->email, "item", l->item, "outcome", l->outcome, "reason", l->reason));
    }
    json_t *out = json_pack("{sb so sI sI sI}", "dry_run", dry, "rows", rows,
        "accepted", (json_int_t)accepted, "rejected", (json_int_t)rejected,
        "duplicates", (json_int_t)duplicates);
    if (!dry)
        json_object_set_new(out, "written", json_integer((json_int_t)written));
    reply_json(r, 200, out);
out:
    for (size_t i = 0; i < n; i++)
        line_free(&lines[i]);
    free(lines);
    free(batch);
    free(batch_idx);
    csv_free(&rd);
}
