/* store_bench.c: generated data for timing the reports at scale
 * (bench.h). Everything is written with prepared statements in large
 * transactions, straight into the tables the real code paths fill: the
 * point is realistic table sizes and index shapes, fast.
 *
 * What one learner gets (R = records / learners, about 11.7 for the issue's
 * 256,000 learners and 3,000,000 records): half of R e-learning records of
 * distinct bench modules, a third of R sessions attended (distinct sessions
 * of their borough), the rest as imported evidence; one feedback for about
 * one attended session in ten; and the compliance rows a Competence
 * Matters-like rule would give: everyone basic awareness (Group A, Level 1),
 * Group B and C people two Group B Level 1 items, Group C people a Group B
 * Level 2 and a Group C Level 2 course, each done when the generated
 * records say so, expiring three years after. */
#include "bench.h"
#include "store.h"
#include "store_db.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

enum { ORGS = 40, MODULES = 10, COURSES = 6, SESSIONS = 60, COMMIT_EVERY = 200000 };

static const struct { const char *title, *grp; int level; } bench_courses[COURSES] = {
    { "Bench: working together to safeguard children", "B", 1 },
    { "Bench: working together in complex cases", "B", 2 },
    { "Bench: designated safeguarding lead", "C", 2 },
    { "Bench: domestic abuse awareness", "A", 1 },
    { "Bench: neglect", "B", 1 },
    { "Bench: child sexual exploitation", "B", 2 },
};

static uint32_t g_rng;

static uint32_t rnd(uint32_t n)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 17;
    g_rng ^= g_rng << 5;
    return n ? g_rng % n : 0;
}

/* The day `days_ago` days before now, as "YYYY-MM-DD" (11 bytes) or a
 * timestamp "YYYY-MM-DDT10:00:00Z" (21 bytes). */
static void day(int days_ago, bool ts, char *out, size_t len)
{
    time_t t = time(NULL) - (time_t)days_ago * 86400;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, len, ts ? "%Y-%m-%dT10:00:00Z" : "%Y-%m-%d", &tm);
}

static int64_t last_id(void)
{
    return sqlite3_last_insert_rowid(db_conn());
}

/* Commits and begins again every COMMIT_EVERY rows. */
static int tick(int64_t *rows)
{
    if (++*rows % COMMIT_EVERY)
        return 0;
    int r = db_commit();
    return r ? r : db_begin();
}

static int exec(const char *sql)
{
    sqlite3_stmt *st = db_stmt(sql);
    return st ? db_exec_stmt(st) : -EIO;
}

typedef struct learner_state {
    int elearning_days[MODULES];      /* days ago, or -1 */
    int course_days[COURSES];
} learner_state;

static int add_compliance(int64_t uid, const char *item, const char *title, const char *kind,
                          const char *grp, int level, int done_days_ago, const char *due,
                          const char *now, bool ts)
{
    sqlite3_stmt *st = db_stmt(
        "INSERT INTO compliance (user_id, item_id, borough_id, organisation_id, title, kind,"
        " grp, level, category, due, completed_at, expires, expiring_days, updated_at)"
        " SELECT id, ?2, borough_id, organisation_id, ?3, ?4, ?5, ?6, 'CORE', ?7, ?8, ?9, 60, ?10"
        " FROM users WHERE id = ?1");
    if (!st)
        return -EIO;
    char done[24], expires[11];
    sqlite3_bind_int64(st, 1, uid);
    sqlite3_bind_text(st, 2, item, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, title, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, grp, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 6, level);
    if (done_days_ago >= 0) {
        day(done_days_ago, ts, done, sizeof done);
        day(done_days_ago - 3 * 365, false, expires, sizeof expires);
        sqlite3_bind_null(st, 7);
        sqlite3_bind_text(st, 8, done, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 9, expires, -1, SQLITE_TRANSIENT);
    } else {
        sqlite3_bind_text(st, 7, due, -1, SQLITE_TRANSIENT);
    }
    sqlite3_bind_text(st, 10, now, -1, SQLITE_STATIC);
    return db_exec_stmt(st);
}

