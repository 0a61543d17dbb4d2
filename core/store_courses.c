/* store_courses.c: face-to-face courses, sessions, bookings and
 * attendance (store_courses.h); the learner record is in store_record.c.
 *
 * Booking lifecycle (one row of bookings per learner per try):
 *
 *   (none) --book, a place free--> booked, or pending when the borough's
 *                                  booking_eligibility hook wants approval
 *   (none) --book, full, waitlist asked--> waitlisted (position n+1)
 *   booked|pending|promoted --cancel--> cancelled; the first waitlisted
 *                                  learner whose borough may take the freed
 *                                  place becomes promoted
 *   waitlisted --cancel--> cancelled
 *   pending --an officer approves--> booked
 *   pending --an officer refuses--> cancelled (the place is freed as above)
 *   any but cancelled --an officer cancels--> cancelled, never late; the
 *                                  waitlist is promoted unless the session
 *                                  has begun [store_booking_cancel, user 0]
 *   any but cancelled --an officer moves it--> cancelled, and a new row
 *                                  booked on the target with moved_from;
 *                                  the freed place is promoted as above
 *                                  [store_booking_move]
 *
 * A learner who needed approval and joined the waitlist still needs it:
 * promotion makes their booking pending, not promoted.
 *
 * Every step runs in one write transaction (BEGIN IMMEDIATE): the place
 * count and the insert cannot interleave with another booking, so two
 * learners racing for the last place cannot both get it. */
#include "store_courses.h"
#include "store_db.h"
#include "store_record.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- courses ---- */

static int course_insert(const cairn_course_new *c, bool ignore, int64_t *ret_id)
{
    char now[24];
    db_now_iso(now);
    sqlite3_stmt *st = db_stmt(ignore
        ? "INSERT OR IGNORE INTO courses (title, grp, category, level, duration_hours, aims,"
          " borough_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        : "INSERT INTO courses (title, grp, category, level, duration_hours, aims,"
          " borough_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    if (!st)
        return -EIO;
    sqlite3_bind_text(st, 1, c->title, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, c->group, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, c->category, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, c->level);
    sqlite3_bind_double(st, 5, c->duration_hours);
    sqlite3_bind_text(st, 6, c->aims ? c->aims : "", -1, SQLITE_STATIC);
    if (c->borough_id)
        sqlite3_bind_int64(st, 7, c->borough_id);
    sqlite3_bind_text(st, 8, now, -1, SQLITE_STATIC);
    int r = db_exec_stmt(st);
    if (r == 0 && ret_id)
        *ret_id = sqlite3_last_insert_rowid(db_conn());
    return r;
}

int store_course_create(const cairn_course_new *c, int64_t *ret_id)
{
    return course_insert(c, false, ret_id);
}

#define COURSE_COLUMNS "c.id, c.title, c.grp, c.category, c.level, c.duration_hours, c.aims," \
    " c.borough_id"

static json_t *course_row(sqlite3_stmt *st, int i)
{
    json_t *o = json_pack("{sI ss ss ss sf ss}",
        "id", (json_int_t)sqlite3_column_int64(st, i),
        "title", db_str(st, i + 1), "group", db_str(st, i + 2), "category", db_str(st, i + 3),
        "duration_hours", sqlite3_column_double(st, i + 5), "aims", db_str(st, i + 6));
    if (!o)
        return NULL;
    int level = sqlite3_column_int(st, i + 4);
    json_object_set_new(o, "level", level ? json_integer(level) : json_null());
    json_object_set_new(o, "borough_id", sqlite3_column_type(st, i + 7) == SQLITE_NULL
                        ? json_null() : json_integer(sqlite3_column_int64(st, i + 7)));
    return o;
}

int store_courses_json(int64_t borough_id, json_t **ret)
{
    sqlite3_stmt *st = db_stmt(
        "SELECT " COURSE_COLUMNS " FROM courses c"
        " WHERE ?1 = 0 OR c.borough_id IS NULL OR c.borough_id = ?1"
        " ORDER BY c.grp, c.category, c.title, c.level");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, borough_id);
    json_t *list = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        json_array_append_new(list, course_row(st, 0));
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        json_decref(list);
        return db_fail("courses");
    }
    *ret = json_pack("{so}", "courses", list);
    return 0;
}

int store_course_json(int64_t id, json_t **ret)
{
    sqlite3_stmt *st = db_stmt("SELECT " COURSE_COLUMNS " FROM courses c WHERE c.id = ?");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    json_t *o = rc == SQLITE_ROW ? course_row(st, 0) : NULL;
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        return -ENOENT;
    if (!o)
        return rc == SQLITE_ROW ? -ENOMEM : db_fail("course");
    *ret = o;
    return 0;
}

/* The Competence Matters framework's courses (a London-wide catalogue);
 * titles as the framework names them, aims in our own words. */
static const cairn_course_new framework_courses[] = {
    { "Introduction to physical, emotional and sexual abuse and neglect", "A", "CORE",
      "Know the four kinds of abuse, spot the signs in the children you meet, and know "
      "who to tell and how.", 0, 6, 0 },
    { "Child development in relation to well-being and harm", "A", "CORE",
      "Understand how children usually grow and attach, so that a worrying change or "
      "delay is noticed early.", 0, 6, 0 },
    { "Information sharing and making referrals to safeguard children", "A", "CORE",
      "Share what you know lawfully and in time, with or without consent, and make a "
      "referral that children's social care can act on.", 0, 6, 0 },
    { "Recording and record keeping", "A", "CORE",
      "Write factual, dated, signed records that stand up later and help the next "
      "person act.", 0, 3, 0 },
    { "Domestic violence as a serious child protection issue", "A", "CORE",
      "See how violence between adults harms the children who live with it, and what "
      "help is available locally.", 1, 6, 0 },
    { "Safeguarding children with disabilities", "A", "SPECIALIST",
      "Recognise why disabled children are at greater risk and how to listen to children "
      "who communicate differently.", 1, 6, 0 },
    { "Working with parents and families who are difficult to engage", "B", "CORE",
      "Keep the child in focus when a family avoids, resists or charms the professionals "
      "around it.", 0, 6, 0 },
    { "The legal framework for safeguarding practice", "B", "CORE",
      "Know the duties and powers behind child protection work and use them with "
      "confidence in multi-agency meetings.", 0, 6, 0 },
    { "Focus on neglect", "B", "SPECIALIST",
      "Build the picture of neglect from small signs over time and act before harm "
      "becomes lasting.", 2, 12, 0 },
};

