/* test_migrations.c: upgrading from every earlier schema, with data in it;
 * a failing migration leaving the database as it was; backups made at an
 * older schema restored into this build (core/store.c, core/backup.c).
 *
 * Fixture rows are keyed by the schema version that created their tables.
 * A version added later without fixture rows is still upgraded from and
 * checked (schema, integrity, foreign keys, every earlier version's rows);
 * add its rows to fixtures[] below. */
#include "check.h"
#include "backup.h"
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct fixture {
    const char *insert;     /* rows for the tables this version added */
    const char *query;      /* one text value that shows those rows intact */
    const char *expect;
} fixture;

/* fixtures[v - 1]: version v. Every INSERT names its columns: later
 * migrations may add some (with defaults). */
static const fixture fixtures[] = {
    { /* 1: accounts, packages, learning */
      "INSERT INTO boroughs (id, name, slug) VALUES (1, 'Eastmere', 'eastmere');"
      "INSERT INTO organisations (id, borough_id, name, code) VALUES (1, 1, 'Eastmere Council', 'EC');"
      "INSERT INTO users (id, email, name, password_hash, role, borough_id, organisation_id,"
      "  job_role, created_at) VALUES (1, 'ann@test.example', 'Ann Example', '$argon2id$x', 'learner',"
      "  1, 1, 'Volunteer', '2026-01-02T03:04:05Z');"
      "INSERT INTO users (id, email, name, password_hash, role, borough_id, organisation_id,"
      "  job_role, created_at) VALUES (2, 'olu@test.example', 'Olu Officer', '$argon2id$y', 'officer',"
      "  1, NULL, '', '2026-01-02T03:04:05Z');"
      "INSERT INTO sessions (token_hash, user_id, csrf, expires_at)"
      "  VALUES (x'00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff',"
      "  1, 'csrf', 4102444800);"
      "INSERT INTO packages (id, identifier, current_version, created_at)"
      "  VALUES (1, 'com.example.golf', 1, '2026-01-02T03:04:05Z');"
      "INSERT INTO package_versions (id, package_id, version, title, scorm_version, sco_count,"
      "  manifest, filename, imported_at, imported_by)"
      "  VALUES (1, 1, 1, 'Golf', '1.2', 1, '{\"items\":[]}', 'golf.zip', '2026-01-02T03:04:05Z', 2);"
      "INSERT INTO registrations (id, user_id, package_id, created_at, last_visit, last_sco,"
      "  completion_status, success_status, score_scaled, total_time_cs)"
      "  VALUES (1, 1, 1, '2026-01-03T00:00:00Z', NULL, 'item_1', 'completed', 'passed', 0.9, 12345);"
      "INSERT INTO sco_attempts (id, registration_id, sco, number, version_id, token, cmi,"
      "  completion_status, started_at, updated_at) VALUES (1, 1, 'item_1', 1, 1, 'tok',"
      "  '{\"cmi\":{\"suspend_data\":\"page=7\"}}', 'completed', '2026-01-03T00:00:00Z',"
      "  '2026-01-03T00:10:00Z');"
      "INSERT INTO learner_records (id, user_id, kind, item_ref, title, completed_at, score,"
      "  time_spent_s, status) VALUES (1, 1, 'elearning', 'com.example.golf', 'Golf',"
      "  '2026-01-03T00:10:00Z', 0.9, 123, 'passed');",
      "SELECT (SELECT group_concat(email, ',') FROM users) || '|' ||"
      " (SELECT cmi FROM sco_attempts WHERE id = 1) || '|' ||"
      " (SELECT status || ',' || score FROM learner_records) || '|' ||"
      " (SELECT count(*) FROM sessions) || '|' || (SELECT total_time_cs FROM registrations)",
      "ann@test.example,olu@test.example|{\"cmi\":{\"suspend_data\":\"page=7\"}}|passed,0.9|1|12345" },
    { /* 2: plugin storage */
      "INSERT INTO plugin_kv (plugin, key, value, updated_at) VALUES ('eastmere', 'reminder:1', '{\"sent\":true}',"
      "  '2026-01-04T00:00:00Z');",
      "SELECT plugin || '/' || key || '=' || value FROM plugin_kv",
      "eastmere/reminder:1={\"sent\":true}" },
    { /* 3: face-to-face courses */
      "INSERT INTO courses (id, title, grp, category, level, duration_hours, aims, borough_id,"
      "  created_at) VALUES (1, 'Safeguarding Adults', 'B', 'CORE', 1, 6.5, 'Aims',"
      "  NULL, '2026-01-05T00:00:00Z');"
      "INSERT INTO course_sessions (id, course_id, host_borough_id, venue_name, venue_address,"
      "  capacity, booking_deadline, uid, first_start, created_by, created_at, updated_at)"
      "  VALUES (1, 1, 1, 'Town Hall', '1 High St', 12, '2026-02-01T00:00:00Z', 'uid-1@cairn',"
      "  '2026-02-10T09:30:00Z', 2, '2026-01-05T00:00:00Z', '2026-01-05T00:00:00Z');"
      "INSERT INTO session_dates (id, session_id, starts_at, ends_at)"
      "  VALUES (1, 1, '2026-02-10T09:30:00Z', '2026-02-10T16:00:00Z');"
      "INSERT INTO bookings (id, session_id, user_id, status, created_at, updated_at)"
      "  VALUES (1, 1, 1, 'booked', '2026-01-06T00:00:00Z', '2026-01-06T00:00:00Z');"
      "INSERT INTO attendance (id, session_id, date_id, user_id, status, minutes, hours, flagged,"
      "  marked_by, marked_at) VALUES (1, 1, 1, 1, 'attended', 390, 6.5, 0, 2,"
      "  '2026-02-10T16:05:00Z');",
      "SELECT c.title || '|' || s.venue_name || '|' || b.status || '|' || a.status || ',' || a.hours"
      " FROM courses c JOIN course_sessions s ON s.course_id = c.id"
      " JOIN bookings b ON b.session_id = s.id JOIN attendance a ON a.session_id = s.id",
      "Safeguarding Adults|Town Hall|booked|attended,6.5" },
    { /* 4: feedback, evidence, certificates, charges, outbox */
      "INSERT INTO feedback (id, user_id, session_id, usefulness, confidence_before,"
      "  confidence_after, comments, created_at) VALUES (1, 1, 1, 5, 2, 4, 'Useful',"
      "  '2026-02-11T00:00:00Z');"
      "INSERT INTO evidence (id, user_id, kind, title, completed_on, source, created_at)"
      "  VALUES (1, 1, 'external', 'Prevent', '2025-06-01', 'officer', '2026-01-07T00:00:00Z');"
      "INSERT INTO certificates (id, code, user_id, source, source_id, title, issued_at,"
      "  revoked_at) VALUES (1, 'CRT-0001', 1, 'elearning', 1, 'Golf',"
      "  '2026-01-03T00:10:00Z', NULL);"
      "INSERT INTO charges (id, user_id, session_id, booking_id, reason, amount_pence,"
      "  created_at, updated_at) VALUES (1, 1, 1, 1, 'no_show', 5000, '2026-02-11T00:00:00Z',"
      "  '2026-02-11T00:00:00Z');"
      "INSERT INTO outbox (id, user_id, to_addr, kind, subject, body, next_attempt_at,"
      "  created_at) VALUES (1, 1, 'ann@test.example', 'booking', 'Booked', 'You are booked.',"
      "  '2026-01-06T00:00:00Z', '2026-01-06T00:00:00Z');",
      "SELECT (SELECT comments FROM feedback) || '|' || (SELECT title FROM evidence) || '|' ||"
      " (SELECT code FROM certificates) || '|' || (SELECT amount_pence FROM charges) || '|' ||"
      " (SELECT status FROM outbox)",
      "Useful|Prevent|CRT-0001|5000|pending" },
    { /* 5: SCORM 2004 sequencing state */
      "INSERT INTO sequencing_states (registration_id, version_id, state, updated_at)"
      "  VALUES (1, 1, '{\"tree\":1}', '2026-02-12T00:00:00Z');",
      "SELECT state || '|' || completion_status FROM sequencing_states",
      "{\"tree\":1}|unknown" },
    { /* 6: compliance rows for the reports */
      "INSERT INTO compliance (user_id, item_id, borough_id, title, kind, updated_at)"
      "  VALUES (1, 'ba', 1, 'Basic awareness', 'elearning', '2026-02-12T00:00:00Z');"
      "INSERT INTO compliance_meta VALUES ('fingerprint', 'abc');",
      "SELECT (SELECT title FROM compliance) || '|' || (SELECT value FROM compliance_meta)",
      "Basic awareness|abc" },
    { /* 7: data protection: users rebuilt (the partnership role, anonymised
       * marker), retention, the audit log, grants. The users' rows of
       * version 1 must survive the rebuild, with every reference to them. */
      "UPDATE users SET role = 'partnership', borough_id = NULL WHERE id = 2;"
      "UPDATE users SET anonymised_at = '2026-03-02T00:00:00Z', anonymised_reason = 'erasure'"
      "  WHERE id = 1;"
      "UPDATE boroughs SET retention_months = 36 WHERE id = 1;"
      "INSERT INTO audit_log (at, actor_id, actor_role, action, subject_id, borough_id, detail)"
      "  VALUES ('2026-03-01T00:00:00Z', 2, 'partnership', 'view_record', 1, 1, '{}');"
      "INSERT INTO partnership_grants (grantee_id, learner_id, reason, granted_by, created_at,"
      "  expires_at) VALUES (2, 1, 'review', 2, '2026-03-01T00:00:00Z', '2026-04-01T23:59:59Z');",
      "SELECT (SELECT role FROM users WHERE id = 2) || ',' || (SELECT anonymised_reason"
      "  FROM users WHERE id = 1) || '|' || (SELECT retention_months FROM boroughs WHERE id = 1)"
      " || '|' || (SELECT action FROM audit_log) || '|' || (SELECT reason FROM partnership_grants)",
      "partnership,erasure|36|view_record|review" },
    { /* 8: SCORM 2004 global objectives per learner */
      "INSERT INTO global_objectives (user_id, objective_id, data, updated_at)"
      "  VALUES (1, 'org.example.mastery', '{\"satisfiedStatus\":true}',"
      "  '2026-03-03T00:00:00Z');",
      "SELECT objective_id || '|' || data FROM global_objectives",
      "org.example.mastery|{\"satisfiedStatus\":true}" },
};
enum { N_FIXTURES = sizeof fixtures / sizeof fixtures[0] };

