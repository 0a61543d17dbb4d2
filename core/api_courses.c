/* api_courses.c: face-to-face courses, sessions, bookings, attendance and
 * iCalendar invitations (docs/API.md "Courses and bookings"); the one
 * learner record is in api_record.c. Storage and the booking rules'
 * transactions are in store_courses.c; the borough's say
 * (booking_eligibility, on_booking_change, on_attendance) goes through
 * plugin_host.h. */
#include "api.h"
#include "compliance.h"
#include "ical.h"
#include "log.h"
#include "notify.h"
#include "plugin_host.h"
#include "store_courses.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { MAX_DATES = 20, MAX_CAPACITY = 1000, MAX_NOTICE_HOURS = 24 * 30 };

static bool is_admin(const cairn_req *r)
{
    return r->user->role == ROLE_ADMIN;
}

static void now_iso(char buf[21])
{
    ical_format_iso((int64_t)time(NULL), buf);
}

/* A string member of at most max characters; required: non-empty. Replies
 * 422 and returns false when it is not. *ret is NULL when absent. */
static bool text_field(cairn_req *r, json_t *body, const char *key, size_t max, bool required,
                       const char **ret)
{
    json_t *v = json_object_get(body, key);
    if ((!v || json_is_null(v)) && !required) {
        *ret = NULL;
        return true;
    }
    const char *s = json_string_value(v);
    if (!s || (required && !*s) || strlen(s) > max) {
        reply_invalid(r, key, "\"%s\" must be text of 1 to %zu characters.", key, max);
        return false;
    }
    *ret = s;
    return true;
}

/* An integer member in [lo, hi]; *ret keeps its value when absent. */
static bool int_field(cairn_req *r, json_t *body, const char *key, long lo, long hi, int *ret)
{
    json_t *v = json_object_get(body, key);
    if (!v)
        return true;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        reply_invalid(r, key, "\"%s\" must be a whole number from %ld to %ld.", key, lo, hi);
        return false;
    }
    *ret = (int)json_integer_value(v);
    return true;
}

static void reply_store_error(cairn_req *r, int e, const char *what)
{
    if (e == -ENOENT)
        reply_error(r, 404, "not_found", "There is no such %s.", what);
    else
        reply_error(r, 500, "internal", "The %s could not be saved or read.", what);
}

/* ---- courses ---- */

void api_courses_list(cairn_req *r)
{
    json_t *out;
    if (store_courses_json(is_admin(r) ? 0 : r->user->borough_id, &out)) {
        reply_error(r, 500, "internal", "The course catalogue could not be read.");
        return;
    }
    reply_json(r, 200, out);
}

void api_courses_create(cairn_req *r)
{
    json_t *body = req_json_object(r);
    if (!body)
        return;
    cairn_course_new c = { .borough_id = is_admin(r) ? 0 : r->user->borough_id };
    json_t *level = json_object_get(body, "level"), *hours = json_object_get(body, "duration_hours");
    if (!text_field(r, body, "title", 200, true, &c.title) ||
        !text_field(r, body, "group", 1, true, &c.group) ||
        !text_field(r, body, "category", 20, true, &c.category) ||
        !text_field(r, body, "aims", 4000, false, &c.aims))
        goto out;
    if (!strchr("ABC", c.group[0])) {
        reply_invalid(r, "group", "\"group\" must be \"A\", \"B\" or \"C\".");
        goto out;
    }
    if (strcmp(c.category, "CORE") && strcmp(c.category, "SPECIALIST")) {
        reply_invalid(r, "category", "\"category\" must be \"CORE\" or \"SPECIALIST\".");
        goto out;
    }
    if (level && !json_is_null(level) &&
        (!json_is_integer(level) || json_integer_value(level) < 1 || json_integer_value(level) > 2)) {
        reply_invalid(r, "level", "\"level\" must be 1, 2 or null.");
        goto out;
    }
    c.level = level ? (int)json_integer_value(level) : 0;
    c.duration_hours = json_number_value(hours);
    if (!json_is_number(hours) || !(c.duration_hours > 0) || c.duration_hours > 100) {
        reply_invalid(r, "duration_hours", "\"duration_hours\" must be a number of hours "
                      "above 0 and at most 100.");
        goto out;
    }
    int64_t id;
    int e = store_course_create(&c, &id);
    json_t *course;
    if (e == -EEXIST)
        reply_error(r, 409, "exists", "There is already a course \"%s\" at this level.", c.title);
    else if (e || store_course_json(id, &course))
        reply_store_error(r, e, "course");
    else
        reply_json(r, 201, json_pack("{so}", "course", course));
out:
    json_decref(body);
}

/* ---- paging: ?limit=, ?after= or ?before= (docs/API.md "Paging") ---- */

enum { PAGE_DEFAULT = 50, PAGE_MAX = 200 };

/* A cursor "YYYY-MM-DDTHH:MM:SSZ~ID" into p. */
static bool parse_cursor(const char *s, cairn_page *p)
{
    const char *tilde = strchr(s, '~');
    char at[24], *end;
    int64_t t;
    if (!tilde || (size_t)(tilde - s) >= sizeof at)
        return false;
    memcpy(at, s, (size_t)(tilde - s));
    at[tilde - s] = '\0';
    errno = 0;
    long long id = strtoll(tilde + 1, &end, 10);
    if (ical_parse_utc(at, &t) || errno || *end || end == tilde + 1 || id <= 0 ||
        strspn(tilde + 1, "0123456789") != strlen(tilde + 1))
        return false;
    ical_format_iso(t, p->at);
    p->id = id;
    p->has_cursor = true;
    return true;
}