int store_courses_seed(void)
{
    for (size_t i = 0; i < sizeof framework_courses / sizeof framework_courses[0]; i++) {
        int r = course_insert(&framework_courses[i], true, NULL);
        if (r)
            return r;
    }
    return 0;
}

/* ---- sessions ---- */

static int insert_dates(int64_t session_id, json_t *dates)
{
    size_t i;
    json_t *d;
    json_array_foreach(dates, i, d) {
        sqlite3_stmt *st = db_stmt(
            "INSERT INTO session_dates (session_id, starts_at, ends_at) VALUES (?, ?, ?)");
        if (!st)
            return -EIO;
        sqlite3_bind_int64(st, 1, session_id);
        sqlite3_bind_text(st, 2, json_string_value(json_object_get(d, "starts_at")), -1,
                          SQLITE_STATIC);
        sqlite3_bind_text(st, 3, json_string_value(json_object_get(d, "ends_at")), -1,
                          SQLITE_STATIC);
        int r = db_exec_stmt(st);
        if (r)
            return r;
    }
    return 0;
}

static const char *first_start(const cairn_session_fields *f)
{
    return json_string_value(json_object_get(json_array_get(f->dates, 0), "starts_at"));
}

int store_course_session_create(const cairn_session_fields *f, int64_t created_by, int64_t *ret_id)
{
    char now[24];
    db_now_iso(now);
    int r = db_begin();
    if (r)
        return r;
    sqlite3_stmt *st = db_stmt(
        "INSERT INTO course_sessions (course_id, host_borough_id, venue_name, venue_address,"
        " access_notes, trainer, capacity, open_places, booking_deadline, cancel_notice_hours,"
        " uid, first_start, created_by, created_at, updated_at)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, lower(hex(randomblob(12))),"
        " ?11, ?12, ?13, ?13)");
    if (!st) {
        db_rollback();
        return -EIO;
    }
    sqlite3_bind_int64(st, 1, f->course_id);
    sqlite3_bind_int64(st, 2, f->host_borough_id);
    sqlite3_bind_text(st, 3, f->venue_name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, f->venue_address, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, f->access_notes ? f->access_notes : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, f->trainer ? f->trainer : "", -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 7, f->capacity);
    sqlite3_bind_int(st, 8, f->open_places);
    sqlite3_bind_text(st, 9, f->booking_deadline, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 10, f->cancel_notice_hours);
    sqlite3_bind_text(st, 11, first_start(f), -1, SQLITE_STATIC);
    if (created_by)
        sqlite3_bind_int64(st, 12, created_by);
    sqlite3_bind_text(st, 13, now, -1, SQLITE_STATIC);
    r = db_exec_stmt(st);
    int64_t id = r ? 0 : sqlite3_last_insert_rowid(db_conn());
    if (!r)
        r = insert_dates(id, f->dates);
    if (!r)
        r = db_commit();
    if (r) {
        db_rollback();
        return r;
    }
    *ret_id = id;
    return 0;
}

/* status of the session: 1 scheduled, 2 cancelled; 0 none; <0 error */
static int session_status(int64_t id)
{
    sqlite3_stmt *st = db_stmt("SELECT status = 'cancelled' FROM course_sessions WHERE id = ?");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st), r;
    if (rc == SQLITE_ROW)
        r = sqlite3_column_int(st, 0) ? 2 : 1;
    else
        r = rc == SQLITE_DONE ? 0 : db_fail("session status");
    sqlite3_reset(st);
    return r;
}

/* A waitlisted booking's place in line, counted now: the stored
 * waitlist_position only orders the line (it is never renumbered when the
 * people ahead are promoted or leave), so it is never shown as it is. */
#define WAIT_RANK(b)                                                              \
    "CASE WHEN " b ".status = 'waitlisted' THEN (SELECT COUNT(*) FROM bookings w" \
    " WHERE w.session_id = " b ".session_id AND w.status = 'waitlisted'"          \
    " AND (w.waitlist_position < " b ".waitlist_position"                         \
    "  OR (w.waitlist_position = " b ".waitlist_position AND w.id <= " b ".id)))" \
    " END"

static int promote(int64_t session_id, int64_t host, int capacity, int open_places,
                   const char *now, int64_t *ret_booking, int64_t *ret_user);

int store_course_session_update(int64_t id, const cairn_session_fields *f,
                                cairn_promotion *ret_promoted, size_t max, size_t *ret_n)
{
    *ret_n = 0;
    char now[24];
    db_now_iso(now);
    int r = db_begin();
    if (r)
        return r;
    int s = session_status(id);
    if (s <= 0 || s == 2) {
        db_rollback();
        return s < 0 ? s : s == 0 ? -ENOENT : -ECANCELED;
    }
    /* Dates that attendance refers to stay as they are. */
    sqlite3_stmt *st = db_stmt("SELECT COUNT(*) FROM attendance WHERE session_id = ?");
    if (!st) {
        db_rollback();
        return -EIO;
    }
    sqlite3_bind_int64(st, 1, id);
    int marked = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_reset(st);
    if (marked != 0) {
        db_rollback();
        return marked < 0 ? db_fail("attendance count") : -EBUSY;
    }
    st = db_stmt(
        "UPDATE course_sessions SET venue_name = ?2, venue_address = ?3, access_notes = ?4,"
        " trainer = ?5, capacity = ?6, open_places = ?7, booking_deadline = ?8,"
        " cancel_notice_hours = ?9, first_start = ?10, updated_at = ?11,"
        " sequence = sequence + 1 WHERE id = ?1");
    if (!st) {
        db_rollback();
        return -EIO;
    }
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, f->venue_name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, f->venue_address, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, f->access_notes ? f->access_notes : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, f->trainer ? f->trainer : "", -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 6, f->capacity);
    sqlite3_bind_int(st, 7, f->open_places);
    sqlite3_bind_text(st, 8, f->booking_deadline, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 9, f->cancel_notice_hours);
    sqlite3_bind_text(st, 10, first_start(f), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 11, now, -1, SQLITE_STATIC);
    r = db_exec_stmt(st);
    if (!r) {
        st = db_stmt("DELETE FROM session_dates WHERE session_id = ?");
        if (!st)
            r = -EIO;
        else {
            sqlite3_bind_int64(st, 1, id);
            r = db_exec_stmt(st);
        }
    }
    if (!r)
        r = insert_dates(id, f->dates);
    /* Places this change opened go to the waitlist, as a cancellation's
     * would; nobody is promoted into a session that has begun. */
    if (!r && strcmp(first_start(f), now) > 0) {
        int64_t host = 0;
        st = db_stmt("SELECT host_borough_id FROM course_sessions WHERE id = ?");
        if (!st)
            r = -EIO;
        else {
            sqlite3_bind_int64(st, 1, id);
            if (sqlite3_step(st) == SQLITE_ROW)
                host = sqlite3_column_int64(st, 0);
            sqlite3_reset(st);
        }
        for (;;) {
            int64_t booking = 0, user = 0;
            if (r || (r = promote(id, host, f->capacity, f->open_places, now, &booking, &user)) ||
                !booking)
                break;
            if (*ret_n < max)
                ret_promoted[(*ret_n)++] = (cairn_promotion){ booking, user };
        }
    }
    if (!r)
        r = db_commit();
    if (r)
        db_rollback();
    return r;
}

