/* store.c: opening the database, migrations, per-thread connections.
 *
 * One data folder holds cairn.db (WAL, foreign keys on). Migrations are
 * numbered SQL scripts applied in order at start, all those still pending
 * in one transaction; PRAGMA user_version records the last one applied, so
 * a failed migration leaves the database as it was before that start.
 *
 * Invariants:
 *  1. Every connection runs with foreign_keys=ON, busy_timeout, WAL and
 *     synchronous=NORMAL (durable against process crashes), or FULL in
 *     durable mode (store_set_durable: also against power cuts).
 *  2. A statement is prepared at most once per connection (db_stmt).
 */
#include "store.h"
#include "store_db.h"
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char g_db_path[4096];

/* ---- migrations ----
 * Append only; never edit one that shipped. Pending ones run together in
 * one transaction, so a migration must not BEGIN or COMMIT itself, nor set
 * PRAGMA foreign_keys or journal_mode (no effect inside a transaction).
 * Foreign keys are OFF during the run and checked (foreign_key_check)
 * before COMMIT, so a migration may rebuild a table others reference.
 * tests/unit/test_migrations.c upgrades from every earlier version: give
 * it rows for a new version's tables there. */

static const char *const migrations[] = {
    /* 1: accounts, packages, learning, the learner record */
    "CREATE TABLE boroughs ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  slug TEXT NOT NULL UNIQUE);"
    "CREATE TABLE organisations ("
    "  id INTEGER PRIMARY KEY,"
    "  borough_id INTEGER NOT NULL REFERENCES boroughs(id),"
    "  name TEXT NOT NULL,"
    "  code TEXT,"
    "  UNIQUE (borough_id, name));"
    "CREATE TABLE users ("
    "  id INTEGER PRIMARY KEY,"
    "  email TEXT NOT NULL UNIQUE COLLATE NOCASE,"
    "  name TEXT NOT NULL,"
    "  password_hash TEXT NOT NULL,"
    "  role TEXT NOT NULL CHECK (role IN ('learner', 'officer', 'admin')),"
    "  borough_id INTEGER REFERENCES boroughs(id),"
    "  organisation_id INTEGER REFERENCES organisations(id),"
    "  job_role TEXT NOT NULL DEFAULT '',"
    "  created_at TEXT NOT NULL);"
    "CREATE INDEX users_borough ON users(borough_id, name);"
    "CREATE TABLE sessions ("
    "  token_hash BLOB PRIMARY KEY,"
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  csrf TEXT NOT NULL,"
    "  expires_at INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE packages ("
    "  id INTEGER PRIMARY KEY,"
    "  identifier TEXT NOT NULL UNIQUE,"
    "  current_version INTEGER NOT NULL DEFAULT 0,"
    "  created_at TEXT NOT NULL);"
    "CREATE TABLE package_versions ("
    "  id INTEGER PRIMARY KEY,"
    "  package_id INTEGER NOT NULL REFERENCES packages(id),"
    "  version INTEGER NOT NULL,"
    "  title TEXT NOT NULL,"
    "  scorm_version TEXT NOT NULL CHECK (scorm_version IN ('1.2', '2004')),"
    "  sco_count INTEGER NOT NULL,"
    "  manifest TEXT NOT NULL,"
    "  filename TEXT,"
    "  imported_at TEXT NOT NULL,"
    "  imported_by INTEGER REFERENCES users(id),"
    "  UNIQUE (package_id, version));"
    "CREATE TABLE registrations ("
    "  id INTEGER PRIMARY KEY,"
    "  user_id INTEGER NOT NULL REFERENCES users(id),"
    "  package_id INTEGER NOT NULL REFERENCES packages(id),"
    "  created_at TEXT NOT NULL,"
    "  last_visit TEXT,"
    "  last_sco TEXT,"
    "  completion_status TEXT NOT NULL DEFAULT 'not attempted',"
    "  success_status TEXT NOT NULL DEFAULT 'unknown',"
    "  score_scaled REAL,"
    "  total_time_cs INTEGER NOT NULL DEFAULT 0,"
    "  UNIQUE (user_id, package_id));"
    "CREATE TABLE sco_attempts ("
    "  id INTEGER PRIMARY KEY,"
    "  registration_id INTEGER NOT NULL REFERENCES registrations(id),"
    "  sco TEXT NOT NULL,"
    "  number INTEGER NOT NULL,"
    "  version_id INTEGER NOT NULL REFERENCES package_versions(id),"
    "  token TEXT NOT NULL,"
    "  session_no INTEGER NOT NULL DEFAULT 1,"
    "  open INTEGER NOT NULL DEFAULT 1,"
    "  cmi TEXT NOT NULL DEFAULT '{}',"
    "  completion_status TEXT,"
    "  success_status TEXT,"
    "  score_scaled REAL,"
    "  score_raw REAL,"
    "  last_exit TEXT,"
    "  closed_time_cs INTEGER NOT NULL DEFAULT 0,"
    "  session_time_cs INTEGER NOT NULL DEFAULT 0,"
    "  started_at TEXT NOT NULL,"
    "  updated_at TEXT NOT NULL,"
    "  UNIQUE (registration_id, sco, number));"
    "CREATE TABLE learner_records ("
    "  id INTEGER PRIMARY KEY,"
    "  user_id INTEGER NOT NULL REFERENCES users(id),"
    "  kind TEXT NOT NULL CHECK (kind IN ('elearning')),"
    "  item_ref TEXT NOT NULL,"
    "  title TEXT NOT NULL,"
    "  completed_at TEXT NOT NULL,"
    "  score REAL,"
    "  time_spent_s INTEGER NOT NULL DEFAULT 0,"
    "  status TEXT NOT NULL,"
    "  UNIQUE (user_id, kind, item_ref));",
    /* 2: borough plugins' key-value storage, one namespace per plugin */
    "CREATE TABLE plugin_kv ("
    "  plugin TEXT NOT NULL,"
    "  key TEXT NOT NULL,"
    "  value TEXT NOT NULL,"
    "  updated_at TEXT NOT NULL,"
    "  PRIMARY KEY (plugin, key)) WITHOUT ROWID;",
    /* 3: face-to-face courses, sessions, bookings, attendance (store_courses.c) */
    "CREATE TABLE courses ("
    "  id INTEGER PRIMARY KEY,"
    "  title TEXT NOT NULL,"
    "  grp TEXT NOT NULL CHECK (grp IN ('A', 'B', 'C')),"
    "  category TEXT NOT NULL CHECK (category IN ('CORE', 'SPECIALIST')),"
    "  level INTEGER NOT NULL DEFAULT 0 CHECK (level IN (0, 1, 2)),"
    "  duration_hours REAL NOT NULL CHECK (duration_hours > 0),"
    "  aims TEXT NOT NULL DEFAULT '',"
    "  borough_id INTEGER REFERENCES boroughs(id),"
    "  created_at TEXT NOT NULL,"
    "  UNIQUE (title, level));"
    "CREATE TABLE course_sessions ("
    "  id INTEGER PRIMARY KEY,"
    "  course_id INTEGER NOT NULL REFERENCES courses(id),"
    "  host_borough_id INTEGER NOT NULL REFERENCES boroughs(id),"
    "  venue_name TEXT NOT NULL,"
    "  venue_address TEXT NOT NULL,"
    "  access_notes TEXT NOT NULL DEFAULT '',"
    "  trainer TEXT NOT NULL DEFAULT '',"
    "  capacity INTEGER NOT NULL CHECK (capacity > 0),"
    "  open_places INTEGER NOT NULL DEFAULT 0 CHECK (open_places >= 0),"
    "  booking_deadline TEXT NOT NULL,"
    "  cancel_notice_hours INTEGER NOT NULL DEFAULT 0 CHECK (cancel_notice_hours >= 0),"
    "  status TEXT NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'cancelled')),"
    "  cancel_reason TEXT,"
    "  sequence INTEGER NOT NULL DEFAULT 0,"
    "  uid TEXT NOT NULL UNIQUE,"
    "  first_start TEXT NOT NULL,"
    "  created_by INTEGER REFERENCES users(id),"
    "  created_at TEXT NOT NULL,"
    "  updated_at TEXT NOT NULL);"
    "CREATE INDEX course_sessions_start ON course_sessions(status, first_start);"
    "CREATE TABLE session_dates ("
    "  id INTEGER PRIMARY KEY,"
    "  session_id INTEGER NOT NULL REFERENCES course_sessions(id) ON DELETE CASCADE,"
    "  starts_at TEXT NOT NULL,"
    "  ends_at TEXT NOT NULL,"
    "  CHECK (ends_at > starts_at));"
    "CREATE INDEX session_dates_session ON session_dates(session_id, starts_at);"
    "CREATE TABLE bookings ("
    "  id INTEGER PRIMARY KEY,"
    "  session_id INTEGER NOT NULL REFERENCES course_sessions(id),"
    "  user_id INTEGER NOT NULL REFERENCES users(id),"
    "  status TEXT NOT NULL CHECK (status IN"
    "    ('booked', 'pending', 'waitlisted', 'promoted', 'cancelled')),"
    "  reason TEXT,"
    "  waitlist_position INTEGER,"
    "  needs_approval INTEGER NOT NULL DEFAULT 0,"
    "  late_cancellation INTEGER NOT NULL DEFAULT 0,"
    "  created_at TEXT NOT NULL,"
    "  updated_at TEXT NOT NULL);"
    "CREATE UNIQUE INDEX bookings_live ON bookings(session_id, user_id)"
    "  WHERE status <> 'cancelled';"
    "CREATE INDEX bookings_user ON bookings(user_id);"
    "CREATE TABLE attendance ("
    "  id INTEGER PRIMARY KEY,"
    "  session_id INTEGER NOT NULL REFERENCES course_sessions(id),"
    "  date_id INTEGER NOT NULL REFERENCES session_dates(id),"
    "  user_id INTEGER NOT NULL REFERENCES users(id),"
    "  status TEXT NOT NULL CHECK (status IN"
    "    ('attended', 'partly_attended', 'no_show', 'cancelled_late')),"
    "  minutes INTEGER,"
    "  hours REAL NOT NULL DEFAULT 0,"
    "  flagged INTEGER NOT NULL DEFAULT 0,"
    "  marked_by INTEGER REFERENCES users(id),"
    "  marked_at TEXT NOT NULL,"
    "  UNIQUE (date_id, user_id));"
    "CREATE INDEX attendance_user ON attendance(user_id);",
    /* 4: the rest of the blended record: feedback, external evidence and
     * imported history, certificates, charges, the notification outbox */
    "CREATE TABLE feedback ("
    "  id INTEGER PRIMARY KEY,"
    "  user_id INTEGER NOT NULL REFERENCES users(id),"
    "  session_id INTEGER REFERENCES course_sessions(id),"
    "  package_id INTEGER REFERENCES packages(id),"
    "  usefulness INTEGER NOT NULL CHECK (usefulness BETWEEN 1 AND 5),"
    "  confidence_before INTEGER NOT NULL CHECK (confidence_before BETWEEN 1 AND 5),"
    "  confidence_after INTEGER NOT NULL CHECK (confidence_after BETWEEN 1 AND 5),"
    "  comments TEXT NOT NULL DEFAULT '',"
    "  created_at TEXT NOT NULL,"
    "  CHECK ((session_id IS NULL) <> (package_id IS NULL)));"
    "CREATE UNIQUE INDEX feedback_session ON feedback(session_id, user_id)"
    "  WHERE session_id IS NOT NULL;"
    "CREATE UNIQUE INDEX feedback_package ON feedback(package_id, user_id)"
    "  WHERE package_id IS NOT NULL;"
    "CREATE TABLE evidence ("
    "  id INTEGER PRIMARY KEY,"
    "  user_id INTEGER NOT NULL REFERENCES users(id),"
    "  kind TEXT NOT NULL CHECK (kind IN ('external', 'elearning', 'course')),"
    "  title TEXT NOT NULL,"
    "  provider TEXT NOT NULL DEFAULT '',"
    "  grp TEXT CHECK (grp IN ('A', 'B', 'C')),"
    "  level INTEGER CHECK (level IN (0, 1, 2)),"
    "  hours REAL NOT NULL DEFAULT 0 CHECK (hours >= 0),"
    "  completed_on TEXT NOT NULL,"
    "  note TEXT NOT NULL DEFAULT '',"
    "  source TEXT NOT NULL CHECK (source IN ('officer', 'import')),"
    "  entered_by INTEGER REFERENCES users(id),"
    "  created_at TEXT NOT NULL,"
    "  UNIQUE (user_id, kind, title, completed_on));"
    "CREATE TABLE certificates ("
    "  id INTEGER PRIMARY KEY,"
    "  code TEXT NOT NULL UNIQUE,"
    "  user_id INTEGER NOT NULL REFERENCES users(id),"
    "  source TEXT NOT NULL CHECK (source IN ('elearning', 'attendance', 'evidence')),"
    "  source_id INTEGER NOT NULL,"
    "  title TEXT NOT NULL,"
    "  issued_at TEXT NOT NULL,"
    "  revoked_at TEXT,"
    "  UNIQUE (source, source_id));"
    "CREATE INDEX certificates_user ON certificates(user_id);"
    "CREATE TABLE charges ("
    "  id INTEGER PRIMARY KEY,"
    "  user_id INTEGER NOT NULL REFERENCES users(id),"
    "  session_id INTEGER NOT NULL REFERENCES course_sessions(id),"
    "  booking_id INTEGER REFERENCES bookings(id),"
    "  reason TEXT NOT NULL CHECK (reason IN ('no_show', 'late_cancellation')),"
    "  amount_pence INTEGER CHECK (amount_pence >= 0),"
    "  note TEXT NOT NULL DEFAULT '',"
    "  status TEXT NOT NULL DEFAULT 'flagged' CHECK (status IN ('flagged', 'waived', 'invoiced')),"
    "  created_at TEXT NOT NULL,"
    "  updated_at TEXT NOT NULL,"
    "  UNIQUE (session_id, user_id, reason));"
    "ALTER TABLE bookings ADD COLUMN moved_from INTEGER REFERENCES course_sessions(id);"
    "CREATE TABLE outbox ("
    "  id INTEGER PRIMARY KEY,"
    "  user_id INTEGER REFERENCES users(id),"
    "  to_addr TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  subject TEXT NOT NULL,"
    "  body TEXT NOT NULL,"
    "  dedupe_key TEXT UNIQUE,"
    "  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  last_error TEXT,"
    "  next_attempt_at TEXT NOT NULL,"
    "  created_at TEXT NOT NULL,"
    "  sent_at TEXT);"
    "CREATE INDEX outbox_due ON outbox(status, next_attempt_at);"
    "CREATE INDEX outbox_user ON outbox(user_id, created_at);",
    /* 5: SCORM 2004 sequencing state per registration (docs/SCORM.md
     * "Sequencing"): the engine's serialized activity tree state (attempt
     * counts, objective status and measures, global objectives, adl.data),
     * the suspended activity, and the tree's rolled-up result. */
    "CREATE TABLE sequencing_states ("
    "  registration_id INTEGER PRIMARY KEY REFERENCES registrations(id),"
    "  version_id INTEGER NOT NULL REFERENCES package_versions(id),"
    "  state TEXT NOT NULL,"
    "  suspended_activity TEXT,"
    "  completion_status TEXT NOT NULL DEFAULT 'unknown'"
    "   CHECK (completion_status IN ('completed', 'incomplete', 'not attempted', 'unknown')),"
    "  success_status TEXT NOT NULL DEFAULT 'unknown'"
    "   CHECK (success_status IN ('passed', 'failed', 'unknown')),"
    "  score_scaled REAL,"
    "  updated_at TEXT NOT NULL);",
    /* 6: compliance, what the borough's required_training and expiry hooks
     * said per learner and required item (store_compliance.c, compliance.c),
     * so that reports need no Lua; states come from these dates at query
     * time. borough_id and organisation_id are copied from users for the
     * reports' grouping; compliance_meta keeps the plugins' fingerprint the
     * rows were computed with. */
    "CREATE TABLE compliance ("
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  item_id TEXT NOT NULL,"
    "  borough_id INTEGER NOT NULL,"
    "  organisation_id INTEGER NOT NULL DEFAULT 0,"
    "  title TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  grp TEXT NOT NULL DEFAULT '',"
    "  level INTEGER NOT NULL DEFAULT 0,"
    "  category TEXT NOT NULL DEFAULT '',"
    "  due TEXT,"
    "  completed_at TEXT,"
    "  expires TEXT,"
    "  expiring_days INTEGER NOT NULL DEFAULT 60,"
    "  updated_at TEXT NOT NULL,"
    "  PRIMARY KEY (user_id, item_id)) WITHOUT ROWID;"
    "CREATE INDEX compliance_report ON compliance(borough_id, organisation_id, grp, level,"
    "  user_id, completed_at, expires, due, expiring_days);"
    "CREATE TABLE compliance_meta ("
    "  key TEXT PRIMARY KEY,"
    "  value TEXT NOT NULL) WITHOUT ROWID;"
    /* the dashboard's per-learner figures, each answered from an index
     * alone (no table row read per record) */
    "CREATE INDEX feedback_user ON feedback(user_id);"
    "CREATE INDEX learner_records_user_completed ON learner_records(user_id, completed_at,"
    "  status);"
    "CREATE INDEX evidence_user_completed ON evidence(user_id, completed_on);"
    "CREATE INDEX attendance_user_status ON attendance(user_id, status, date_id, session_id);",
    /* 7: data protection (store_dp.c): the partnership role (users is
     * rebuilt, SQLite's 12-step way, to widen the role CHECK; foreign keys
     * are off during migrations and checked before COMMIT), the marker of
     * an anonymised learner, a retention period per borough, the audit
     * log, and partnership users' grants to see individuals. */
    "CREATE TABLE users_new ("
    "  id INTEGER PRIMARY KEY,"
    "  email TEXT NOT NULL UNIQUE COLLATE NOCASE,"
    "  name TEXT NOT NULL,"
    "  password_hash TEXT NOT NULL,"
    "  role TEXT NOT NULL CHECK (role IN ('learner', 'officer', 'admin', 'partnership')),"
    "  borough_id INTEGER REFERENCES boroughs(id),"
    "  organisation_id INTEGER REFERENCES organisations(id),"
    "  job_role TEXT NOT NULL DEFAULT '',"
    "  created_at TEXT NOT NULL,"
    "  anonymised_at TEXT,"
    "  anonymised_reason TEXT CHECK (anonymised_reason IN ('retention', 'erasure')));"
    "INSERT INTO users_new (id, email, name, password_hash, role, borough_id,"
    "  organisation_id, job_role, created_at)"
    "  SELECT id, email, name, password_hash, role, borough_id, organisation_id, job_role,"
    "  created_at FROM users;"
    "DROP TABLE users;"
    "ALTER TABLE users_new RENAME TO users;"
    "CREATE INDEX users_borough ON users(borough_id, name);"
    "ALTER TABLE boroughs ADD COLUMN retention_months INTEGER"
    "  CHECK (retention_months IS NULL OR retention_months BETWEEN 1 AND 1200);"
    "CREATE TABLE audit_log ("
    "  id INTEGER PRIMARY KEY,"
    "  at TEXT NOT NULL,"
    "  actor_id INTEGER,"
    "  actor_role TEXT NOT NULL,"
    "  action TEXT NOT NULL,"
    "  subject_id INTEGER,"
    "  borough_id INTEGER,"
    "  detail TEXT NOT NULL DEFAULT '{}',"
    "  request_id TEXT);"
    "CREATE INDEX audit_log_actor ON audit_log(actor_id, id);"
    "CREATE INDEX audit_log_subject ON audit_log(subject_id, id);"
    "CREATE INDEX audit_log_borough ON audit_log(borough_id, id);"
    "CREATE INDEX audit_log_action ON audit_log(action, id);"
    "CREATE TABLE partnership_grants ("
    "  id INTEGER PRIMARY KEY,"
    "  grantee_id INTEGER NOT NULL REFERENCES users(id),"
    "  learner_id INTEGER REFERENCES users(id),"
    "  borough_id INTEGER REFERENCES boroughs(id),"
    "  reason TEXT NOT NULL,"
    "  granted_by INTEGER NOT NULL REFERENCES users(id),"
    "  created_at TEXT NOT NULL,"
    "  expires_at TEXT NOT NULL,"
    "  revoked_at TEXT,"
    "  revoked_by INTEGER REFERENCES users(id),"
    "  CHECK ((learner_id IS NULL) <> (borough_id IS NULL)));"
    "CREATE INDEX partnership_grants_grantee ON partnership_grants(grantee_id, expires_at);",
    /* 8: SCORM 2004 global objectives per learner, shared by every package
     * whose organisation has objectivesGlobalToSystem (docs/SCORM.md
     * "Global objectives"): one row per objective id, the values the
     * packages wrote (satisfied status, measure, scores, completion) as a
     * JSON object checked by api_sequencing.c. */
    "CREATE TABLE global_objectives ("
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  objective_id TEXT NOT NULL,"
    "  data TEXT NOT NULL,"
    "  updated_at TEXT NOT NULL,"
    "  PRIMARY KEY (user_id, objective_id)) WITHOUT ROWID;",
};