/* Reads the paging parameters; replies 422 and returns false when bad. */
static bool page_params(cairn_req *r, cairn_page *p)
{
    *p = (cairn_page){ .limit = PAGE_DEFAULT };
    const char *limit = req_query(r, "limit"), *after = req_query(r, "after"),
               *before = req_query(r, "before");
    if (limit) {
        char *end;
        errno = 0;
        long n = strtol(limit, &end, 10);
        if (errno || !*limit || *end || n < 1 || n > PAGE_MAX ||
            strspn(limit, "0123456789") != strlen(limit)) {
            reply_invalid(r, "limit", "\"limit\" must be a whole number from 1 to %d.", PAGE_MAX);
            return false;
        }
        p->limit = (int)n;
    }
    if (after && before) {
        reply_invalid(r, "before", "Give \"after\" or \"before\", not both.");
        return false;
    }
    p->before = before != NULL;
    if ((after || before) && !parse_cursor(after ? after : before, p)) {
        reply_invalid(r, after ? "after" : "before", "\"%s\" must be a cursor from a list's "
                      "\"next\" or \"previous\".", after ? "after" : "before");
        return false;
    }
    return true;
}

/* ---- sessions: officers ---- */

static int cmp_dates(const void *a, const void *b)
{
    const char *x = json_string_value(json_object_get(*(json_t *const *)a, "starts_at"));
    const char *y = json_string_value(json_object_get(*(json_t *const *)b, "starts_at"));
    return strcmp(x, y);
}

/* Validates "dates" into a sorted array of canonical {"starts_at","ends_at"}. */
static json_t *parse_dates(cairn_req *r, json_t *v)
{
    size_t n = json_array_size(v);
    if (!json_is_array(v) || n < 1 || n > MAX_DATES) {
        reply_invalid(r, "dates", "\"dates\" must list 1 to %d dates, each "
                      "{\"starts_at\", \"ends_at\"} in UTC (\"2026-03-02T09:30:00Z\").", MAX_DATES);
        return NULL;
    }
    json_t *items[MAX_DATES];
    for (size_t i = 0; i < n; i++) {
        json_t *d = json_array_get(v, i);
        int64_t s, e;
        if (ical_parse_utc(json_string_value(json_object_get(d, "starts_at")), &s) ||
            ical_parse_utc(json_string_value(json_object_get(d, "ends_at")), &e) || e <= s ||
            e - s > 24 * 3600) {
            reply_invalid(r, "dates", "Date %zu must have \"starts_at\" and \"ends_at\" in UTC "
                          "(\"2026-03-02T09:30:00Z\"), ending after it starts and within a day.",
                          i + 1);
            for (size_t j = 0; j < i; j++)
                json_decref(items[j]);
            return NULL;
        }
        char a[21], b[21];
        ical_format_iso(s, a);
        ical_format_iso(e, b);
        items[i] = json_pack("{ss ss}", "starts_at", a, "ends_at", b);
    }
    qsort(items, n, sizeof items[0], cmp_dates);
    json_t *out = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(out, items[i]);
    return out;
}

/* Session fields from body over base (the session as it is, or NULL for a
 * new one). Replies 422 and returns false on a bad field. f->dates is a new
 * reference the caller releases; f->booking_deadline may point into
 * deadline, which must outlive f. */
static bool session_fields(cairn_req *r, json_t *body, json_t *base, cairn_session_fields *f,
                           char deadline[21])
{
    json_t *venue = json_object_get(base, "venue");
    f->venue_name = json_string_value(json_object_get(venue, "name"));
    f->venue_address = json_string_value(json_object_get(venue, "address"));
    f->access_notes = json_string_value(json_object_get(venue, "access_notes"));
    f->trainer = json_string_value(json_object_get(base, "trainer"));
    f->capacity = (int)json_integer_value(json_object_get(base, "capacity"));
    f->open_places = (int)json_integer_value(json_object_get(base, "open_places"));
    f->cancel_notice_hours = base ? (int)json_integer_value(json_object_get(base,
                                    "cancel_notice_hours")) : 48;
    f->booking_deadline = json_string_value(json_object_get(base, "booking_deadline"));
    f->dates = NULL;
    const char *s;
    if (!text_field(r, body, "venue_name", 200, !base, &s))
        return false;
    if (s)
        f->venue_name = s;
    if (!text_field(r, body, "venue_address", 500, !base, &s))
        return false;
    if (s)
        f->venue_address = s;
    if (!text_field(r, body, "access_notes", 2000, false, &s))
        return false;
    if (s)
        f->access_notes = s;
    if (!text_field(r, body, "trainer", 200, false, &s))
        return false;
    if (s)
        f->trainer = s;
    if (!base && !json_object_get(body, "capacity")) {
        reply_invalid(r, "capacity", "\"capacity\" (the number of places) is required.");
        return false;
    }
    if (!int_field(r, body, "capacity", 1, MAX_CAPACITY, &f->capacity) ||
        !int_field(r, body, "open_places", 0, MAX_CAPACITY, &f->open_places) ||
        !int_field(r, body, "cancel_notice_hours", 0, MAX_NOTICE_HOURS, &f->cancel_notice_hours))
        return false;
    if (f->open_places > f->capacity) {
        reply_invalid(r, "open_places", "\"open_places\" (places open to other boroughs) cannot "
                      "be more than the capacity, %d.", f->capacity);
        return false;
    }
    json_t *dv = json_object_get(body, "dates");
    if (dv || !base) {
        if (!(f->dates = parse_dates(r, dv)))
            return false;
    } else {
        f->dates = json_array();
        size_t i;
        json_t *d;
        json_array_foreach(json_object_get(base, "dates"), i, d)
            json_array_append_new(f->dates, json_pack("{sO sO}", "starts_at",
                json_object_get(d, "starts_at"), "ends_at", json_object_get(d, "ends_at")));
    }
    const char *start = json_string_value(json_object_get(json_array_get(f->dates, 0), "starts_at"));
    json_t *dl = json_object_get(body, "booking_deadline");
    if (dl && !json_is_null(dl)) {
        int64_t t;
        if (ical_parse_utc(json_string_value(dl), &t)) {
            reply_invalid(r, "booking_deadline", "\"booking_deadline\" must be a time in UTC "
                          "(\"2026-03-01T17:00:00Z\").");
            goto bad;
        }
        ical_format_iso(t, deadline);
        f->booking_deadline = deadline;
    } else if (!f->booking_deadline || dl) {
        f->booking_deadline = start;
    }
    if (strcmp(f->booking_deadline, start) > 0) {
        reply_invalid(r, "booking_deadline", "The booking deadline must not be after the "
                      "session starts (%s).", start);
        goto bad;
    }
    return true;
bad:
    json_decref(f->dates);
    f->dates = NULL;
    return false;
}