int store_course_session_cancel(int64_t id, const char *reason)
{
    char now[24];
    db_now_iso(now);
    int r = db_begin();
    if (r)
        return r;
    int s = session_status(id);
    if (s <= 0 || s == 2) {
        db_rollback();
        return s < 0 ? s : s == 0 ? -ENOENT : -EALREADY;
    }
    sqlite3_stmt *st = db_stmt(
        "UPDATE course_sessions SET status = 'cancelled', cancel_reason = ?2,"
        " sequence = sequence + 1, updated_at = ?3 WHERE id = ?1");
    if (!st) {
        db_rollback();
        return -EIO;
    }
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, reason, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
    r = db_exec_stmt(st);
    if (!r)
        r = db_commit();
    if (r)
        db_rollback();
    return r;
}

typedef struct counts {
    int held, held_other, waiting;
} counts;

static int session_counts(int64_t session_id, int64_t host, counts *c)
{
    sqlite3_stmt *st = db_stmt(
        "SELECT SUM(b.status IN ('booked', 'promoted', 'pending')),"
        " SUM(b.status IN ('booked', 'promoted', 'pending') AND COALESCE(u.borough_id, 0) <> ?2),"
        " SUM(b.status = 'waitlisted')"
        " FROM bookings b JOIN users u ON u.id = b.user_id WHERE b.session_id = ?1");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, session_id);
    sqlite3_bind_int64(st, 2, host);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        c->held = sqlite3_column_int(st, 0);
        c->held_other = sqlite3_column_int(st, 1);
        c->waiting = sqlite3_column_int(st, 2);
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : db_fail("session counts");
}

/* Places a learner of this borough may still take. */
static int free_for(int capacity, int open_places, const counts *c, bool host)
{
    int f = capacity - c->held;
    if (!host && open_places - c->held_other < f)
        f = open_places - c->held_other;
    return f > 0 ? f : 0;
}

static int session_dates_json(int64_t id, json_t **ret)
{
    sqlite3_stmt *st = db_stmt(
        "SELECT id, starts_at, ends_at FROM session_dates WHERE session_id = ?"
        " ORDER BY starts_at, id");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, id);
    json_t *list = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        json_array_append_new(list, json_pack("{sI ss ss}",
            "id", (json_int_t)sqlite3_column_int64(st, 0),
            "starts_at", db_str(st, 1), "ends_at", db_str(st, 2)));
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        json_decref(list);
        return db_fail("session dates");
    }
    *ret = list;
    return 0;
}

int store_course_session_json(int64_t id, int64_t viewer_borough, json_t **ret)
{
    sqlite3_stmt *st = db_stmt(
        "SELECT s.id, " COURSE_COLUMNS ", s.host_borough_id, b.name, b.slug, s.venue_name,"
        " s.venue_address, s.access_notes, s.trainer, s.capacity, s.open_places,"
        " s.booking_deadline, s.cancel_notice_hours, s.status, s.cancel_reason, s.sequence,"
        " s.uid, s.created_at, s.updated_at"
        " FROM course_sessions s JOIN courses c ON c.id = s.course_id"
        " JOIN boroughs b ON b.id = s.host_borough_id WHERE s.id = ?");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? -ENOENT : db_fail("session");
    }
    int64_t host = sqlite3_column_int64(st, 9);
    int capacity = sqlite3_column_int(st, 16), open_places = sqlite3_column_int(st, 17);
    json_t *o = json_pack("{sI so s{sI ss ss} s{ss ss ss} ss si si ss si ss so si ss ss ss}",
        "id", (json_int_t)sqlite3_column_int64(st, 0),
        "course", course_row(st, 1),
        "host_borough", "id", (json_int_t)host, "name", db_str(st, 10), "slug", db_str(st, 11),
        "venue", "name", db_str(st, 12), "address", db_str(st, 13), "access_notes", db_str(st, 14),
        "trainer", db_str(st, 15),
        "capacity", capacity, "open_places", open_places,
        "booking_deadline", db_str(st, 18), "cancel_notice_hours", sqlite3_column_int(st, 19),
        "status", db_str(st, 20), "cancel_reason", db_json_text(st, 21),
        "sequence", sqlite3_column_int(st, 22), "uid", db_str(st, 23),
        "created_at", db_str(st, 24), "updated_at", db_str(st, 25));
    sqlite3_reset(st);
    if (!o)
        return -ENOMEM;
    json_t *dates = NULL;
    counts c = { 0 };
    int r = session_dates_json(id, &dates);
    if (!r)
        r = session_counts(id, host, &c);
    if (r) {
        json_decref(dates);
        json_decref(o);
        return r;
    }
    size_t nd = json_array_size(dates);
    json_object_set(o, "starts_at", nd ? json_object_get(json_array_get(dates, 0), "starts_at")
                                       : json_null());
    json_object_set(o, "ends_at", nd ? json_object_get(json_array_get(dates, nd - 1), "ends_at")
                                     : json_null());
    json_object_set_new(o, "dates", dates);
    json_object_set_new(o, "booked", json_integer(c.held));
    json_object_set_new(o, "booked_other_boroughs", json_integer(c.held_other));
    json_object_set_new(o, "waitlisted", json_integer(c.waiting));
    if (viewer_borough)
        json_object_set_new(o, "free_places", json_integer(
            free_for(capacity, open_places, &c, viewer_borough == host)));
    *ret = o;
    return 0;
}

