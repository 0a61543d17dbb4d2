/* api_reports.c: the officers' reports read from the compliance table
 * (docs/API.md "Reports"): the borough dashboard and the training needs
 * analysis. No Lua runs here: compliance.c keeps the rows current.
 *
 * Scope: an officer sees their own borough. ?borough=SLUG naming another
 * borough is refused with 403 (not ignored: a link that silently showed a
 * different borough's figures would mislead); naming their own is allowed.
 * An admin sees every borough, or the one ?borough=SLUG names. */
#include "api.h"
#include "compliance.h"
#include "csv.h"
#include "store_compliance.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { SLUG_MAX = 64, FRESH_WAIT_MS = 1000 };

/* The borough the report covers (0: every borough), or false after
 * replying with the error. */
static bool report_scope(cairn_req *r, int64_t *ret_borough)
{
    const char *slug = req_query(r, "borough");
    int64_t id = 0;
    if (slug) {
        size_t n = strlen(slug);
        bool ok = n > 0 && n <= SLUG_MAX;
        for (size_t i = 0; ok && i < n; i++)
            ok = islower((unsigned char)slug[i]) || isdigit((unsigned char)slug[i]) ||
                 slug[i] == '-';
        if (!ok) {
            reply_invalid(r, "borough", "borough must be a borough's short name, like "
                          "\"eastmere\".");
            return false;
        }
        int ret = store_borough_by_slug(slug, &id);
        if (ret == -ENOENT) {
            reply_error(r, 404, "not_found", "There is no borough \"%s\".", slug);
            return false;
        }
        if (ret) {
            reply_error(r, 500, "internal", "The borough could not be read.");
            return false;
        }
    }
    if (r->user->role == ROLE_ADMIN) {
        *ret_borough = id;
        return true;
    }
    if (!r->user->borough_id) {
        reply_error(r, 403, "forbidden", "Your officer account has no borough.");
        return false;
    }
    if (slug && id != r->user->borough_id) {
        reply_error(r, 403, "forbidden", "You can see the reports of your own borough only.");
        return false;
    }
    *ret_borough = r->user->borough_id;
    return true;
}

void api_today_utc(char buf[11])
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(buf, 11, "%Y-%m-%d", &tm);
}