void api_sessions_create(cairn_req *r)
{
    json_t *body = req_json_object(r), *course = NULL, *out = NULL;
    if (!body)
        return;
    cairn_session_fields f = { .course_id = r->ids[0], .host_borough_id = r->user->borough_id };
    int e = store_course_json(r->ids[0], &course);
    if (e) {
        reply_store_error(r, e, "course");
        goto done;
    }
    json_t *owner = json_object_get(course, "borough_id");
    if (!is_admin(r) && json_is_integer(owner) && json_integer_value(owner) != r->user->borough_id) {
        reply_error(r, 403, "forbidden", "This course belongs to another borough's catalogue.");
        goto done;
    }
    if (is_admin(r)) {
        json_t *hb = json_object_get(body, "host_borough_id");
        if (!json_is_integer(hb)) {
            reply_invalid(r, "host_borough_id", "An administrator must say which borough hosts "
                          "the session (\"host_borough_id\").");
            goto done;
        }
        f.host_borough_id = json_integer_value(hb);
    } else if (!f.host_borough_id) {
        reply_error(r, 403, "forbidden", "Your account belongs to no borough.");
        goto done;
    }
    char deadline[21];
    if (!session_fields(r, body, NULL, &f, deadline))
        goto done;
    int64_t id;
    e = store_course_session_create(&f, r->user->id, &id);
    if (e == -ENOENT)
        reply_invalid(r, "host_borough_id", "There is no such borough.");
    else if (e || store_course_session_json(id, 0, &out))
        reply_store_error(r, e, "session");
    else
        reply_json(r, 201, json_pack("{so}", "session", out));
done:
    json_decref(f.dates);
    json_decref(course);
    json_decref(body);
}

/* The session, when the officer may manage it; otherwise replies. */
static json_t *officer_session_by_id(cairn_req *r, int64_t id)
{
    json_t *s = NULL;
    int e = store_course_session_json(id, 0, &s);
    if (e) {
        reply_store_error(r, e, "session");
        return NULL;
    }
    int64_t host = json_integer_value(json_object_get(json_object_get(s, "host_borough"), "id"));
    if (!is_admin(r) && host != r->user->borough_id) {
        reply_error(r, 403, "forbidden", "This session is run by another borough.");
        json_decref(s);
        return NULL;
    }
    return s;
}

static json_t *officer_session(cairn_req *r)
{
    return officer_session_by_id(r, r->ids[0]);
}

void api_officer_sessions(cairn_req *r)
{
    json_t *out;
    cairn_page page;
    if (!page_params(r, &page))
        return;
    if (store_sessions_hosted_json(is_admin(r) ? 0 : r->user->borough_id, &page, &out)) {
        reply_error(r, 500, "internal", "The sessions could not be read.");
        return;
    }
    reply_json(r, 200, out);
}

static void booking_event(int64_t user_id, const char *change, int64_t booking_id, json_t *s,
                          bool by_officer, json_t *extra);
static json_t *with_reason(const char *reason);

void api_session_update(cairn_req *r)
{
    json_t *body = req_json_object(r), *s = NULL, *out = NULL;
    cairn_session_fields f = { 0 };
    if (!body || !(s = officer_session(r)))
        goto done;
    f.course_id = json_integer_value(json_object_get(json_object_get(s, "course"), "id"));
    char deadline[21];
    if (!session_fields(r, body, s, &f, deadline))
        goto done;
    cairn_promotion promoted[64];
    size_t n_promoted = 0;
    int e = store_course_session_update(r->ids[0], &f, promoted,
                                        sizeof promoted / sizeof promoted[0], &n_promoted);
    if (e == -ECANCELED)
        reply_error(r, 409, "session_cancelled", "This session has been cancelled; it can no "
                    "longer change.");
    else if (e == -EBUSY)
        reply_error(r, 409, "attendance_marked", "Attendance has been marked on this session; "
                    "its dates and details can no longer change.");
    else if (e || store_course_session_json(r->ids[0], 0, &out))
        reply_store_error(r, e, "session");
    else {
        notify_session(r->ids[0], "session_changed");
        for (size_t i = 0; i < n_promoted; i++) {
            booking_event(promoted[i].user_id, "promoted", promoted[i].booking_id, out, true, NULL);
            notify_booking(promoted[i].booking_id, "waitlist_promoted");
        }
        reply_json(r, 200, json_pack("{so}", "session", out));
    }
done:
    json_decref(f.dates);
    json_decref(s);
    json_decref(body);
}