static char *query_text(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    char *out = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return strdup(sqlite3_errmsg(db));
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        out = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return out ? out : strdup("(no row)");
}

static int user_version(const char *path)
{
    sqlite3 *db;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        return -1;
    char *v = query_text(db, "PRAGMA user_version");
    int n = atoi(v);
    free(v);
    sqlite3_close(db);
    return n;
}

static bool table_exists(const char *path, const char *name)
{
    sqlite3 *db;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        return false;
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM sqlite_schema WHERE name = '%s'", name);
    char *v = query_text(db, sql);
    bool yes = strcmp(v, "1") == 0;
    free(v);
    sqlite3_close(db);
    return yes;
}

/* A folder holding cairn.db at schema v with the fixture rows of 1..v. */
static void make_at(int v, char *dir, size_t dirlen, char *db, size_t dblen)
{
    snprintf(dir, dirlen, "%s/cairn-migr-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        exit(1);
    }
    snprintf(db, dblen, "%s/cairn.db", dir);
    char err[512];
    int r = store_migrate_file(db, v, NULL, 0, err, sizeof err);
    CHECK(r == 0 && user_version(db) == v, "a database at schema %d is built (%s)", v, err);
    sqlite3 *h;
    sqlite3_open(db, &h);
    sqlite3_exec(h, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
    for (int k = 1; k <= v && k <= N_FIXTURES; k++) {
        char *msg = NULL;
        int rc = sqlite3_exec(h, fixtures[k - 1].insert, NULL, NULL, &msg);
        CHECK(rc == SQLITE_OK, "schema %d: rows of version %d inserted (%s)", v, k,
              msg ? msg : "ok");
        sqlite3_free(msg);
    }
    sqlite3_close(h);
}

/* Every fixture row of versions 1..v is intact in the database at path. */
static void check_rows(const char *path, int v, const char *what)
{
    sqlite3 *h;
    sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL);
    for (int k = 1; k <= v && k <= N_FIXTURES; k++) {
        char *got = query_text(h, fixtures[k - 1].query);
        CHECK(strcmp(got, fixtures[k - 1].expect) == 0, "%s: version %d's rows intact (%s)",
              what, k, got);
        free(got);
    }
    char *ic = query_text(h, "PRAGMA integrity_check");
    CHECK(strcmp(ic, "ok") == 0, "%s: integrity_check %s", what, ic);
    free(ic);
    char *fk = query_text(h, "SELECT count(*) FROM pragma_foreign_key_check");
    CHECK(strcmp(fk, "0") == 0, "%s: no foreign key violations (%s)", what, fk);
    free(fk);
    sqlite3_close(h);
}