static int my_booking_json(int64_t session_id, int64_t user_id, json_t **ret)
{
    sqlite3_stmt *st = db_stmt(
        "SELECT b.id, b.status, " WAIT_RANK("b") " FROM bookings b"
        " WHERE b.session_id = ? AND b.user_id = ?"
        " ORDER BY b.status = 'cancelled', b.id DESC LIMIT 1");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, session_id);
    sqlite3_bind_int64(st, 2, user_id);
    int rc = sqlite3_step(st);
    json_t *o = json_null();
    if (rc == SQLITE_ROW) {
        o = json_pack("{sI ss}", "id", (json_int_t)sqlite3_column_int64(st, 0),
                      "status", db_str(st, 1));
        json_object_set_new(o, "waitlist_position", sqlite3_column_type(st, 2) == SQLITE_NULL
                            ? json_null() : json_integer(sqlite3_column_int(st, 2)));
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        json_decref(o);
        return db_fail("my booking");
    }
    *ret = o;
    return 0;
}

/* ---- paging (keyset; store_courses.h cairn_page) ---- */

/* A row's key as a cursor: "first_start~id". */
static void page_key(char buf[48], const char *at, int64_t id)
{
    snprintf(buf, 48, "%s~%lld", at, (long long)id);
}

/* Runs the listing statement st (columns: session id, first_start), which
 * already has its filters bound and reads at most page->limit + 1 rows
 * after (or, page->before, before) the cursor in list order (reversed for
 * before), into {"sessions":[...],"limit","next","previous"}. user_id != 0
 * adds "my_booking". */
static int session_page(sqlite3_stmt *st, const cairn_page *page, int64_t user_id,
                        int64_t borough_id, json_t **ret)
{
    size_t cap = (size_t)page->limit + 1, n = 0;
    int64_t *ids = calloc(cap, sizeof *ids);
    char (*keys)[48] = calloc(cap, sizeof *keys);
    int rc = SQLITE_DONE, r = 0;
    if (!ids || !keys) {
        sqlite3_reset(st);
        r = -ENOMEM;
        goto out;
    }
    while (n < cap && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        ids[n] = sqlite3_column_int64(st, 0);
        page_key(keys[n], db_str(st, 1), ids[n]);
        n++;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        r = db_fail("session page");
        goto out;
    }
    bool more = n == cap;
    if (more)
        n--;
    if (page->before) {         /* read nearest first: put back in list order */
        for (size_t i = 0; i < n / 2; i++) {
            int64_t t = ids[i];
            ids[i] = ids[n - 1 - i];
            ids[n - 1 - i] = t;
            char k[48];
            memcpy(k, keys[i], sizeof k);
            memcpy(keys[i], keys[n - 1 - i], sizeof k);
            memcpy(keys[n - 1 - i], k, sizeof k);
        }
    }
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *s = NULL, *mine = NULL;
        r = store_course_session_json(ids[i], borough_id, &s);
        if (!r && user_id) {
            r = my_booking_json(ids[i], user_id, &mine);
            json_object_set_new(s, "my_booking", mine);
        }
        if (r) {
            json_decref(s);
            json_decref(list);
            goto out;
        }
        json_array_append_new(list, s);
    }
    /* after (or no cursor): a previous page when we came from one, a next
     * one when a row was left over; before: the other way round. */
    bool has_next = page->before ? n > 0 : more;
    bool has_prev = page->before ? more : page->has_cursor && n > 0;
    *ret = json_pack("{so si so so}", "sessions", list, "limit", page->limit,
                     "next", has_next ? json_string(keys[n - 1]) : json_null(),
                     "previous", has_prev ? json_string(keys[0]) : json_null());
out:
    free(ids);
    free(keys);
    return r;
}

int store_sessions_for_learner_json(int64_t user_id, int64_t borough_id, const cairn_page *page,
                                    json_t **ret)
{
    char now[24];
    db_now_iso(now);
    /* soonest first; before: the same rows read backwards */
    sqlite3_stmt *st = db_stmt(page->before
        ? "SELECT id, first_start FROM course_sessions WHERE status = 'scheduled'"
          " AND first_start > ?1"
          " AND (host_borough_id = ?2 OR open_places > 0"
          "  OR id IN (SELECT session_id FROM bookings WHERE user_id = ?3))"
          " AND (first_start, id) < (?4, ?5)"
          " ORDER BY first_start DESC, id DESC LIMIT ?6"
        : "SELECT id, first_start FROM course_sessions WHERE status = 'scheduled'"
          " AND first_start > ?1"
          " AND (host_borough_id = ?2 OR open_places > 0"
          "  OR id IN (SELECT session_id FROM bookings WHERE user_id = ?3))"
          " AND (?4 IS NULL OR (first_start, id) > (?4, ?5))"
          " ORDER BY first_start, id LIMIT ?6");
    if (!st)
        return -EIO;
    sqlite3_bind_text(st, 1, now, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, borough_id);
    sqlite3_bind_int64(st, 3, user_id);
    if (page->has_cursor) {
        sqlite3_bind_text(st, 4, page->at, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 5, page->id);
    }
    sqlite3_bind_int(st, 6, page->limit + 1);
    return session_page(st, page, user_id, borough_id, ret);
}

int store_sessions_hosted_json(int64_t borough_id, const cairn_page *page, json_t **ret)
{
    /* latest first; before: the same rows read backwards */
    sqlite3_stmt *st = db_stmt(page->before
        ? "SELECT id, first_start FROM course_sessions WHERE (?1 = 0 OR host_borough_id = ?1)"
          " AND (first_start, id) > (?2, ?3)"
          " ORDER BY first_start, id LIMIT ?4"
        : "SELECT id, first_start FROM course_sessions WHERE (?1 = 0 OR host_borough_id = ?1)"
          " AND (?2 IS NULL OR (first_start, id) < (?2, ?3))"
          " ORDER BY first_start DESC, id DESC LIMIT ?4");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, borough_id);
    if (page->has_cursor) {
        sqlite3_bind_text(st, 2, page->at, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 3, page->id);
    }
    sqlite3_bind_int(st, 4, page->limit + 1);
    return session_page(st, page, 0, 0, ret);
}