/* A cancelled session keeps its bookings' rows as they were, but each place
 * and waitlist place on it has ended: one "session_cancelled" event each. */
static void session_cancelled_events(json_t *s, const char *reason)
{
    json_t *all = NULL;
    if (store_course_session_bookings_json(json_integer_value(json_object_get(s, "id")), &all)) {
        log_error("plugins", "on_booking_change: the cancelled session's bookings could not "
                  "be read");
        return;
    }
    const char *lists[] = { "bookings", "waitlist" };
    for (size_t l = 0; l < 2; l++) {
        size_t i;
        json_t *e;
        json_array_foreach(json_object_get(all, lists[l]), i, e)
            booking_event(json_integer_value(json_object_get(json_object_get(e, "learner"), "id")),
                          "session_cancelled", json_integer_value(json_object_get(e, "id")), s,
                          true, with_reason(reason));
    }
    json_decref(all);
}

void api_session_cancel(cairn_req *r)
{
    json_t *body = req_json_object(r), *s = NULL, *out = NULL;
    const char *reason;
    if (!body || !(s = officer_session(r)) ||
        !text_field(r, body, "reason", 500, true, &reason))
        goto done;
    int e = store_course_session_cancel(r->ids[0], reason);
    if (e == -EALREADY)
        reply_error(r, 409, "session_cancelled", "This session is already cancelled.");
    else if (e || store_course_session_json(r->ids[0], 0, &out))
        reply_store_error(r, e, "session");
    else {
        notify_session(r->ids[0], "session_cancelled");
        session_cancelled_events(out, reason);
        reply_json(r, 200, json_pack("{so}", "session", out));
    }
done:
    json_decref(s);
    json_decref(body);
}

void api_session_bookings(cairn_req *r)
{
    json_t *s = officer_session(r), *out;
    if (!s)
        return;
    if (store_course_session_bookings_json(r->ids[0], &out)) {
        json_decref(s);
        reply_error(r, 500, "internal", "The bookings could not be read.");
        return;
    }
    json_object_set_new(out, "session", s);
    reply_json(r, 200, out);
}

static const char *const attendance_statuses[] = {
    "attended", "partly_attended", "no_show", "cancelled_late",
};

void api_session_attendance(cairn_req *r)
{
    json_t *body = req_json_object(r), *s = NULL;
    if (!body || !(s = officer_session(r)))
        goto done;
    json_t *dv = json_object_get(body, "date_id"), *uv = json_object_get(body, "user_id");
    const char *status;
    int minutes = 0;
    if (!json_is_integer(dv)) {
        reply_invalid(r, "date_id", "\"date_id\" must name one of the session's dates.");
        goto done;
    }
    if (!json_is_integer(uv)) {
        reply_invalid(r, "user_id", "\"user_id\" must name the learner.");
        goto done;
    }
    if (!text_field(r, body, "status", 20, true, &status))
        goto done;
    bool known = false;
    for (size_t i = 0; i < sizeof attendance_statuses / sizeof attendance_statuses[0]; i++)
        known |= strcmp(status, attendance_statuses[i]) == 0;
    if (!known) {
        reply_invalid(r, "status", "\"status\" must be \"attended\", \"partly_attended\", "
                      "\"no_show\" or \"cancelled_late\".");
        goto done;
    }
    bool partly = strcmp(status, "partly_attended") == 0;
    if (partly && !json_object_get(body, "minutes")) {
        reply_invalid(r, "minutes", "Say how many minutes of the date were attended.");
        goto done;
    }
    if (!int_field(r, body, "minutes", 1, 24 * 60, &minutes))
        goto done;
    /* only a date that has begun */
    char now[21];
    now_iso(now);
    json_t *date = NULL, *d;
    size_t i;
    json_array_foreach(json_object_get(s, "dates"), i, d)
        if (json_integer_value(json_object_get(d, "id")) == json_integer_value(dv))
            date = d;
    if (!date) {
        reply_invalid(r, "date_id", "Date %lld is not one of this session's dates.",
                      (long long)json_integer_value(dv));
        goto done;
    }
    if (strcmp(json_string_value(json_object_get(date, "starts_at")), now) > 0) {
        reply_error(r, 409, "not_started", "This date has not begun; attendance is marked on "
                    "or after the day.");
        goto done;
    }
    cairn_attendance_result res;
    int e = store_attendance_mark(r->ids[0], json_integer_value(dv), json_integer_value(uv),
                                  status, partly ? minutes : 0, r->user->id, &res);
    if (e == -ESRCH) {
        reply_invalid(r, "user_id", "This learner holds no place on the session.");
    } else if (e == -ECANCELED) {
        reply_error(r, 409, "booking_cancelled", "This learner's booking on the session was "
                    "cancelled or moved to another session: only a late cancellation can be "
                    "marked here.");
    } else if (e == -EINVAL) {
        reply_invalid(r, "minutes", "\"minutes\" must be more than 0 and not more than the "
                      "date lasts.");
    } else if (e) {
        reply_store_error(r, e, "attendance");
    } else {
        json_t *a = json_pack("{sI sI ss so sf sb}", "date_id", json_integer_value(dv),
            "user_id", json_integer_value(uv), "status", status,
            "minutes", partly ? json_integer(minutes) : json_null(),
            "hours", res.hours, "flagged", res.flagged);
        json_t *ev = json_deep_copy(a);
        json_object_set_new(ev, "session_id", json_integer(r->ids[0]));
        json_object_set(ev, "title", json_object_get(json_object_get(s, "course"), "title"));
        json_object_set(ev, "starts_at", json_object_get(date, "starts_at"));
        plugin_observe(HOOK_ON_ATTENDANCE, json_integer_value(uv), ev);
        /* flagged for the borough's charging rule, or no longer (api_charges.c) */
        if (strcmp(status, "no_show") == 0)
            charges_flag(json_integer_value(uv), s, "no_show", -1);
        else if (strcmp(status, "cancelled_late") == 0)
            charges_flag(json_integer_value(uv), s, "late_cancellation", -1);
        charges_sync_attendance(json_integer_value(uv), r->ids[0]);
        compliance_touch(json_integer_value(uv));     /* attendance completes course items */
        reply_json(r, 200, json_pack("{so}", "attendance", a));
    }
done:
    json_decref(s);
    json_decref(body);
}