int store_schema_version(void)
{
    return (int)(sizeof migrations / sizeof migrations[0]);
}

/* Brings db from its PRAGMA user_version to n by applying list[have..n-1],
 * all in ONE transaction: a migration that fails leaves the database
 * exactly as it was before this start (the previous Cairn still runs on
 * it), never half-way between two versions. */
static int migrate_list(sqlite3 *db, const char *const *list, int n,
                        char *errbuf, size_t errlen)
{
    sqlite3_stmt *st;
    int have = 0;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        goto fail;
    if (sqlite3_step(st) == SQLITE_ROW)
        have = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (have > n) {
        snprintf(errbuf, errlen, "the database is at schema %d, newer than this "
                 "Cairn (%d): upgrade Cairn", have, n);
        return -EPROTO;
    }
    if (have == n)
        return 0;
    char *msg = NULL;
    /* Foreign keys are off for the whole run (the pragma cannot change
     * inside a transaction), so a migration can rebuild a table others
     * point at (SQLite's 12-step ALTER); foreign_key_check before COMMIT
     * then refuses a run that left a dangling reference. */
    int fk_on = 0;
    if (sqlite3_prepare_v2(db, "PRAGMA foreign_keys", -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            fk_on = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_exec(db, "PRAGMA foreign_keys = OFF", NULL, NULL, NULL);
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(errbuf, errlen, "cannot start the migrations: %s", msg ? msg : "unknown error");
        sqlite3_free(msg);
        if (fk_on)
            sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
        return -EIO;
    }
    int v;
    for (v = have; v < n; v++) {
        char setv[64];
        snprintf(setv, sizeof setv, "PRAGMA user_version = %d", v + 1);
        if (sqlite3_exec(db, list[v], NULL, NULL, &msg) != SQLITE_OK ||
            sqlite3_exec(db, setv, NULL, NULL, &msg) != SQLITE_OK)
            break;
    }
    if (v == n && !msg && sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1, &st,
                                             NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW) {
            msg = sqlite3_mprintf("foreign key check: row %lld of %s points at a missing "
                                  "row of %s", (long long)sqlite3_column_int64(st, 1),
                                  (const char *)sqlite3_column_text(st, 0),
                                  (const char *)sqlite3_column_text(st, 2));
            v = n - 1;      /* blame the last one of the run */
        }
        sqlite3_finalize(st);
    }
    if (v < n || sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(errbuf, errlen, "migration %d failed: %s; the database is unchanged "
                 "(schema %d)", v < n ? v + 1 : n, msg ? msg : "unknown error", have);
        sqlite3_free(msg);
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        if (fk_on)
            sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
        return -EIO;
    }
    if (fk_on)
        sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
    log_info("store", "migrated the database from schema %d to %d", have, n);
    return 0;
fail:
    snprintf(errbuf, errlen, "%s", sqlite3_errmsg(db));
    return -EIO;
}