void api_now_utc(char buf[21])
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(buf, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

typedef void (*report_csv_fn)(cairn_req *r, json_t *report);

/* fn makes the report; csv, when the report has a CSV form, writes it for
 * ?format=csv (NULL: JSON only, and ?format=csv is 422). */
static void report(cairn_req *r, int (*fn)(int64_t, const char *, json_t **), report_csv_fn csv)
{
    const char *format = req_query(r, "format");
    bool as_csv = format && strcmp(format, "csv") == 0;
    if (format && !as_csv && strcmp(format, "json") != 0) {
        reply_invalid(r, "format", csv ? "format must be \"json\" or \"csv\"."
                                       : "format must be \"json\".");
        return;
    }
    if (as_csv && !csv) {
        reply_invalid(r, "format", "This report has no CSV form: format must be \"json\".");
        return;
    }
    int64_t borough;
    if (!report_scope(r, &borough))
        return;
    /* Changes made just before this request (a completion, attendance)
     * are in the rows once the refresh thread has taken them: wait a
     * little for that, then answer with what there is. */
    bool fresh = compliance_wait(FRESH_WAIT_MS);
    char today[11];
    api_today_utc(today);
    json_t *out = NULL;
    if (fn(borough, today, &out)) {
        reply_error(r, 500, "internal", "The report could not be made.");
        return;
    }
    if (as_csv) {
        csv(r, out);
        json_decref(out);
        return;
    }
    json_t *list = NULL;
    if (r->user->role == ROLE_ADMIN && store_borough_list_json(&list) == 0)
        json_object_set_new(out, "boroughs", list);    /* what an admin may choose */
    json_t *st = compliance_status_json();
    json_object_set_new(st, "fresh", json_boolean(fresh));
    json_object_set_new(out, "compliance", st);
    reply_json(r, 200, out);
}

void api_officer_dashboard(cairn_req *r)
{
    report(r, store_report_dashboard_json, NULL);
}

/* One CSV line of text cells (csv_cell), appended to *buf. */
static bool csv_line(char **buf, size_t *len, size_t *cap, const char *const *cells, size_t n)
{
    size_t need = 2;
    for (size_t i = 0; i < n; i++)
        need += CSV_CELL_MAX(strlen(cells[i])) + 1;
    if (*len + need > *cap) {
        size_t c = *cap ? *cap : 4096;
        while (c < *len + need)
            c *= 2;
        char *p = realloc(*buf, c);
        if (!p)
            return false;
        *buf = p;
        *cap = c;
    }
    for (size_t i = 0; i < n; i++) {
        *len += csv_cell(*buf + *len, cells[i]);
        (*buf)[(*len)++] = i + 1 < n ? ',' : '\r';
    }
    (*buf)[(*len)++] = '\n';
    return true;
}

/* The training needs analysis as a spreadsheet for a board report: one
 * line per organisation and group level, then the borough's totals as
 * "All organisations", the figures as in the JSON (docs/API.md "Reports"). */
static void tna_csv(cairn_req *r, json_t *tna)
{
    static const char *const head[] = { "organisation", "borough", "group", "level", "required",
        "in_date", "expired", "untrained", "gap" };
    static const char *const counts[] = { "required", "in_date", "expired", "untrained", "gap" };
    char *buf = NULL;
    size_t len = 0, cap = 0;
    bool ok = csv_line(&buf, &len, &cap, head, 9);
    json_t *borough = json_object_get(tna, "borough");
    const char *all_boroughs = json_is_object(borough)
        ? json_string_value(json_object_get(borough, "name")) : "";
    json_t *total = json_pack("{ss so}", "name", "All organisations", "levels",
                              json_incref(json_object_get(tna, "totals")));
    json_t *orgs = json_copy(json_object_get(tna, "organisations"));
    json_array_append_new(orgs, total);
    size_t i, j;
    json_t *org, *need;
    json_array_foreach(orgs, i, org) {
        const char *org_borough = json_string_value(json_object_get(org, "borough"));
        json_t *ob = json_object_get(org, "borough");
        if (json_is_object(ob))
            org_borough = json_string_value(json_object_get(ob, "name"));
        json_array_foreach(json_object_get(org, "levels"), j, need) {
            char num[5][24], level[8];
            const char *cells[9];
            cells[0] = json_string_value(json_object_get(org, "name"));
            cells[1] = org_borough ? org_borough : all_boroughs;
            cells[2] = json_string_value(json_object_get(need, "group"));
            json_t *lv = json_object_get(need, "level");
            snprintf(level, sizeof level, "%lld", (long long)json_integer_value(lv));
            cells[3] = json_is_integer(lv) && json_integer_value(lv) ? level : "";
            for (int k = 0; k < 5; k++) {
                snprintf(num[k], sizeof num[k], "%lld",
                         (long long)json_integer_value(json_object_get(need, counts[k])));
                cells[4 + k] = num[k];
            }
            for (int k = 0; k < 3; k++)
                if (!cells[k])
                    cells[k] = "";
            ok = ok && csv_line(&buf, &len, &cap, cells, 9);
        }
    }
    json_decref(orgs);
    if (!ok) {
        free(buf);
        reply_error(r, 500, "internal", "Out of memory.");
        return;
    }
    char name[96];
    snprintf(name, sizeof name, "cairn-training-needs-%s.csv",
             json_is_string(json_object_get(tna, "today"))
             ? json_string_value(json_object_get(tna, "today")) : "today");
    reply_download(r, "text/csv; charset=utf-8", name, buf, len);
}

void api_officer_tna(cairn_req *r)
{
    report(r, store_report_tna_json, tna_csv);
}