/* ---- sessions: learners ---- */

void api_sessions_list(cairn_req *r)
{
    json_t *out;
    cairn_page page;
    if (!page_params(r, &page))
        return;
    if (store_sessions_for_learner_json(r->user->id, r->user->borough_id, &page, &out)) {
        reply_error(r, 500, "internal", "The sessions could not be read.");
        return;
    }
    reply_json(r, 200, out);
}

/* The session as booking_eligibility sees it (docs/PLUGIN_API.md). */
static json_t *plugin_session(json_t *s)
{
    json_t *c = json_object_get(s, "course");
    int capacity = (int)json_integer_value(json_object_get(s, "capacity"));
    int open = (int)json_integer_value(json_object_get(s, "open_places"));
    char course[40];
    snprintf(course, sizeof course, "course-%lld",
             (long long)json_integer_value(json_object_get(c, "id")));
    return json_pack("{sO ss sO sO sO sO sO sO si sO si}",
        "id", json_object_get(s, "id"), "course", course,
        "title", json_object_get(c, "title"), "group", json_object_get(c, "group"),
        "category", json_object_get(c, "category"), "level", json_object_get(c, "level"),
        "starts_at", json_object_get(s, "starts_at"),
        "host_borough", json_object_get(json_object_get(s, "host_borough"), "slug"),
        "places", capacity, "booked", json_object_get(s, "booked"),
        "reserved_for_host", capacity - open);
}

/* on_booking_change for the learner user_id (docs/PLUGIN_API.md "Observers"):
 * every change to one of their bookings, with the booking row's status after
 * it (read back: a promotion may leave it pending) and whether an officer
 * made it. extra (stolen, may be NULL) adds the change's own fields: reason,
 * late_cancellation, moved_from_* / moved_to_*. */
static void booking_event(int64_t user_id, const char *change, int64_t booking_id, json_t *s,
                          bool by_officer, json_t *extra)
{
    json_t *b = NULL;
    if (store_booking_json(booking_id, &b))
        log_error("plugins", "on_booking_change: booking %lld could not be read",
                  (long long)booking_id);
    json_t *ev = json_pack("{ss sI sO sO sO sO sb}", "change", change, "booking_id",
        (json_int_t)booking_id, "session_id", json_object_get(s, "id"),
        "title", json_object_get(json_object_get(s, "course"), "title"),
        "starts_at", json_object_get(s, "starts_at"),
        "status", b ? json_object_get(b, "status") : json_null(), "by_officer", by_officer);
    json_decref(b);
    if (ev && extra)
        json_object_update(ev, extra);
    json_decref(extra);
    plugin_observe(HOOK_ON_BOOKING_CHANGE, user_id, ev);
}

/* {"reason": reason} or {} when there is none, for booking_event. */
static json_t *with_reason(const char *reason)
{
    return reason && *reason ? json_pack("{ss}", "reason", reason) : json_object();
}