int store_course_session_bookings_json(int64_t id, json_t **ret)
{
    sqlite3_stmt *st = db_stmt(
        "SELECT b.id, b.status, b.reason, " WAIT_RANK("b") ", b.late_cancellation,"
        " b.created_at, b.updated_at, u.id, u.name, u.email, bo.name, b.moved_from"
        " FROM bookings b JOIN users u ON u.id = b.user_id"
        " LEFT JOIN boroughs bo ON bo.id = u.borough_id WHERE b.session_id = ?"
        " ORDER BY b.status = 'waitlisted', b.waitlist_position, b.created_at, b.id");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, id);
    json_t *booked = json_array(), *waiting = json_array(), *cancelled = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *status = db_str(st, 1);
        json_t *o = json_pack("{sI ss so so sb ss ss s{sI ss ss so}}",
            "id", (json_int_t)sqlite3_column_int64(st, 0), "status", status,
            "reason", db_json_text(st, 2),
            "waitlist_position", sqlite3_column_type(st, 3) == SQLITE_NULL ? json_null()
                : json_integer(sqlite3_column_int(st, 3)),
            "late_cancellation", sqlite3_column_int(st, 4) != 0,
            "created_at", db_str(st, 5), "updated_at", db_str(st, 6),
            "learner", "id", (json_int_t)sqlite3_column_int64(st, 7), "name", db_str(st, 8),
            "email", db_str(st, 9), "borough", db_json_text(st, 10));
        if (o)
            json_object_set_new(o, "moved_from", sqlite3_column_type(st, 11) == SQLITE_NULL
                                ? json_null() : json_integer(sqlite3_column_int64(st, 11)));
        json_array_append_new(strcmp(status, "waitlisted") == 0 ? waiting
                              : strcmp(status, "cancelled") == 0 ? cancelled : booked, o);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        json_decref(booked);
        json_decref(waiting);
        json_decref(cancelled);
        return db_fail("session bookings");
    }
    *ret = json_pack("{so so so}", "bookings", booked, "waitlist", waiting,
                     "cancelled", cancelled);
    return 0;
}

/* ---- bookings ---- */

static int user_borough(int64_t user_id, int64_t *ret)
{
    sqlite3_stmt *st = db_stmt("SELECT COALESCE(borough_id, 0) FROM users WHERE id = ?");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, user_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *ret = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : db_fail("user borough");
}

static int booking_checks(int64_t session_id, int64_t user_id, int64_t *ret_host,
                          int *ret_capacity, int *ret_open)
{
    char now[24];
    db_now_iso(now);
    sqlite3_stmt *st = db_stmt(
        "SELECT status, first_start <= ?2, booking_deadline <= ?2, capacity, open_places,"
        " host_borough_id FROM course_sessions WHERE id = ?1");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, session_id);
    sqlite3_bind_text(st, 2, now, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st), r = 0;
    if (rc == SQLITE_ROW) {
        if (strcmp(db_str(st, 0), "cancelled") == 0)
            r = -ECANCELED;
        else if (sqlite3_column_int(st, 1))
            r = -ETIME;
        else if (sqlite3_column_int(st, 2))
            r = -ETIMEDOUT;
        *ret_capacity = sqlite3_column_int(st, 3);
        *ret_open = sqlite3_column_int(st, 4);
        *ret_host = sqlite3_column_int64(st, 5);
    } else {
        r = rc == SQLITE_DONE ? -ENOENT : db_fail("booking session");
    }
    sqlite3_reset(st);
    if (r)
        return r;
    int64_t ub = 0;
    if ((r = user_borough(user_id, &ub)))
        return r;
    if (ub != *ret_host && *ret_open == 0)
        return -EACCES;
    st = db_stmt("SELECT 1 FROM bookings WHERE session_id = ? AND user_id = ?"
                 " AND status <> 'cancelled'");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, session_id);
    sqlite3_bind_int64(st, 2, user_id);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW)
        return -EEXIST;
    if (rc != SQLITE_DONE)
        return db_fail("booking duplicate");
    return ub == *ret_host ? 1 : 0;
}

int store_booking_make(int64_t session_id, int64_t user_id, bool pending, bool waitlist,
                       cairn_booking_result *ret)
{
    char now[24];
    db_now_iso(now);
    int r = db_begin();
    if (r)
        return r;
    int64_t host = 0;
    int capacity = 0, open_places = 0;
    counts c = { 0 };
    r = booking_checks(session_id, user_id, &host, &capacity, &open_places);
    if (r < 0)
        goto fail;
    bool is_host = r == 1;
    if ((r = session_counts(session_id, host, &c)))
        goto fail;
    cairn_booking_result out = { 0 };
    int wait_key = 0;
    if (free_for(capacity, open_places, &c, is_host) > 0) {
        out.status = pending ? "pending" : "booked";
    } else if (waitlist) {
        /* the stored key goes after everyone's; the learner is told their
         * place in line (WAIT_RANK) */
        sqlite3_stmt *st = db_stmt(
            "SELECT COALESCE(MAX(waitlist_position), 0) + 1,"
            " COUNT(*) FILTER (WHERE status = 'waitlisted') + 1"
            " FROM bookings WHERE session_id = ?");
        if (!st) {
            r = -EIO;
            goto fail;
        }
        sqlite3_bind_int64(st, 1, session_id);
        bool row = sqlite3_step(st) == SQLITE_ROW;
        wait_key = row ? sqlite3_column_int(st, 0) : 1;
        out.waitlist_position = row ? sqlite3_column_int(st, 1) : 1;
        sqlite3_reset(st);
        out.status = "waitlisted";
    } else {
        r = -ENOSPC;
        goto fail;
    }
    sqlite3_stmt *st = db_stmt(
        "INSERT INTO bookings (session_id, user_id, status, waitlist_position, needs_approval,"
        " created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?6, ?5, ?5)");
    if (!st) {
        r = -EIO;
        goto fail;
    }
    sqlite3_bind_int64(st, 1, session_id);
    sqlite3_bind_int64(st, 2, user_id);
    sqlite3_bind_text(st, 3, out.status, -1, SQLITE_STATIC);
    if (wait_key)
        sqlite3_bind_int(st, 4, wait_key);
    sqlite3_bind_text(st, 5, now, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 6, pending);
    if ((r = db_exec_stmt(st)))
        goto fail;
    out.id = sqlite3_last_insert_rowid(db_conn());
    if ((r = db_commit()))
        goto fail;
    *ret = out;
    return 0;
fail:
    db_rollback();
    return r;
}