static int learner_compliance(int64_t uid, char group, const learner_state *ls,
                              const char *due, const char *now, int64_t *n)
{
    int r = add_compliance(uid, "basic-awareness", "Bench module 0: basic awareness",
                           "elearning", "A", 1, ls->elearning_days[0], due, now, true);
    (*n)++;
    if (!r && group != 'A') {
        r = add_compliance(uid, "working-together", bench_courses[0].title, "course", "B", 1,
                           ls->course_days[0], due, now, false);
        if (!r)
            r = add_compliance(uid, "b1-elearning", "Bench module 1: recognising abuse",
                               "elearning", "B", 1, ls->elearning_days[1], due, now, true);
        *n += 2;
    }
    if (!r && group == 'C') {
        r = add_compliance(uid, "complex-cases", bench_courses[1].title, "course", "B", 2,
                           ls->course_days[1], due, now, false);
        if (!r)
            r = add_compliance(uid, "designated-lead", bench_courses[2].title, "course", "C", 2,
                               ls->course_days[2], due, now, false);
        *n += 2;
    }
    return r;
}

/* One borough: organisations, an officer, sessions, learners and their
 * records. */
static int borough(const bench_params *p, int b, int64_t n_learners, int64_t first_record,
                   const int64_t *course_ids, const char *now, bench_counts *c, int64_t *rows)
{
    char name[64], slug[32], email[96];
    snprintf(name, sizeof name, "Bench borough %02d", b);
    snprintf(slug, sizeof slug, "bench-%02d", b);
    int64_t bid, orgs[ORGS], sessions[SESSIONS], dates[SESSIONS];
    int session_course[SESSIONS], session_days[SESSIONS];
    int r = store_borough_create(name, slug, &bid);
    for (int i = 0; !r && i < ORGS; i++) {
        snprintf(name, sizeof name, "Bench organisation %02d-%02d", b, i + 1);
        r = store_organisation_create(bid, name, NULL, &orgs[i]);
        c->organisations++;
    }
    if (r)
        return r;
    sqlite3_stmt *st = db_stmt(
        "INSERT INTO users (email, name, password_hash, role, borough_id, organisation_id,"
        " job_role, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    if (!st)
        return -EIO;
    snprintf(email, sizeof email, "officer@%s.example", slug);
    sqlite3_bind_text(st, 1, email, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, "Bench officer", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, p->officer_hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, "officer", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, bid);
    sqlite3_bind_null(st, 6);
    sqlite3_bind_text(st, 7, "Training officer", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, now, -1, SQLITE_STATIC);
    if ((r = db_exec_stmt(st)))
        return r;
    for (int s = 0; s < SESSIONS; s++) {
        char start[24], end[24], uid[64];
        session_course[s] = s % COURSES;
        session_days[s] = 1 + (int)rnd(4 * 365);
        day(session_days[s], true, start, sizeof start);
        memcpy(end, start, sizeof end);
        memcpy(end + 11, "16:00", 5);
        snprintf(uid, sizeof uid, "bench-%02d-%02d@cairn.bench", b, s);
        sqlite3_stmt *cs = db_stmt(
            "INSERT INTO course_sessions (course_id, host_borough_id, venue_name, venue_address,"
            " capacity, booking_deadline, uid, first_start, created_at, updated_at)"
            " VALUES (?, ?, 'Bench venue', '1 Bench Street', 200, ?, ?, ?, ?, ?)");
        if (!cs)
            return -EIO;
        sqlite3_bind_int64(cs, 1, course_ids[session_course[s]]);
        sqlite3_bind_int64(cs, 2, bid);
        sqlite3_bind_text(cs, 3, start, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(cs, 4, uid, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(cs, 5, start, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(cs, 6, now, -1, SQLITE_STATIC);
        sqlite3_bind_text(cs, 7, now, -1, SQLITE_STATIC);
        if ((r = db_exec_stmt(cs)))
            return r;
        sessions[s] = last_id();
        sqlite3_stmt *sd = db_stmt(
            "INSERT INTO session_dates (session_id, starts_at, ends_at) VALUES (?, ?, ?)");
        if (!sd)
            return -EIO;
        sqlite3_bind_int64(sd, 1, sessions[s]);
        sqlite3_bind_text(sd, 2, start, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(sd, 3, end, -1, SQLITE_TRANSIENT);
        if ((r = db_exec_stmt(sd)))
            return r;
        dates[s] = last_id();
    }
    static const char *const roles[] = { "Volunteer", "Sports coach", "Childminder",
                                         "Youth worker", "Designated safeguarding lead" };
    for (int64_t i = 0; i < n_learners; i++) {
        int64_t k = p->records / p->learners + ((first_record + i) < p->records % p->learners);
        int n_el = (int)(k / 2), n_att = (int)(k / 3), n_ev = (int)(k - n_el - n_att);
        if (n_el > MODULES) {
            n_ev += n_el - MODULES;
            n_el = MODULES;
        }
        char created[24], due[11];
        int created_days = 30 + (int)rnd(5 * 365);
        day(created_days, true, created, sizeof created);
        day(created_days - 56, false, due, sizeof due);
        uint32_t g = rnd(100);
        char group = g < 60 ? 'A' : g < 90 ? 'B' : 'C';
        snprintf(email, sizeof email, "learner%lld@%s.example", (long long)i + 1, slug);
        snprintf(name, sizeof name, "Bench learner %lld", (long long)i + 1);
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, email, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, "!", -1, SQLITE_STATIC);       /* cannot sign in */
        sqlite3_bind_text(st, 4, "learner", -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 5, bid);
        sqlite3_bind_int64(st, 6, orgs[rnd(ORGS)]);
        sqlite3_bind_text(st, 7, roles[group == 'A' ? rnd(3) : group == 'B' ? 3 : 4], -1,
                          SQLITE_STATIC);
        sqlite3_bind_text(st, 8, created, -1, SQLITE_TRANSIENT);
        if ((r = db_exec_stmt(st)) || (r = tick(rows)))
            return r;
        int64_t uid = last_id();
        c->learners++;
        learner_state ls;
        memset(&ls, 0xff, sizeof ls);
        int first = (int)rnd(MODULES);
        for (int e = 0; e < n_el; e++) {
            int m = (first + e) % MODULES, ago = (int)rnd((unsigned)created_days);
            char ref[32], title[64], at[24];
            snprintf(ref, sizeof ref, "bench.module-%02d", m);
            snprintf(title, sizeof title, "Bench module %d", m);
            day(ago, true, at, sizeof at);
            sqlite3_stmt *lr = db_stmt(
                "INSERT INTO learner_records (user_id, kind, item_ref, title, completed_at,"
                " score, time_spent_s, status) VALUES (?, 'elearning', ?, ?, ?, ?, ?, ?)");
            if (!lr)
                return -EIO;
            sqlite3_bind_int64(lr, 1, uid);
            sqlite3_bind_text(lr, 2, ref, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(lr, 3, title, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(lr, 4, at, -1, SQLITE_TRANSIENT);
            sqlite3_bind_double(lr, 5, 0.6 + rnd(40) / 100.0);
            sqlite3_bind_int(lr, 6, 1800 + (int)rnd(7200));
            sqlite3_bind_text(lr, 7, rnd(2) ? "passed" : "completed", -1, SQLITE_STATIC);
            if ((r = db_exec_stmt(lr)) || (r = tick(rows)))
                return r;
            ls.elearning_days[m] = ago;
            c->elearning++;
        }
        int s0 = (int)rnd(SESSIONS);
        for (int a = 0; a < n_att; a++) {
            int s = (s0 + a * 7) % SESSIONS;
            sqlite3_stmt *at = db_stmt(
                "INSERT INTO attendance (session_id, date_id, user_id, status, hours, marked_at)"
                " VALUES (?, ?, ?, 'attended', 6, ?)");
            if (!at)
                return -EIO;
            sqlite3_bind_int64(at, 1, sessions[s]);
            sqlite3_bind_int64(at, 2, dates[s]);
            sqlite3_bind_int64(at, 3, uid);
            sqlite3_bind_text(at, 4, now, -1, SQLITE_STATIC);
            if ((r = db_exec_stmt(at)) || (r = tick(rows)))
                return r;
            c->attendance++;
            int co = session_course[s];
            if (ls.course_days[co] < 0 || session_days[s] < ls.course_days[co])
                ls.course_days[co] = session_days[s];
            if (rnd(10) == 0) {
                sqlite3_stmt *fb = db_stmt(
                    "INSERT INTO feedback (user_id, session_id, usefulness, confidence_before,"
                    " confidence_after, created_at) VALUES (?, ?, ?, ?, ?, ?)");
                if (!fb)
                    return -EIO;
                int before = 1 + (int)rnd(4);
                sqlite3_bind_int64(fb, 1, uid);
                sqlite3_bind_int64(fb, 2, sessions[s]);
                sqlite3_bind_int(fb, 3, 2 + (int)rnd(4));
                sqlite3_bind_int(fb, 4, before);
                sqlite3_bind_int(fb, 5, before + (int)rnd((unsigned)(6 - before)));
                sqlite3_bind_text(fb, 6, now, -1, SQLITE_STATIC);
                if ((r = db_exec_stmt(fb)) || (r = tick(rows)))
                    return r;
                c->feedback++;
            }
        }
        for (int e = 0; e < n_ev; e++) {
            char title[64], on[11];
            snprintf(title, sizeof title, "External safeguarding course %d", e + 1);
            day((int)rnd((unsigned)created_days + 365), false, on, sizeof on);
            sqlite3_stmt *ev = db_stmt(
                "INSERT INTO evidence (user_id, kind, title, provider, hours, completed_on,"
                " source, created_at) VALUES (?, 'external', ?, 'Bench provider', 3, ?,"
                " 'import', ?)");
            if (!ev)
                return -EIO;
            sqlite3_bind_int64(ev, 1, uid);
            sqlite3_bind_text(ev, 2, title, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(ev, 3, on, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(ev, 4, now, -1, SQLITE_STATIC);
            if ((r = db_exec_stmt(ev)) || (r = tick(rows)))
                return r;
            c->evidence++;
        }
        int64_t before = c->compliance;
        if ((r = learner_compliance(uid, group, &ls, due, now, &c->compliance)))
            return r;
        for (int64_t x = before; x < c->compliance; x++)
            if ((r = tick(rows)))
                return r;
    }
    c->boroughs++;
    return 0;
}

int store_bench_generate(const bench_params *p, bench_counts *ret)
{
    int64_t existing;
    if (store_borough_find("bench-01", &existing) == 0)
        return -EEXIST;
    g_rng = p->seed ? p->seed : 2463534242u;
    char now[24];
    db_now_iso(now);
    bench_counts c = { 0 };
    int64_t rows = 0, course_ids[COURSES];
    int r = exec("PRAGMA synchronous = OFF");
    if (!r)
        r = db_begin();
    for (int i = 0; !r && i < COURSES; i++) {
        sqlite3_stmt *st = db_stmt(
            "INSERT INTO courses (title, grp, category, level, duration_hours, created_at)"
            " VALUES (?, ?, 'CORE', ?, 6, ?)");
        if (!st) {
            r = -EIO;
            break;
        }
        sqlite3_bind_text(st, 1, bench_courses[i].title, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, bench_courses[i].grp, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 3, bench_courses[i].level);
        sqlite3_bind_text(st, 4, now, -1, SQLITE_STATIC);
        r = db_exec_stmt(st);
        course_ids[i] = last_id();
    }
    int64_t done = 0;
    for (int b = 1; !r && b <= p->boroughs; b++) {
        int64_t n = p->learners / p->boroughs + (b <= p->learners % p->boroughs);
        r = borough(p, b, n, done, course_ids, now, &c, &rows);
        done += n;
    }
    if (!r)
        r = db_commit();
    if (r) {
        db_rollback();
        return r;
    }
    exec("PRAGMA synchronous = NORMAL");
    *ret = c;
    return 0;
}