void api_session_book(cairn_req *r)
{
    json_t *body = NULL, *s = NULL, *learner = NULL;
    bool waitlist = false;
    if (r->body_len) {
        if (!(body = req_json_object(r)))
            return;
        json_t *w = json_object_get(body, "waitlist");
        if (w && !json_is_boolean(w)) {
            reply_invalid(r, "waitlist", "\"waitlist\" must be true or false.");
            goto done;
        }
        waitlist = json_is_true(w);
    }
    int e = store_course_session_json(r->ids[0], r->user->borough_id, &s);
    if (e) {
        reply_store_error(r, e, "session");
        goto done;
    }
    /* The rules everyone can see first, so the borough's hook is only asked
     * about a session that could be booked. The store checks them again in
     * the booking's transaction. */
    char now[21];
    now_iso(now);
    int64_t host = json_integer_value(json_object_get(json_object_get(s, "host_borough"), "id"));
    const char *status = json_string_value(json_object_get(s, "status"));
    const char *starts = json_string_value(json_object_get(s, "starts_at"));
    const char *deadline = json_string_value(json_object_get(s, "booking_deadline"));
    if (strcmp(status, "cancelled") == 0)
        e = -ECANCELED;
    else if (strcmp(starts, now) <= 0)
        e = -ETIME;
    else if (strcmp(deadline, now) <= 0)
        e = -ETIMEDOUT;
    else if (host != r->user->borough_id && json_integer_value(json_object_get(s, "open_places")) == 0)
        e = -EACCES;
    plugin_decision dec = { .verdict = PLUGIN_ALLOW };
    if (!e) {
        if (store_learner_context_json(r->user->id, &learner)) {
            reply_error(r, 500, "internal", "Your account could not be read.");
            goto done;
        }
        json_t *ps = plugin_session(s);
        plugin_booking_eligibility(json_string_value(json_object_get(json_object_get(learner,
            "borough"), "slug")), learner, ps, &dec);
        json_decref(ps);
        if (dec.verdict == PLUGIN_DENY) {
            reply_error(r, 403, "not_eligible", "%s", dec.reason[0] ? dec.reason
                        : "Your borough's rules do not allow this booking.");
            goto done;
        }
        cairn_booking_result res;
        e = store_booking_make(r->ids[0], r->user->id, dec.verdict == PLUGIN_NEEDS_APPROVAL,
                               waitlist, &res);
        if (!e) {
            json_t *b = NULL, *fresh = NULL;
            if (store_booking_json(res.id, &b) ||
                store_course_session_json(r->ids[0], r->user->borough_id, &fresh)) {
                json_decref(b);
                reply_error(r, 500, "internal", "Your booking was made but could not be read.");
                goto done;
            }
            if (dec.verdict == PLUGIN_NEEDS_APPROVAL && strcmp(res.status, "pending") == 0)
                json_object_set_new(b, "approval_reason", json_string(dec.reason));
            booking_event(r->user->id, res.status, res.id, fresh, false, NULL);
            notify_booking(res.id, !strcmp(res.status, "waitlisted") ? "waitlisted"
                           : !strcmp(res.status, "pending") ? "booking_pending"
                           : "booking_confirmed");
            reply_json(r, 201, json_pack("{so so}", "booking", b, "session", fresh));
            goto done;
        }
    }
    switch (e) {
    case -ECANCELED:
        reply_error(r, 409, "session_cancelled", "This session has been cancelled.");
        break;
    case -ETIME:
        reply_error(r, 409, "session_started", "This session has already started or taken "
                    "place; choose a later date.");
        break;
    case -ETIMEDOUT:
        reply_error(r, 409, "deadline_passed", "Booking for this session closed at %s.", deadline);
        break;
    case -EACCES:
        reply_error(r, 403, "not_open", "This session is for staff of %s; it has no places "
                    "open to other boroughs.", json_string_value(json_object_get(
                    json_object_get(s, "host_borough"), "name")));
        break;
    case -EEXIST:
        reply_error(r, 409, "already_booked", "You already have a place or a waitlist place "
                    "on this session.");
        break;
    case -ENOSPC:
        reply_error(r, 409, "full", "This session is full. You can join its waitlist "
                    "({\"waitlist\": true}).");
        break;
    default:
        reply_store_error(r, e, "session");
    }
done:
    json_decref(learner);
    json_decref(s);
    json_decref(body);
}

/* ---- officers and a learner's booking (move, cancel) ---- */

/* An officer may manage a booking on a session their borough hosts or of a
 * learner of their borough; an admin any booking. */
static bool may_manage_booking(const cairn_req *r, const cairn_booking_scope *sc)
{
    if (r->user->role == ROLE_ADMIN)
        return true;
    return r->user->role == ROLE_OFFICER && r->user->borough_id &&
           (sc->host_borough_id == r->user->borough_id ||
            sc->learner_borough_id == r->user->borough_id);
}

void api_booking_cancel(cairn_req *r)
{
    json_t *body = req_json_object(r), *b = NULL, *s = NULL;
    const char *reason;
    if (!body || !text_field(r, body, "reason", 500, true, &reason))
        goto done;
    cairn_cancel_result res;
    /* An officer cancelling someone else's booking: never late for the
     * learner (store_booking_cancel with user 0). */
    cairn_booking_scope sc = { 0 };
    bool officer = r->user->role != ROLE_LEARNER && store_booking_scope(r->ids[0], &sc) == 0 &&
                   sc.user_id != r->user->id && may_manage_booking(r, &sc);
    int64_t learner = officer ? sc.user_id : r->user->id;
    int e = store_booking_cancel(r->ids[0], officer ? 0 : r->user->id, reason, &res);
    if (e == -ENOENT)
        reply_error(r, 404, "not_found", "You have no booking %lld.", (long long)r->ids[0]);
    else if (e == -EALREADY)
        reply_error(r, 409, "already_cancelled", "This booking is already cancelled.");
    else if (e == -ETIME)
        reply_error(r, 409, "session_started", "This session has already started; ask your "
                    "training officer.");
    else if (e || store_booking_json(r->ids[0], &b) ||
             store_course_session_json(res.session_id, r->user->borough_id, &s))
        reply_store_error(r, e, "booking");
    else {
        json_t *extra = with_reason(reason);
        json_object_set_new(extra, "late_cancellation", json_boolean(res.late));
        booking_event(learner, "cancelled", r->ids[0], s, officer, extra);
        if (res.late) {
            /* flagged for the borough's charging rule (api_charges.c) */
            int64_t start = 0;
            ical_parse_utc(json_string_value(json_object_get(s, "starts_at")), &start);
            int64_t left = start - (int64_t)time(NULL);
            charges_flag(learner, s, "late_cancellation", left > 0 ? (int)(left / 3600) : 0);
        }
        notify_booking(r->ids[0], "booking_cancelled");
        if (res.promoted_booking) {
            booking_event(res.promoted_user, "promoted", res.promoted_booking, s, false, NULL);
            notify_booking(res.promoted_booking, "waitlist_promoted");
        }
        reply_json(r, 200, json_pack("{sO sb sb sb}", "booking", b,
                   "late_cancellation", res.late, "promoted", res.promoted_booking != 0,
                   "by_officer", officer));
    }
done:
    json_decref(b);
    json_decref(s);
    json_decref(body);
}