/* After a place is freed: the first waitlisted learner who may take it. */
static int promote(int64_t session_id, int64_t host, int capacity, int open_places,
                   const char *now, int64_t *ret_booking, int64_t *ret_user)
{
    counts c = { 0 };
    int r = session_counts(session_id, host, &c);
    if (r)
        return r;
    sqlite3_stmt *st = db_stmt(
        "SELECT b.id, b.user_id, COALESCE(u.borough_id, 0) FROM bookings b"
        " JOIN users u ON u.id = b.user_id WHERE b.session_id = ? AND b.status = 'waitlisted'"
        " ORDER BY b.waitlist_position, b.id");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, session_id);
    int rc;
    int64_t bid = 0, uid = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (free_for(capacity, open_places, &c, sqlite3_column_int64(st, 2) == host) > 0) {
            bid = sqlite3_column_int64(st, 0);
            uid = sqlite3_column_int64(st, 1);
            break;
        }
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_fail("waitlist");
    if (!bid)
        return 0;
    st = db_stmt("UPDATE bookings SET waitlist_position = NULL, updated_at = ?,"
                 " status = CASE WHEN needs_approval THEN 'pending' ELSE 'promoted' END"
                 " WHERE id = ?");
    if (!st)
        return -EIO;
    sqlite3_bind_text(st, 1, now, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, bid);
    if ((r = db_exec_stmt(st)))
        return r;
    *ret_booking = bid;
    *ret_user = uid;
    return 0;
}

int store_booking_cancel(int64_t booking_id, int64_t user_id, const char *reason,
                         cairn_cancel_result *ret)
{
    char now[24];
    db_now_iso(now);
    int r = db_begin();
    if (r)
        return r;
    sqlite3_stmt *st = db_stmt(
        "SELECT b.session_id, b.status, s.first_start <= ?3,"
        " strftime('%Y-%m-%dT%H:%M:%SZ', ?3, printf('+%d hours', s.cancel_notice_hours))"
        "  > s.first_start,"
        " s.host_borough_id, s.capacity, s.open_places"
        " FROM bookings b JOIN course_sessions s ON s.id = b.session_id"
        " WHERE b.id = ?1 AND (?2 = 0 OR b.user_id = ?2)");
    if (!st) {
        db_rollback();
        return -EIO;
    }
    sqlite3_bind_int64(st, 1, booking_id);
    sqlite3_bind_int64(st, 2, user_id);
    sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    cairn_cancel_result out = { 0 };
    int64_t host = 0;
    int capacity = 0, open_places = 0;
    bool started = false, inside_notice = false;
    if (rc == SQLITE_ROW) {
        out.session_id = sqlite3_column_int64(st, 0);
        snprintf(out.previous, sizeof out.previous, "%s", db_str(st, 1));
        started = sqlite3_column_int(st, 2) != 0;
        inside_notice = sqlite3_column_int(st, 3) != 0;
        host = sqlite3_column_int64(st, 4);
        capacity = sqlite3_column_int(st, 5);
        open_places = sqlite3_column_int(st, 6);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW) {
        r = rc == SQLITE_DONE ? -ENOENT : db_fail("booking");
        goto fail;
    }
    if (strcmp(out.previous, "cancelled") == 0) {
        r = -EALREADY;
        goto fail;
    }
    /* user_id 0: an officer's cancellation (store_courses.h): allowed after
     * the start, never late, and nobody is promoted into a running session. */
    if (started && user_id) {
        r = -ETIME;
        goto fail;
    }
    bool held = strcmp(out.previous, "waitlisted") != 0;
    out.late = held && inside_notice && user_id;
    st = db_stmt("UPDATE bookings SET status = 'cancelled', reason = ?2, waitlist_position = NULL,"
                 " late_cancellation = ?3, updated_at = ?4 WHERE id = ?1");
    if (!st) {
        r = -EIO;
        goto fail;
    }
    sqlite3_bind_int64(st, 1, booking_id);
    sqlite3_bind_text(st, 2, reason, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, out.late);
    sqlite3_bind_text(st, 4, now, -1, SQLITE_STATIC);
    if ((r = db_exec_stmt(st)))
        goto fail;
    if (held && !started && (r = promote(out.session_id, host, capacity, open_places, now,
                                         &out.promoted_booking, &out.promoted_user)))
        goto fail;
    if ((r = db_commit()))
        goto fail;
    *ret = out;
    return 0;
fail:
    db_rollback();
    return r;
}

int store_booking_decide(int64_t booking_id, bool approve, const char *reason,
                         cairn_cancel_result *ret)
{
    char now[24];
    db_now_iso(now);
    int r = db_begin();
    if (r)
        return r;
    sqlite3_stmt *st = db_stmt(
        "SELECT b.session_id, b.status, s.host_borough_id, s.capacity, s.open_places"
        " FROM bookings b JOIN course_sessions s ON s.id = b.session_id WHERE b.id = ?");
    if (!st) {
        db_rollback();
        return -EIO;
    }
    sqlite3_bind_int64(st, 1, booking_id);
    int rc = sqlite3_step(st);
    cairn_cancel_result out = { 0 };
    int64_t host = 0;
    int capacity = 0, open_places = 0;
    if (rc == SQLITE_ROW) {
        out.session_id = sqlite3_column_int64(st, 0);
        snprintf(out.previous, sizeof out.previous, "%s", db_str(st, 1));
        host = sqlite3_column_int64(st, 2);
        capacity = sqlite3_column_int(st, 3);
        open_places = sqlite3_column_int(st, 4);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW) {
        r = rc == SQLITE_DONE ? -ENOENT : db_fail("booking");
        goto fail;
    }
    if (strcmp(out.previous, "pending") != 0) {
        r = -EALREADY;
        goto fail;
    }
    st = db_stmt("UPDATE bookings SET status = ?2, reason = ?3, needs_approval = 0,"
                 " updated_at = ?4 WHERE id = ?1");
    if (!st) {
        r = -EIO;
        goto fail;
    }
    sqlite3_bind_int64(st, 1, booking_id);
    sqlite3_bind_text(st, 2, approve ? "booked" : "cancelled", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, reason, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, now, -1, SQLITE_STATIC);
    if ((r = db_exec_stmt(st)))
        goto fail;
    if (!approve && (r = promote(out.session_id, host, capacity, open_places, now,
                                 &out.promoted_booking, &out.promoted_user)))
        goto fail;
    if ((r = db_commit()))
        goto fail;
    *ret = out;
    return 0;
fail:
    db_rollback();
    return r;
}