static int migrate(sqlite3 *db, char *errbuf, size_t errlen)
{
    return migrate_list(db, migrations, store_schema_version(), errbuf, errlen);
}

int store_migrate_file(const char *db_path, int upto, const char *const *extra, int n_extra,
                       char *errbuf, size_t errlen)
{
    errbuf[0] = '\0';
    int n = upto + n_extra;
    if (upto < 0 || upto > store_schema_version() || n_extra < 0 || n > 4096) {
        snprintf(errbuf, errlen, "no schema %d in this Cairn", upto);
        return -EINVAL;
    }
    const char **list = calloc((size_t)n + 1, sizeof *list);
    if (!list)
        return -ENOMEM;
    for (int i = 0; i < upto; i++)
        list[i] = migrations[i];
    for (int i = 0; i < n_extra; i++)
        list[upto + i] = extra[i];
    sqlite3 *db;
    int r = -EIO;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                        SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
        snprintf(errbuf, errlen, "cannot open %s: %s", db_path, sqlite3_errmsg(db));
    else if (sqlite3_exec(db, "PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL;",
                          NULL, NULL, NULL) != SQLITE_OK)
        snprintf(errbuf, errlen, "%s", sqlite3_errmsg(db));
    else
        r = migrate_list(db, list, n, errbuf, errlen);
    sqlite3_close(db);
    free(list);
    return r;
}