void api_booking_decide(cairn_req *r)
{
    json_t *body = req_json_object(r), *b = NULL, *s = NULL;
    if (!body)
        return;
    json_t *av = json_object_get(body, "approve");
    const char *reason = NULL;
    if (!json_is_boolean(av)) {
        reply_invalid(r, "approve", "\"approve\" must be true or false.");
        goto done;
    }
    bool approve = json_is_true(av);
    if (!text_field(r, body, "reason", 500, !approve, &reason))
        goto done;
    int e = store_booking_json(r->ids[0], &b);
    if (e) {
        reply_store_error(r, e, "booking");
        goto done;
    }
    int64_t user_id = json_integer_value(json_object_get(b, "user_id"));
    /* Approval is asked for by the learner's borough's rule, so the
     * learner's officers decide, as may the host's (as for moves). */
    cairn_booking_scope sc = { 0 };
    if (store_booking_scope(r->ids[0], &sc) || !may_manage_booking(r, &sc)) {
        reply_error(r, 403, "forbidden", "This booking is neither on a session your borough "
                    "runs nor of a learner of your borough.");
        goto done;
    }
    if ((e = store_course_session_json(sc.session_id, 0, &s))) {
        reply_store_error(r, e, "session");
        goto done;
    }
    cairn_cancel_result res;
    e = store_booking_decide(r->ids[0], approve, reason, &res);
    json_decref(b);
    b = NULL;
    if (e == -EALREADY)
        reply_error(r, 409, "not_pending", "This booking is not waiting for approval.");
    else if (e || store_booking_json(r->ids[0], &b))
        reply_store_error(r, e, "booking");
    else {
        booking_event(user_id, approve ? "approved" : "refused", r->ids[0], s, true,
                      with_reason(reason));
        notify_booking(r->ids[0], approve ? "booking_approved" : "booking_refused");
        if (res.promoted_booking) {
            booking_event(res.promoted_user, "promoted", res.promoted_booking, s, false, NULL);
            notify_booking(res.promoted_booking, "waitlist_promoted");
        }
        reply_json(r, 200, json_pack("{sO sb}", "booking", b,
                   "promoted", res.promoted_booking != 0));
    }
done:
    json_decref(b);
    json_decref(s);
    json_decref(body);
}

void api_booking_invite(cairn_req *r)
{
    json_t *b = NULL, *s = NULL;
    int e = store_booking_json(r->ids[0], &b);
    if (e || json_integer_value(json_object_get(b, "user_id")) != r->user->id) {
        if (e && e != -ENOENT)
            reply_store_error(r, e, "booking");
        else
            reply_error(r, 404, "not_found", "You have no booking %lld.", (long long)r->ids[0]);
        goto done;
    }
    const char *bstatus = json_string_value(json_object_get(b, "status"));
    if (strcmp(bstatus, "waitlisted") == 0) {
        reply_error(r, 409, "waitlisted", "You are on the waitlist: the invitation comes with "
                    "a place.");
        goto done;
    }
    if (strcmp(bstatus, "pending") == 0) {
        reply_error(r, 409, "pending", "Your booking is waiting for your training officer's "
                    "approval: the invitation comes with it.");
        goto done;
    }
    if ((e = store_course_session_json(json_integer_value(json_object_get(b, "session_id")), 0, &s))) {
        reply_store_error(r, e, "session");
        goto done;
    }
    bool booking_cancelled = strcmp(bstatus, "cancelled") == 0;
    bool cancelled = booking_cancelled ||
                     strcmp(json_string_value(json_object_get(s, "status")), "cancelled") == 0;
    /* A cancelled session's SEQUENCE went up when it was cancelled; a
     * cancelled booking on a live session is one step past the session's. */
    int seq = (int)json_integer_value(json_object_get(s, "sequence")) +
              (booking_cancelled && !strcmp(json_string_value(json_object_get(s, "status")),
                                            "scheduled"));
    json_t *c = json_object_get(s, "course"), *v = json_object_get(s, "venue");
    const char *uid = json_string_value(json_object_get(s, "uid"));
    /* venue name 200 + address 500; aims 4000 + trainer 200 + access notes 2000
     * with their labels: nothing is cut (a cut could split a character) */
    char location[800], description[6400];
    snprintf(location, sizeof location, "%s, %s", json_string_value(json_object_get(v, "name")),
             json_string_value(json_object_get(v, "address")));
    const char *aims = json_string_value(json_object_get(c, "aims"));
    const char *access = json_string_value(json_object_get(v, "access_notes"));
    const char *trainer = json_string_value(json_object_get(s, "trainer"));
    snprintf(description, sizeof description, "%s%s%s%s%s%s%s",
             aims && *aims ? aims : "", aims && *aims ? "\n" : "",
             trainer && *trainer ? "Trainer: " : "", trainer && *trainer ? trainer : "",
             trainer && *trainer ? "\n" : "",
             access && *access ? "Access: " : "", access && *access ? access : "");
    json_t *dates = json_object_get(s, "dates");
    size_t n = json_array_size(dates);
    ical_event ev[MAX_DATES];
    char uids[MAX_DATES][80];
    for (size_t i = 0; i < n && i < MAX_DATES; i++) {
        json_t *d = json_array_get(dates, i);
        if (i == 0)
            snprintf(uids[i], sizeof uids[i], "cairn-session-%s@cairn", uid);
        else
            snprintf(uids[i], sizeof uids[i], "cairn-session-%s-%zu@cairn", uid, i + 1);
        ev[i] = (ical_event){ .uid = uids[i], .summary = json_string_value(json_object_get(c, "title")),
            .location = location, .description = description, .sequence = seq,
            .cancelled = cancelled };
        ical_parse_utc(json_string_value(json_object_get(d, "starts_at")), &ev[i].start);
        ical_parse_utc(json_string_value(json_object_get(d, "ends_at")), &ev[i].end);
    }
    const char *method = cancelled ? "CANCEL" : "REQUEST";
    char *text = ical_calendar(method, ev, n < MAX_DATES ? n : MAX_DATES, (int64_t)time(NULL));
    if (!text) {
        reply_error(r, 500, "internal", "The invitation could not be made.");
        goto done;
    }
    char ctype[64], name[48];
    snprintf(ctype, sizeof ctype, "text/calendar; charset=utf-8; method=%s", method);
    snprintf(name, sizeof name, "session-%lld.ics",
             (long long)json_integer_value(json_object_get(s, "id")));
    reply_download(r, ctype, name, text, strlen(text));
done:
    json_decref(b);
    json_decref(s);
}