int store_booking_json(int64_t booking_id, json_t **ret)
{
    sqlite3_stmt *st = db_stmt(
        "SELECT b.id, b.session_id, b.user_id, b.status, b.reason, " WAIT_RANK("b") ","
        " b.late_cancellation, b.created_at, b.updated_at, b.moved_from FROM bookings b"
        " WHERE b.id = ?");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, booking_id);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? -ENOENT : db_fail("booking");
    }
    json_t *o = json_pack("{sI sI sI ss so so sb ss ss}",
        "id", (json_int_t)sqlite3_column_int64(st, 0),
        "session_id", (json_int_t)sqlite3_column_int64(st, 1),
        "user_id", (json_int_t)sqlite3_column_int64(st, 2),
        "status", db_str(st, 3), "reason", db_json_text(st, 4),
        "waitlist_position", sqlite3_column_type(st, 5) == SQLITE_NULL ? json_null()
            : json_integer(sqlite3_column_int(st, 5)),
        "late_cancellation", sqlite3_column_int(st, 6) != 0,
        "created_at", db_str(st, 7), "updated_at", db_str(st, 8));
    if (o)
        json_object_set_new(o, "moved_from", sqlite3_column_type(st, 9) == SQLITE_NULL
                            ? json_null() : json_integer(sqlite3_column_int64(st, 9)));
    sqlite3_reset(st);
    if (!o)
        return -ENOMEM;
    *ret = o;
    return 0;
}

/* ---- attendance ---- */

int store_attendance_mark(int64_t session_id, int64_t date_id, int64_t user_id,
                          const char *status, int minutes, int64_t marked_by,
                          cairn_attendance_result *ret)
{
    char now[24];
    db_now_iso(now);
    int r = db_begin();
    if (r)
        return r;
    sqlite3_stmt *st = db_stmt(
        "SELECT CAST(ROUND((julianday(ends_at) - julianday(starts_at)) * 1440) AS INTEGER)"
        " FROM session_dates WHERE id = ? AND session_id = ?");
    if (!st) {
        db_rollback();
        return -EIO;
    }
    sqlite3_bind_int64(st, 1, date_id);
    sqlite3_bind_int64(st, 2, session_id);
    int rc = sqlite3_step(st);
    int length = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_reset(st);
    if (rc != SQLITE_ROW) {
        r = rc == SQLITE_DONE ? -ENOENT : db_fail("session date");
        goto fail;
    }
    /* The learner must hold a place: a live booking (booked, promoted or
     * pending) allows every status. A cancelled booking alone (by the
     * learner, an officer, or a move to another session) allows only
     * "cancelled_late", which is what it is for: the moved learner attends
     * the other session, not this one. Neither: -ESRCH. The aggregate gives
     * one row: NULL for no booking, 1 when one is live, 0 when all are
     * cancelled. */
    st = db_stmt("SELECT MAX(status <> 'cancelled') FROM bookings"
                 " WHERE session_id = ? AND user_id = ?"
                 " AND status IN ('booked', 'promoted', 'pending', 'cancelled')");
    if (!st) {
        r = -EIO;
        goto fail;
    }
    sqlite3_bind_int64(st, 1, session_id);
    sqlite3_bind_int64(st, 2, user_id);
    rc = sqlite3_step(st);
    bool none = rc == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_NULL;
    bool live = rc == SQLITE_ROW && sqlite3_column_int(st, 0) != 0;
    sqlite3_reset(st);
    if (rc != SQLITE_ROW) {
        r = db_fail("attendance booking");
        goto fail;
    }
    if (none) {
        r = -ESRCH;
        goto fail;
    }
    if (!live && strcmp(status, "cancelled_late") != 0) {
        r = -ECANCELED;
        goto fail;
    }
    cairn_attendance_result out = { 0 };
    bool partly = strcmp(status, "partly_attended") == 0;
    if (partly && (minutes <= 0 || minutes > length)) {
        r = -EINVAL;
        goto fail;
    }
    if (strcmp(status, "attended") == 0)
        out.hours = length / 60.0;
    else if (partly)
        out.hours = minutes / 60.0;
    else
        out.flagged = true;
    out.hours = (double)(int64_t)(out.hours * 100 + 0.5) / 100;
    st = db_stmt(
        "INSERT INTO attendance (session_id, date_id, user_id, status, minutes, hours, flagged,"
        " marked_by, marked_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
        " ON CONFLICT (date_id, user_id) DO UPDATE SET status = excluded.status,"
        " minutes = excluded.minutes, hours = excluded.hours, flagged = excluded.flagged,"
        " marked_by = excluded.marked_by, marked_at = excluded.marked_at");
    if (!st) {
        r = -EIO;
        goto fail;
    }
    sqlite3_bind_int64(st, 1, session_id);
    sqlite3_bind_int64(st, 2, date_id);
    sqlite3_bind_int64(st, 3, user_id);
    sqlite3_bind_text(st, 4, status, -1, SQLITE_STATIC);
    if (partly)
        sqlite3_bind_int(st, 5, minutes);
    sqlite3_bind_double(st, 6, out.hours);
    sqlite3_bind_int(st, 7, out.flagged);
    if (marked_by)
        sqlite3_bind_int64(st, 8, marked_by);
    sqlite3_bind_text(st, 9, now, -1, SQLITE_STATIC);
    /* every date attended: the certificate; otherwise it is revoked */
    if ((r = db_exec_stmt(st)) || (r = store_certificate_attendance_tx(session_id, user_id)) ||
        (r = db_commit()))
        goto fail;
    *ret = out;
    return 0;
fail:
    db_rollback();
    return r;
}

/* ---- officers: moving and cancelling a learner's booking ----
 *
 * A move is two rows, so every calendar stays right without new iCalendar
 * rules: the old booking is cancelled (its invitation becomes METHOD:CANCEL,
 * one SEQUENCE past its session's), and a new booked row on the target
 * session, with moved_from naming the old session, carries the target's
 * invitation (METHOD:REQUEST, the target's UID). */

int store_booking_scope(int64_t booking_id, cairn_booking_scope *ret)
{
    sqlite3_stmt *st = db_stmt(
        "SELECT b.session_id, b.user_id, s.host_borough_id, COALESCE(u.borough_id, 0), b.status"
        " FROM bookings b JOIN course_sessions s ON s.id = b.session_id"
        " JOIN users u ON u.id = b.user_id WHERE b.id = ?");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, booking_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        ret->session_id = sqlite3_column_int64(st, 0);
        ret->user_id = sqlite3_column_int64(st, 1);
        ret->host_borough_id = sqlite3_column_int64(st, 2);
        ret->learner_borough_id = sqlite3_column_int64(st, 3);
        snprintf(ret->status, sizeof ret->status, "%s", db_str(st, 4));
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : db_fail("booking scope");
}