static void rm_rf(const char *dir)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

static void test_upgrade_from_every_version(int current)
{
    for (int v = 1; v <= current; v++) {
        char dir[512], db[600], what[64], err[512];
        make_at(v, dir, sizeof dir, db, sizeof db);
        int r = store_open(dir, err, sizeof err);
        CHECK(r == 0, "schema %d: store_open migrates it (%s)", v, err);
        store_close();
        CHECK(user_version(db) == current, "schema %d: now at schema %d", v, user_version(db));
        snprintf(what, sizeof what, "from schema %d", v);
        check_rows(db, v, what);
        /* The upgraded database takes this version's rows as well. */
        sqlite3 *h;
        sqlite3_open(db, &h);
        sqlite3_exec(h, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
        for (int k = v + 1; k <= current && k <= N_FIXTURES; k++) {
            char *msg = NULL;
            CHECK(sqlite3_exec(h, fixtures[k - 1].insert, NULL, NULL, &msg) == SQLITE_OK,
                  "from schema %d: version %d's tables take rows (%s)", v, k, msg ? msg : "ok");
            sqlite3_free(msg);
        }
        sqlite3_close(h);
        check_rows(db, current, what);
        rm_rf(dir);
    }
}

static void test_failed_migration_changes_nothing(int current)
{
    /* A broken migration after the real ones: it creates a table, then
     * fails. From schema 1, none of 2..current may be left applied. */
    static const char *const broken[] = {
        "CREATE TABLE half_done (x INTEGER);"
        "INSERT INTO half_done VALUES (1);"
        "INSERT INTO no_such_table VALUES (1);",
    };
    int froms[] = { 1, current };
    for (size_t i = 0; i < 2; i++) {
        int v = froms[i];
        char dir[512], db[600], err[512], what[64];
        make_at(v, dir, sizeof dir, db, sizeof db);
        struct stat before;
        stat(db, &before);
        int r = store_migrate_file(db, current, broken, 1, err, sizeof err);
        CHECK(r == -EIO, "from schema %d: the broken migration fails (%d)", v, r);
        char want[64];
        snprintf(want, sizeof want, "migration %d failed", current + 1);
        CHECK(strstr(err, want) != NULL && strstr(err, "no_such_table") != NULL,
              "from schema %d: the error names the migration and the cause: %s", v, err);
        CHECK(user_version(db) == v, "from schema %d: still at schema %d", v, user_version(db));
        CHECK(!table_exists(db, "half_done"), "from schema %d: the failed migration's table "
              "is gone", v);
        if (v < 2)
            CHECK(!table_exists(db, "plugin_kv"), "from schema %d: the migrations before the "
                  "broken one were rolled back too", v);
        snprintf(what, sizeof what, "after a failed migration from %d", v);
        check_rows(db, v, what);
        /* And the real upgrade still works afterwards. */
        r = store_open(dir, err, sizeof err);
        store_close();
        CHECK(r == 0 && user_version(db) == current, "from schema %d: a later start upgrades "
              "normally (%s)", v, err);
        rm_rf(dir);
    }
}

/* Foreign keys are off while migrations run (a table others point at can
 * be rebuilt); one that leaves a dangling reference is refused whole. */
static void test_dangling_reference_refused(int current)
{
    static const char *const dangling[] = {
        "DELETE FROM users WHERE id = 2;",   /* package_versions.imported_by = 2 */
    };
    char dir[512], db[600], err[512];
    make_at(1, dir, sizeof dir, db, sizeof db);
    int r = store_migrate_file(db, current, dangling, 1, err, sizeof err);
    CHECK(r == -EIO && strstr(err, "foreign key") && strstr(err, "package_versions"),
          "a migration leaving a dangling reference fails: %s", err);
    CHECK(user_version(db) == 1, "the database is still at schema 1 (%d)", user_version(db));
    check_rows(db, 1, "after a dangling reference");
    rm_rf(dir);
}

static void test_newer_database_refused(int current)
{
    static const char *const later[] = { "CREATE TABLE from_the_future (x);" };
    char dir[512], db[600], err[512];
    make_at(current, dir, sizeof dir, db, sizeof db);
    CHECK(store_migrate_file(db, current, later, 1, err, sizeof err) == 0,
          "a database one schema ahead is built (%s)", err);
    int r = store_open(dir, err, sizeof err);
    store_close();
    CHECK(r == -EPROTO && strstr(err, "newer than this Cairn"),
          "this Cairn refuses a newer database: %s", err);
    CHECK(user_version(db) == current + 1, "and leaves it alone");
    rm_rf(dir);
}

static bool write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return false;
    fputs(text, f);
    return fclose(f) == 0;
}