/* ---- per-thread connections ---- */

/* Statements are keyed by the address of their SQL text (a string
 * literal at the call site), in an open-addressing table: a lookup is a
 * hash and a probe or two, whatever the number of statements. */
enum { STMT_CACHE = 1024 };   /* a power of two, well above the call sites */

typedef struct conn {
    sqlite3 *db;
    struct { const char *sql; sqlite3_stmt *st; } cache[STMT_CACHE];
    int n;
} conn;

static size_t stmt_slot(const char *sql)
{
    uintptr_t h = (uintptr_t)sql;
    h ^= h >> 17;
    h *= (uintptr_t)0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 7) & (STMT_CACHE - 1);
}

static pthread_key_t g_conn_key;
static pthread_once_t g_conn_once = PTHREAD_ONCE_INIT;

static void conn_free(void *p)
{
    conn *c = p;
    if (!c)
        return;
    for (int i = 0; i < STMT_CACHE; i++)
        sqlite3_finalize(c->cache[i].st);   /* NULL is a no-op */
    sqlite3_close(c->db);
    free(c);
}

static void conn_key_init(void)
{
    pthread_key_create(&g_conn_key, conn_free);
}

static bool g_durable;

void store_set_durable(bool durable)
{
    g_durable = durable;
}

static int conn_configure(sqlite3 *db)
{
    sqlite3_busy_timeout(db, DB_BUSY_TIMEOUT_MS);
    /* NORMAL in WAL mode survives a crash of the process; FULL also
     * survives a power cut, at the price of an fsync per transaction,
     * which the writer's group commit shares among many learners. */
    return sqlite3_exec(db, g_durable
        ? "PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL;"
          " PRAGMA synchronous = FULL; PRAGMA temp_store = MEMORY;"
        : "PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL;"
          " PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY;", NULL, NULL, NULL);
}