int store_booking_move(int64_t booking_id, int64_t target, const char *reason,
                       cairn_move_result *ret)
{
    char now[24];
    db_now_iso(now);
    int r = db_begin();
    if (r)
        return r;
    sqlite3_stmt *st = db_stmt(
        "SELECT b.session_id, b.user_id, b.status, s.first_start <= ?2, s.host_borough_id,"
        " s.capacity, s.open_places, s.course_id"
        " FROM bookings b JOIN course_sessions s ON s.id = b.session_id WHERE b.id = ?1");
    if (!st) {
        db_rollback();
        return -EIO;
    }
    sqlite3_bind_int64(st, 1, booking_id);
    sqlite3_bind_text(st, 2, now, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    cairn_move_result out = { 0 };
    int64_t user = 0, host = 0, course = 0;
    int capacity = 0, open_places = 0;
    bool started = false, held = false, cancelled = false;
    if (rc == SQLITE_ROW) {
        out.from_session = sqlite3_column_int64(st, 0);
        user = sqlite3_column_int64(st, 1);
        cancelled = strcmp(db_str(st, 2), "cancelled") == 0;
        held = !cancelled && strcmp(db_str(st, 2), "waitlisted") != 0;
        started = sqlite3_column_int(st, 3) != 0;
        host = sqlite3_column_int64(st, 4);
        capacity = sqlite3_column_int(st, 5);
        open_places = sqlite3_column_int(st, 6);
        course = sqlite3_column_int64(st, 7);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW) {
        r = rc == SQLITE_DONE ? -ENOENT : db_fail("booking");
        goto fail;
    }
    r = cancelled ? -EALREADY : started ? -ETIME : target == out.from_session ? -EINVAL : 0;
    if (r)
        goto fail;
    /* the target: same course, scheduled, not begun; the deadline is the
     * learners' and does not bind an officer */
    st = db_stmt("SELECT status, first_start <= ?2, capacity, open_places, host_borough_id,"
                 " course_id FROM course_sessions WHERE id = ?1");
    if (!st) {
        r = -EIO;
        goto fail;
    }
    sqlite3_bind_int64(st, 1, target);
    sqlite3_bind_text(st, 2, now, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    int64_t thost = 0;
    int tcapacity = 0, topen = 0;
    if (rc == SQLITE_ROW) {
        r = sqlite3_column_int64(st, 5) != course ? -EXDEV
            : strcmp(db_str(st, 0), "cancelled") == 0 ? -ECANCELED
            : sqlite3_column_int(st, 1) ? -ESTALE : 0;
        tcapacity = sqlite3_column_int(st, 2);
        topen = sqlite3_column_int(st, 3);
        thost = sqlite3_column_int64(st, 4);
    } else {
        r = rc == SQLITE_DONE ? -ESRCH : db_fail("move target");
    }
    sqlite3_reset(st);
    if (r)
        goto fail;
    int64_t ub = 0;
    if ((r = user_borough(user, &ub)))
        goto fail;
    if (ub != thost && topen == 0) {
        r = -EACCES;
        goto fail;
    }
    st = db_stmt("SELECT 1 FROM bookings WHERE session_id = ? AND user_id = ?"
                 " AND status <> 'cancelled'");
    if (!st) {
        r = -EIO;
        goto fail;
    }
    sqlite3_bind_int64(st, 1, target);
    sqlite3_bind_int64(st, 2, user);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        r = rc == SQLITE_ROW ? -EEXIST : db_fail("move duplicate");
        goto fail;
    }
    counts c = { 0 };
    if ((r = session_counts(target, thost, &c)))
        goto fail;
    if (free_for(tcapacity, topen, &c, ub == thost) <= 0) {
        r = -ENOSPC;
        goto fail;
    }
    st = db_stmt("UPDATE bookings SET status = 'cancelled', reason = ?2, waitlist_position = NULL,"
                 " late_cancellation = 0, updated_at = ?3 WHERE id = ?1");
    if (!st) {
        r = -EIO;
        goto fail;
    }
    sqlite3_bind_int64(st, 1, booking_id);
    sqlite3_bind_text(st, 2, reason, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
    if ((r = db_exec_stmt(st)))
        goto fail;
    st = db_stmt("INSERT INTO bookings (session_id, user_id, status, needs_approval, moved_from,"
                 " created_at, updated_at) VALUES (?1, ?2, 'booked', 0, ?3, ?4, ?4)");
    if (!st) {
        r = -EIO;
        goto fail;
    }
    sqlite3_bind_int64(st, 1, target);
    sqlite3_bind_int64(st, 2, user);
    sqlite3_bind_int64(st, 3, out.from_session);
    sqlite3_bind_text(st, 4, now, -1, SQLITE_STATIC);
    if ((r = db_exec_stmt(st)))
        goto fail;
    out.booking_id = sqlite3_last_insert_rowid(db_conn());
    out.user_id = user;
    if (held && (r = promote(out.from_session, host, capacity, open_places, now,
                             &out.promoted_booking, &out.promoted_user)))
        goto fail;
    if ((r = db_commit()))
        goto fail;
    *ret = out;
    return 0;
fail:
    db_rollback();
    return r;
}

int store_booking_move_options_json(int64_t booking_id, json_t **ret)
{
    char now[24];
    db_now_iso(now);
    cairn_booking_scope sc;
    int r = store_booking_scope(booking_id, &sc);
    if (r)
        return r;
    sqlite3_stmt *st = db_stmt(
        "SELECT s.id FROM course_sessions s JOIN course_sessions cur ON cur.id = ?1"
        " WHERE s.course_id = cur.course_id AND s.id <> cur.id AND s.status = 'scheduled'"
        " AND s.first_start > ?2 AND (s.host_borough_id = ?3 OR s.open_places > 0)"
        " AND s.id NOT IN (SELECT session_id FROM bookings WHERE user_id = ?4"
        "  AND status <> 'cancelled')"
        " ORDER BY s.first_start, s.id LIMIT 200");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, sc.session_id);
    sqlite3_bind_text(st, 2, now, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, sc.learner_borough_id);
    sqlite3_bind_int64(st, 4, sc.user_id);
    int64_t ids[200];
    size_t n = 0;
    int rc;
    while (n < 200 && (rc = sqlite3_step(st)) == SQLITE_ROW)
        ids[n++] = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *s = NULL;
        if ((r = store_course_session_json(ids[i], sc.learner_borough_id, &s))) {
            json_decref(list);
            return r;
        }
        json_array_append_new(list, s);
    }
    *ret = json_pack("{so}", "sessions", list);
    return 0;
}