/* The one learner record (GET /api/me/record) is in api_record.c. */

/* ---- officers: moving a learner's booking (docs/API.md "Moving and
 * cancelling a learner's booking") ---- */

/* The booking's scope when the officer may manage it; otherwise replies 404
 * (a booking of another borough's learner on another borough's session is
 * not theirs to know about) and returns false. */
static bool managed_booking(cairn_req *r, cairn_booking_scope *sc)
{
    int e = store_booking_scope(r->ids[0], sc);
    if (e && e != -ENOENT) {
        reply_store_error(r, e, "booking");
        return false;
    }
    if (e || !may_manage_booking(r, sc)) {
        reply_error(r, 404, "not_found", "There is no booking %lld of a learner or session "
                    "of your borough.", (long long)r->ids[0]);
        return false;
    }
    return true;
}

void api_booking_move_options(cairn_req *r)
{
    cairn_booking_scope sc;
    json_t *out;
    if (!managed_booking(r, &sc))
        return;
    int e = store_booking_move_options_json(r->ids[0], &out);
    if (e)
        reply_store_error(r, e, "booking");
    else
        reply_json(r, 200, out);
}

void api_booking_move(cairn_req *r)
{
    json_t *body = req_json_object(r), *b = NULL, *prev = NULL, *s = NULL, *old = NULL;
    const char *reason = NULL;
    if (!body)
        return;
    json_t *tv = json_object_get(body, "session_id");
    cairn_booking_scope sc;
    if (!managed_booking(r, &sc))
        goto done;
    if (!json_is_integer(tv) || json_integer_value(tv) <= 0) {
        reply_invalid(r, "session_id", "\"session_id\" must name the session to move the "
                      "booking to.");
        goto done;
    }
    if (!text_field(r, body, "reason", 500, false, &reason))
        goto done;
    if (!reason || !*reason)
        reason = "Moved to another session by a training officer.";
    long long target = json_integer_value(tv);
    cairn_move_result res;
    int e = store_booking_move(r->ids[0], target, reason, &res);
    switch (e) {
    case 0:
        break;
    case -EALREADY:
        reply_error(r, 409, "already_cancelled", "This booking is cancelled; there is nothing "
                    "to move.");
        goto done;
    case -ETIME:
        reply_error(r, 409, "session_started", "The learner's session has already begun; the "
                    "booking can no longer move.");
        goto done;
    case -EINVAL:
        reply_invalid(r, "session_id", "The booking is already on session %lld.", target);
        goto done;
    case -ESRCH:
        reply_invalid(r, "session_id", "There is no session %lld.", target);
        goto done;
    case -EXDEV:
        reply_invalid(r, "session_id", "Session %lld is of another course; a booking moves "
                      "only between sessions of the same course.", target);
        goto done;
    case -ECANCELED:
        reply_error(r, 409, "session_cancelled", "Session %lld has been cancelled.", target);
        goto done;
    case -ESTALE:
        reply_error(r, 409, "session_started", "Session %lld has already begun or taken "
                    "place.", target);
        goto done;
    case -EACCES:
        reply_error(r, 409, "not_open", "Session %lld has no places open to learners of "
                    "other boroughs.", target);
        goto done;
    case -EEXIST:
        reply_error(r, 409, "already_booked", "The learner already has a place or a waitlist "
                    "place on session %lld.", target);
        goto done;
    case -ENOSPC:
        reply_error(r, 409, "full", "Session %lld has no free place for this learner.", target);
        goto done;
    default:
        reply_store_error(r, e, "booking");
        goto done;
    }
    if (store_booking_json(res.booking_id, &b) || store_booking_json(r->ids[0], &prev) ||
        store_course_session_json(target, sc.learner_borough_id, &s) ||
        store_course_session_json(res.from_session, 0, &old)) {
        reply_error(r, 500, "internal", "The booking was moved but could not be read.");
        goto done;
    }
    /* a move is two rows and two events, neither told as a cancellation */
    json_t *out = with_reason(reason), *in = with_reason(reason);
    json_object_set_new(out, "moved_to_session_id", json_integer(target));
    json_object_set_new(out, "moved_to_booking_id", json_integer(res.booking_id));
    json_object_set_new(in, "moved_from_session_id", json_integer(res.from_session));
    json_object_set_new(in, "moved_from_booking_id", json_integer(r->ids[0]));
    booking_event(res.user_id, "moved_out", r->ids[0], old, true, out);
    booking_event(res.user_id, "moved", res.booking_id, s, true, in);
    notify_booking(res.booking_id, "booking_moved");
    if (res.promoted_booking) {
        booking_event(res.promoted_user, "promoted", res.promoted_booking, old, false, NULL);
        notify_booking(res.promoted_booking, "waitlist_promoted");
    }
    reply_json(r, 200, json_pack("{sO sO sO sb}", "booking", b, "previous", prev,
               "session", s, "promoted", res.promoted_booking != 0));
done:
    json_decref(b);
    json_decref(prev);
    json_decref(s);
    json_decref(old);
    json_decref(body);
}