static conn *conn_get(void)
{
    pthread_once(&g_conn_once, conn_key_init);
    conn *c = pthread_getspecific(g_conn_key);
    if (c)
        return c;
    c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    if (sqlite3_open_v2(g_db_path, &c->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
        conn_configure(c->db) != SQLITE_OK) {
        log_error("store", "cannot open %s: %s", g_db_path,
                  c->db ? sqlite3_errmsg(c->db) : "out of memory");
        sqlite3_close(c->db);
        free(c);
        return NULL;
    }
    pthread_setspecific(g_conn_key, c);
    return c;
}

int db_open_private(sqlite3 **ret)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(g_db_path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK || conn_configure(db) != SQLITE_OK) {
        log_error("store", "cannot open %s: %s", g_db_path,
                  db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return -EIO;
    }
    *ret = db;
    return 0;
}

sqlite3 *db_conn(void)
{
    conn *c = conn_get();
    return c ? c->db : NULL;
}

sqlite3_stmt *db_stmt(const char *sql)
{
    conn *c = conn_get();
    if (!c)
        return NULL;
    size_t i = stmt_slot(sql);
    while (c->cache[i].sql && c->cache[i].sql != sql)
        i = (i + 1) & (STMT_CACHE - 1);
    if (c->cache[i].sql) {
        sqlite3_reset(c->cache[i].st);
        sqlite3_clear_bindings(c->cache[i].st);
        return c->cache[i].st;
    }
    /* Kept at most half full so probes stay short; there are a few hundred
     * call sites, so reaching this is a programming error: fail loudly. */
    if (c->n >= STMT_CACHE / 2) {
        log_error("store", "statement cache full (%d statements); raise STMT_CACHE", c->n);
        return NULL;
    }
    sqlite3_stmt *st;
    if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        log_error("store", "prepare failed: %s (%.60s...)", sqlite3_errmsg(c->db), sql);
        return NULL;
    }
    c->cache[i].sql = sql;
    c->cache[i].st = st;
    c->n++;
    return st;
}

