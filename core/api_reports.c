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
#include "store_compliance.h"

#include <ctype.h>
#include <errno.h>
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

static void report(cairn_req *r, int (*fn)(int64_t, const char *, json_t **))
{
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
    report(r, store_report_dashboard_json);
}

void api_officer_tna(cairn_req *r)
{
    report(r, store_report_tna_json);
}