static char *read_file(const char *path)
{
    static char buf[4096];
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static void test_restore_older_backup(int current)
{
    char dir[512], db[600], dest[700], target[700], path[900], err[1024];
    make_at(1, dir, sizeof dir, db, sizeof db);
    snprintf(path, sizeof path, "%s/packages/1/1/shared", dir);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", path);
    CHECK(system(cmd) == 0, "package folder made");
    snprintf(path, sizeof path, "%s/packages/1/1/shared/launch.html", dir);
    CHECK(write_file(path, "<html>golf</html>\n"), "package file written");
    /* an unrecorded folder (an import under way) is not part of the backup */
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/packages/1/.import-abc'", dir);
    CHECK(system(cmd) == 0, "import folder made");

    snprintf(dest, sizeof dest, "%s/backup", dir);
    int r = backup_create(dir, dest, err, sizeof err);
    CHECK(r == 0, "a backup of a schema-1 folder is made (%s)", err);
    snprintf(path, sizeof path, "%s/manifest.json", dest);
    char *m = read_file(path);
    CHECK(m && strstr(m, "\"schema_version\": 1") && strstr(m, "packages/1/1/shared/launch.html")
          && strstr(m, "\"sha256\"") && !strstr(m, ".import-"),
          "the manifest gives schema 1 and every recorded package file with its checksum");
    CHECK(backup_create(dir, dest, err, sizeof err) == -EEXIST, "a second backup to the same "
          "folder is refused: %s", err);

    snprintf(target, sizeof target, "%s/restored", dir);
    int from = 0;
    r = backup_restore(dest, target, false, &from, err, sizeof err);
    CHECK(r == 0 && from == 1, "the schema-1 backup is restored into this build (%s)", err);
    snprintf(path, sizeof path, "%s/cairn.db", target);
    CHECK(user_version(path) == current, "the restored database is at schema %d",
          user_version(path));
    check_rows(path, 1, "restored from schema 1");
    snprintf(path, sizeof path, "%s/packages/1/1/shared/launch.html", target);
    m = read_file(path);
    CHECK(m && strcmp(m, "<html>golf</html>\n") == 0, "the package file is restored");

    r = backup_restore(dest, target, false, &from, err, sizeof err);
    CHECK(r == -EEXIST && strstr(err, "--force"), "restoring over a data folder needs --force: "
          "%s", err);
    r = backup_restore(dest, target, true, &from, err, sizeof err);
    CHECK(r == 0, "with force it is restored (%s)", err);
    snprintf(cmd, sizeof cmd, "ls -d '%s'.replaced-* >/dev/null 2>&1", target);
    CHECK(system(cmd) == 0, "and the previous folder was moved aside, not deleted");

    /* A damaged backup restores nothing. */
    snprintf(path, sizeof path, "%s/packages/1/1/shared/launch.html", dest);
    CHECK(write_file(path, "<html>golf!</html>\n"), "a backup file is changed");
    snprintf(target, sizeof target, "%s/restored2", dir);
    r = backup_restore(dest, target, false, &from, err, sizeof err);
    CHECK(r == -EBADMSG && strstr(err, "does not match"), "a changed file fails the checksum: %s",
          err);
    CHECK(access(target, F_OK) != 0, "and nothing is left at the target");
    rm_rf(dir);
}

int main(void)
{
    int current = store_schema_version();
    CHECK(current >= N_FIXTURES, "every fixture is for a version this build has (%d >= %d)",
          current, N_FIXTURES);
    test_upgrade_from_every_version(current);
    test_failed_migration_changes_nothing(current);
    test_dangling_reference_refused(current);
    test_newer_database_refused(current);
    test_restore_older_backup(current);
    return check_done();
}