json_t *db_json_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? json_string((const char *)t) : json_null();
}

const char *db_str(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

int db_fail(const char *what)
{
    sqlite3 *db = db_conn();
    log_error("store", "%s: %s", what, db ? sqlite3_errmsg(db) : "no connection");
    return -EIO;
}

int db_exec_stmt(sqlite3_stmt *st)
{
    if (!st)
        return -EIO;
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_DONE || rc == SQLITE_ROW)
        return 0;
    if (rc == SQLITE_CONSTRAINT) {
        int ext = sqlite3_extended_errcode(db_conn());
        if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
            return -EEXIST;
        if (ext == SQLITE_CONSTRAINT_FOREIGNKEY)
            return -ENOENT;
        return -EINVAL;
    }
    return db_fail("statement failed");
}

static int exec_sql(const char *sql)
{
    sqlite3 *db = db_conn();
    if (!db)
        return -EIO;
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(sql);
    return 0;
}

int db_begin(void) { return exec_sql("BEGIN IMMEDIATE"); }
int db_commit(void) { return exec_sql("COMMIT"); }

void db_rollback(void)
{
    sqlite3 *db = db_conn();
    if (db && !sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

char *db_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? strdup((const char *)t) : NULL;
}

void db_now_iso(char *buf)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(buf, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int store_open(const char *data_dir, char *errbuf, size_t errlen)
{
    errbuf[0] = '\0';
    if ((size_t)snprintf(g_db_path, sizeof g_db_path, "%s/cairn.db", data_dir) >= sizeof g_db_path) {
        snprintf(errbuf, errlen, "data folder path too long");
        return -ENAMETOOLONG;
    }
    sqlite3 *db;
    if (sqlite3_open_v2(g_db_path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                        SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        snprintf(errbuf, errlen, "cannot open %s: %s", g_db_path, sqlite3_errmsg(db));
        sqlite3_close(db);
        return -EIO;
    }
    int r = conn_configure(db) == SQLITE_OK ? migrate(db, errbuf, errlen) : -EIO;
    if (r == -EIO && !errbuf[0])
        snprintf(errbuf, errlen, "%s", sqlite3_errmsg(db));
    sqlite3_close(db);
    return r;
}

void store_close(void)
{
    pthread_once(&g_conn_once, conn_key_init);
    conn *c = pthread_getspecific(g_conn_key);
    if (c) {
        pthread_setspecific(g_conn_key, NULL);
        conn_free(c);
    }
}
