/* store_learning.c: packages, registrations, SCO attempts, the learner record.
 *
 * The SCORM attempt lifecycle, as stored (one row of sco_attempts per
 * attempt of one learner on one SCO):
 *
 *   (none) --launch--> OPEN, session 1          [store_attempt_launch]
 *   OPEN --launch--> OPEN, session n+1          [store_attempt_launch]
 *        the previous session's time is folded into closed_time_cs
 *   OPEN --commit (same session)--> OPEN        [apply_commit]
 *        session_time_cs is replaced by the commit's session_time: a
 *        session's time is what its latest commit says, so repeated and
 *        duplicate commits count it exactly once
 *   OPEN --commit that closes--> CLOSED         [apply_commit]
 *   CLOSED --launch--> a new attempt, number+1, OPEN, session 1
 *
 * Which commit closes an attempt is the runtime's decision (runtime.c);
 * the store only records it. A registration (learner x package) carries the
 * rolled-up status of the latest attempt of every SCO; when it becomes
 * completed, the learner_records row for the package is written.
 */
#include "store.h"
#include "store_db.h"
#include "store_record.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

void cairn_package_version_free(cairn_package_version *p)
{
    if (!p)
        return;
    free(p->identifier);
    free(p->title);
    free(p->scorm_version);
    json_decref(p->manifest);
    free(p);
}

void cairn_attempt_free(cairn_attempt *a)
{
    if (!a)
        return;
    free(a->sco);
    free(a->token);
    free(a->last_exit);
    json_decref(a->cmi);
    free(a);
}

/* ---- packages ---- */

int store_package_reserve(const char *identifier, int64_t *ret_package_id,
                          int *ret_version, bool *ret_replaced)
{
    int r = db_begin();
    if (r)
        return r;
    sqlite3_stmt *st = db_stmt("SELECT id, current_version FROM packages WHERE identifier = ?");
    if (!st)
        goto fail;
    sqlite3_bind_text(st, 1, identifier, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    int64_t id = 0;
    int version = 1;
    bool replaced = false;
    if (rc == SQLITE_ROW) {
        id = sqlite3_column_int64(st, 0);
        version = sqlite3_column_int(st, 1) + 1;
        replaced = version > 1;
    } else if (rc != SQLITE_DONE) {
        sqlite3_reset(st);
        r = db_fail("package lookup");
        goto fail;
    }
    sqlite3_reset(st);
    /* Two uploads of the same package at once must not get the same number:
     * the reservation is recorded by creating or bumping a placeholder. */
    if (!id) {
        char now[24];
        db_now_iso(now);
        st = db_stmt("INSERT INTO packages (identifier, current_version, created_at) VALUES (?, 0, ?)");
        if (!st)
            goto fail;
        sqlite3_bind_text(st, 1, identifier, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, now, -1, SQLITE_STATIC);
        if ((r = db_exec_stmt(st)))
            goto fail;
        id = sqlite3_last_insert_rowid(db_conn());
    }
    if ((r = db_commit()))
        goto fail;
    *ret_package_id = id;
    *ret_version = version;
    *ret_replaced = replaced;
    return 0;
fail:
    db_rollback();
    return r ? r : -EIO;
}

int store_package_add_version(int64_t package_id, int version,
                              json_t *manifest, const char *filename,
                              int64_t imported_by)
{
    json_t *scos = json_object_get(manifest, "scos");
    const char *title = json_string_value(json_object_get(manifest, "title"));
    const char *sv = json_string_value(json_object_get(manifest, "scorm_version"));
    if (!title || !sv || !json_is_array(scos))
        return -EINVAL;
    char *text = json_dumps(manifest, JSON_COMPACT);
    if (!text)
        return -ENOMEM;
    char now[24];
    db_now_iso(now);
    int r = db_begin();
    if (r) {
        free(text);
        return r;
    }
    sqlite3_stmt *st = db_stmt(
        "INSERT INTO package_versions (package_id, version, title, scorm_version,"
        " sco_count, manifest, filename, imported_at, imported_by)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!st) {
        r = -EIO;
        goto out;
    }
    sqlite3_bind_int64(st, 1, package_id);
    sqlite3_bind_int(st, 2, version);
    sqlite3_bind_text(st, 3, title, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, sv, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, (int)json_array_size(scos));
    sqlite3_bind_text(st, 6, text, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, filename, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, now, -1, SQLITE_STATIC);
    if (imported_by)
        sqlite3_bind_int64(st, 9, imported_by);
    if ((r = db_exec_stmt(st)))
        goto out;
    st = db_stmt("UPDATE packages SET current_version = ?2 WHERE id = ?1 AND current_version < ?2");
    if (!st) {
        r = -EIO;
        goto out;
    }
    sqlite3_bind_int64(st, 1, package_id);
    sqlite3_bind_int(st, 2, version);
    if ((r = db_exec_stmt(st)))
        goto out;
    r = db_commit();
out:
    if (r)
        db_rollback();
    free(text);
    return r;
}

#define VERSION_COLUMNS \
    "p.id, v.id, v.version, p.identifier, v.title, v.scorm_version, v.manifest" \
    " FROM package_versions v JOIN packages p ON p.id = v.package_id"

static int version_from_row(sqlite3_stmt *st, cairn_package_version **ret)
{
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? -ENOENT : db_fail("package version");
    }
    cairn_package_version *p = calloc(1, sizeof *p);
    if (!p) {
        sqlite3_reset(st);
        return -ENOMEM;
    }
    p->package_id = sqlite3_column_int64(st, 0);
    p->version_id = sqlite3_column_int64(st, 1);
    p->version = sqlite3_column_int(st, 2);
    p->identifier = db_text(st, 3);
    p->title = db_text(st, 4);
    p->scorm_version = db_text(st, 5);
    const char *m = (const char *)sqlite3_column_text(st, 6);
    p->manifest = m ? json_loads(m, 0, NULL) : NULL;
    sqlite3_reset(st);
    if (!p->identifier || !p->title || !p->scorm_version || !p->manifest) {
        cairn_package_version_free(p);
        return -EIO;
    }
    *ret = p;
    return 0;
}

int store_package_current(int64_t package_id, cairn_package_version **ret)
{
    sqlite3_stmt *st = db_stmt("SELECT " VERSION_COLUMNS
                               " WHERE p.id = ? AND v.version = p.current_version");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, package_id);
    return version_from_row(st, ret);
}

int store_package_version_by_id(int64_t version_id, cairn_package_version **ret)
{
    sqlite3_stmt *st = db_stmt("SELECT " VERSION_COLUMNS " WHERE v.id = ?");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, version_id);
    return version_from_row(st, ret);
}

/* Package versions are immutable once recorded, and the commit path needs
 * one per commit: keep the parsed ones. Bounded: beyond VERSION_CACHE
 * versions, -ENOSPC tells the caller to load the version itself. */
enum { VERSION_CACHE = 256 };
static struct {
    int64_t id;
    cairn_package_version *pv;
} g_versions[VERSION_CACHE];
static int g_nversions;
static pthread_mutex_t g_versions_lock = PTHREAD_MUTEX_INITIALIZER;

int store_package_version_cached(int64_t version_id, const cairn_package_version **ret)
{
    pthread_mutex_lock(&g_versions_lock);
    for (int i = 0; i < g_nversions; i++) {
        if (g_versions[i].id == version_id) {
            *ret = g_versions[i].pv;
            pthread_mutex_unlock(&g_versions_lock);
            return 0;
        }
    }
    pthread_mutex_unlock(&g_versions_lock);
    cairn_package_version *pv;
    int r = store_package_version_by_id(version_id, &pv);
    if (r)
        return r;
    pthread_mutex_lock(&g_versions_lock);
    for (int i = 0; i < g_nversions; i++) {
        if (g_versions[i].id == version_id) {   /* another thread was first */
            cairn_package_version_free(pv);
            *ret = g_versions[i].pv;
            pthread_mutex_unlock(&g_versions_lock);
            return 0;
        }
    }
    if (g_nversions == VERSION_CACHE) {
        pthread_mutex_unlock(&g_versions_lock);
        cairn_package_version_free(pv);
        return -ENOSPC;
    }
    g_versions[g_nversions].id = version_id;
    g_versions[g_nversions].pv = pv;
    g_nversions++;
    *ret = pv;
    pthread_mutex_unlock(&g_versions_lock);
    return 0;
}

int store_packages_json(json_t **ret)
{
    sqlite3_stmt *st = db_stmt(
        "SELECT p.id, p.identifier, v.title, v.scorm_version, v.version, v.sco_count,"
        " v.imported_at FROM packages p"
        " JOIN package_versions v ON v.package_id = p.id AND v.version = p.current_version"
        " ORDER BY v.title, p.id");
    if (!st)
        return -EIO;
    json_t *list = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        json_array_append_new(list, json_pack("{sI ss ss ss si si ss}",
            "id", (json_int_t)sqlite3_column_int64(st, 0),
            "identifier", (const char *)sqlite3_column_text(st, 1),
            "title", (const char *)sqlite3_column_text(st, 2),
            "scorm_version", (const char *)sqlite3_column_text(st, 3),
            "version", sqlite3_column_int(st, 4),
            "sco_count", sqlite3_column_int(st, 5),
            "imported_at", (const char *)sqlite3_column_text(st, 6)));
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        json_decref(list);
        return db_fail("packages");
    }
    *ret = json_pack("{so}", "packages", list);
    return 0;
}

/* ---- training state ---- */

static json_t *nullable_text(sqlite3_stmt *st, int i)
{
    const char *t = (const char *)sqlite3_column_text(st, i);
    return t ? json_string(t) : json_null();
}

/* Columns 0..9 of both training queries: package id, title, version,
 * completion, success, scaled, time, last visit, record completed_at,
 * record status, record score. */
#define TRAINING_COLUMNS \
    "p.id, v.title, v.scorm_version, r.completion_status, r.success_status," \
    " r.score_scaled, r.total_time_cs, r.last_visit, lr.completed_at, lr.status, lr.score"

static int status_rank(const char *status);

/* The state and score a learner sees for one package. The learner record
 * is sticky: once a module was completed, starting it again, or doing
 * worse on a retake, does not change what it shows, state or score. The
 * current registration shows when it is at least as good. */
static void training_result(sqlite3_stmt *st, const char **ret_state, json_t **ret_score)
{
    const char *completion = (const char *)sqlite3_column_text(st, 3);
    const char *success = (const char *)sqlite3_column_text(st, 4);
    const char *record = (const char *)sqlite3_column_text(st, 9);
    const char *now = NULL;
    if (completion && strcmp(completion, "completed") == 0)
        now = success && strcmp(success, "passed") == 0 ? "passed"
            : success && strcmp(success, "failed") == 0 ? "failed" : "completed";
    else if (success && strcmp(success, "passed") == 0)
        now = "passed";
    if (record && (!now || status_rank(record) > status_rank(now))) {
        *ret_state = record;
        *ret_score = sqlite3_column_type(st, 10) != SQLITE_NULL
            ? json_real(sqlite3_column_double(st, 10)) : json_null();
        return;
    }
    *ret_score = sqlite3_column_type(st, 5) != SQLITE_NULL
        ? json_real(sqlite3_column_double(st, 5) * 100.0) : json_null();
    if (now)
        *ret_state = now;
    else if (!completion || (strcmp(completion, "not attempted") == 0 &&
             sqlite3_column_int64(st, 6) == 0 && sqlite3_column_type(st, 7) == SQLITE_NULL))
        *ret_state = "not started";
    else
        *ret_state = "in progress";
}

static json_t *training_row(sqlite3_stmt *st)
{
    const char *state;
    json_t *score;
    training_result(st, &state, &score);
    return json_pack("{sI ss ss ss so sI so so}",
        "package_id", (json_int_t)sqlite3_column_int64(st, 0),
        "title", (const char *)sqlite3_column_text(st, 1),
        "scorm_version", (const char *)sqlite3_column_text(st, 2),
        "state", state,
        "score", score,
        "time_spent_seconds", (json_int_t)(sqlite3_column_int64(st, 6) / 100),
        "last_visit", nullable_text(st, 7),
        "completed_at", nullable_text(st, 8));
}

int store_training_json(int64_t user_id, json_t **ret)
{
    sqlite3_stmt *st = db_stmt(
        "SELECT " TRAINING_COLUMNS " FROM packages p"
        " JOIN package_versions v ON v.package_id = p.id AND v.version = p.current_version"
        " LEFT JOIN registrations r ON r.package_id = p.id AND r.user_id = ?1"
        " LEFT JOIN learner_records lr ON lr.user_id = ?1 AND lr.kind = 'elearning'"
        "  AND lr.item_ref = p.identifier"
        " ORDER BY v.title, p.id");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, user_id);
    json_t *list = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        json_array_append_new(list, training_row(st));
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        json_decref(list);
        return db_fail("training");
    }
    *ret = json_pack("{so}", "modules", list);
    return 0;
}

/* ---- registrations and attempts ---- */

int store_registration_ensure(int64_t user_id, int64_t package_id,
                              int64_t *ret_registration_id, char **ret_last_sco)
{
    char now[24];
    db_now_iso(now);
    sqlite3_stmt *st = db_stmt(
        "INSERT INTO registrations (user_id, package_id, created_at) VALUES (?, ?, ?)"
        " ON CONFLICT (user_id, package_id) DO NOTHING");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, user_id);
    sqlite3_bind_int64(st, 2, package_id);
    sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
    int r = db_exec_stmt(st);
    if (r)
        return r;
    st = db_stmt("SELECT id, last_sco FROM registrations WHERE user_id = ? AND package_id = ?");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, user_id);
    sqlite3_bind_int64(st, 2, package_id);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_reset(st);
        return db_fail("registration");
    }
    *ret_registration_id = sqlite3_column_int64(st, 0);
    *ret_last_sco = db_text(st, 1);
    sqlite3_reset(st);
    return 0;
}

#define ATTEMPT_COLUMNS \
    "a.id, a.registration_id, r.user_id, r.package_id, a.version_id, a.sco, a.token," \
    " a.number, a.session_no, a.open, a.cmi, a.closed_time_cs, a.session_time_cs," \
    " a.last_exit FROM sco_attempts a JOIN registrations r ON r.id = a.registration_id"

/* The commit path needs everything but the saved data: '{}' stands in. */
#define ATTEMPT_COLUMNS_NO_CMI \
    "a.id, a.registration_id, r.user_id, r.package_id, a.version_id, a.sco, a.token," \
    " a.number, a.session_no, a.open, '{}', a.closed_time_cs, a.session_time_cs," \
    " a.last_exit FROM sco_attempts a JOIN registrations r ON r.id = a.registration_id"

static int attempt_from_row(sqlite3_stmt *st, cairn_attempt **ret)
{
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? -ENOENT : db_fail("attempt");
    }
    cairn_attempt *a = calloc(1, sizeof *a);
    if (!a) {
        sqlite3_reset(st);
        return -ENOMEM;
    }
    a->id = sqlite3_column_int64(st, 0);
    a->registration_id = sqlite3_column_int64(st, 1);
    a->user_id = sqlite3_column_int64(st, 2);
    a->package_id = sqlite3_column_int64(st, 3);
    a->version_id = sqlite3_column_int64(st, 4);
    a->sco = db_text(st, 5);
    a->token = db_text(st, 6);
    a->number = sqlite3_column_int(st, 7);
    a->session_no = sqlite3_column_int(st, 8);
    a->open = sqlite3_column_int(st, 9) != 0;
    const char *cmi = (const char *)sqlite3_column_text(st, 10);
    a->cmi = json_loads(cmi ? cmi : "{}", 0, NULL);
    a->closed_time_cs = sqlite3_column_int64(st, 11);
    a->session_time_cs = sqlite3_column_int64(st, 12);
    a->last_exit = db_text(st, 13);
    sqlite3_reset(st);
    if (!a->sco || !a->token || !a->cmi) {
        cairn_attempt_free(a);
        return -EIO;
    }
    *ret = a;
    return 0;
}

int store_attempt_get(int64_t attempt_id, bool with_cmi, cairn_attempt **ret)
{
    sqlite3_stmt *st = with_cmi
        ? db_stmt("SELECT " ATTEMPT_COLUMNS " WHERE a.id = ?")
        : db_stmt("SELECT " ATTEMPT_COLUMNS_NO_CMI " WHERE a.id = ?");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, attempt_id);
    return attempt_from_row(st, ret);
}

int store_attempt_launch(int64_t registration_id, const char *sco,
                         int64_t version_id, const char *new_token,
                         int attempt_limit, cairn_attempt **ret)
{
    char now[24];
    db_now_iso(now);
    int r = db_begin();
    if (r)
        return r;
    sqlite3_stmt *st = db_stmt(
        "SELECT id, number, open FROM sco_attempts WHERE registration_id = ? AND sco = ?"
        " ORDER BY number DESC LIMIT 1");
    if (!st)
        goto fail;
    sqlite3_bind_int64(st, 1, registration_id);
    sqlite3_bind_text(st, 2, sco, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    int64_t id = 0;
    int number = 0;
    bool open = false;
    if (rc == SQLITE_ROW) {
        id = sqlite3_column_int64(st, 0);
        number = sqlite3_column_int(st, 1);
        open = sqlite3_column_int(st, 2) != 0;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        r = db_fail("attempt lookup");
        goto fail;
    }
    if (!open && attempt_limit > 0 && number >= attempt_limit) {
        r = -EDQUOT;
        goto fail;
    }
    if (open) {
        st = db_stmt(
            "UPDATE sco_attempts SET session_no = session_no + 1,"
            " closed_time_cs = closed_time_cs + session_time_cs, session_time_cs = 0,"
            " updated_at = ? WHERE id = ?");
        if (!st)
            goto fail;
        sqlite3_bind_text(st, 1, now, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, id);
    } else {
        st = db_stmt(
            "INSERT INTO sco_attempts (registration_id, sco, number, version_id, token,"
            " started_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?6)");
        if (!st)
            goto fail;
        sqlite3_bind_int64(st, 1, registration_id);
        sqlite3_bind_text(st, 2, sco, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 3, number + 1);
        sqlite3_bind_int64(st, 4, version_id);
        sqlite3_bind_text(st, 5, new_token, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 6, now, -1, SQLITE_STATIC);
    }
    if ((r = db_exec_stmt(st)))
        goto fail;
    if (!open)
        id = sqlite3_last_insert_rowid(db_conn());
    st = db_stmt("UPDATE registrations SET last_visit = ?, last_sco = ? WHERE id = ?");
    if (!st)
        goto fail;
    sqlite3_bind_text(st, 1, now, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, sco, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, registration_id);
    if ((r = db_exec_stmt(st)) || (r = db_commit()))
        goto fail;
    return store_attempt_get(id, true, ret);
fail:
    db_rollback();
    return r ? r : -EIO;
}

int store_sco_statuses(int64_t registration_id, json_t **ret)
{
    /* Per SCO, the newest attempt with a status: a new attempt that has not
     * reported yet does not make a finished SCO look untouched. */
    sqlite3_stmt *st = db_stmt(
        "SELECT sco, completion_status, success_status FROM sco_attempts"
        " WHERE registration_id = ? ORDER BY sco, number DESC");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, registration_id);
    json_t *map = json_object();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *sco = (const char *)sqlite3_column_text(st, 0);
        const char *completion = (const char *)sqlite3_column_text(st, 1);
        const char *success = (const char *)sqlite3_column_text(st, 2);
        const char *shown = success && strcmp(success, "unknown") != 0 ? success : completion;
        if (!shown || strcmp(shown, "not attempted") == 0 || strcmp(shown, "unknown") == 0)
            continue;
        if (!json_object_get(map, sco))
            json_object_set_new(map, sco, json_string(shown));
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        json_decref(map);
        return db_fail("sco statuses");
    }
    *ret = map;
    return 0;
}

int store_launched_scos(int64_t registration_id, json_t **ret)
{
    sqlite3_stmt *st = db_stmt("SELECT sco, count(*) FROM sco_attempts"
                               " WHERE registration_id = ? GROUP BY sco");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, registration_id);
    json_t *map = json_object();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        json_object_set_new(map, (const char *)sqlite3_column_text(st, 0),
                            json_integer(sqlite3_column_int64(st, 1)));
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        json_decref(map);
        return db_fail("launched scos");
    }
    *ret = map;
    return 0;
}

/* ---- commits (writer thread only) ---- */

typedef struct rollup {
    const char *completion, *success;
    bool has_score;
    double score;
    int64_t time_cs;
} rollup;

/* Course status from the latest attempt of each SCO. Completed when every
 * launchable SCO is completed; failed when any SCO failed; passed when all
 * are completed, none failed and at least one passed. The score is the mean
 * of the scaled scores reported. */
static int rollup_registration(int64_t registration_id, int sco_count, rollup *out)
{
    sqlite3_stmt *st = db_stmt(
        "SELECT completion_status, success_status, score_scaled FROM sco_attempts a"
        " WHERE registration_id = ?1 AND number ="
        "  (SELECT max(number) FROM sco_attempts b WHERE b.registration_id = ?1 AND b.sco = a.sco)");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, registration_id);
    int completed = 0, started = 0, passed = 0, failed = 0, scored = 0, rc;
    double sum = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *c = (const char *)sqlite3_column_text(st, 0);
        const char *s = (const char *)sqlite3_column_text(st, 1);
        if (c && strcmp(c, "completed") == 0)
            completed++;
        if (c && strcmp(c, "not attempted") != 0)
            started++;
        if (s && strcmp(s, "passed") == 0)
            passed++;
        if (s && strcmp(s, "failed") == 0)
            failed++;
        if (sqlite3_column_type(st, 2) != SQLITE_NULL) {
            sum += sqlite3_column_double(st, 2);
            scored++;
        }
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return db_fail("rollup");
    out->completion = completed >= sco_count && sco_count > 0 ? "completed"
                    : started ? "incomplete" : "not attempted";
    out->success = failed ? "failed"
                 : passed && completed >= sco_count ? "passed" : "unknown";
    out->has_score = scored > 0;
    out->score = scored ? sum / scored : 0;

    st = db_stmt("SELECT coalesce(sum(closed_time_cs + session_time_cs), 0)"
                 " FROM sco_attempts WHERE registration_id = ?");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, registration_id);
    out->time_cs = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return 0;
}

static int status_rank(const char *status)
{
    if (!status)
        return 0;
    if (strcmp(status, "passed") == 0)
        return 3;
    if (strcmp(status, "completed") == 0)
        return 2;
    return 1;   /* failed */
}

/* Writes the learner record when the registration has just become complete
 * or its result changed. A worse result never replaces a better one. */
static int record_completion(int64_t registration_id, const char *title,
                             const rollup *now_r, const char *was_completion,
                             const char *was_success, const char **ret_status)
{
    if (strcmp(now_r->completion, "completed") != 0)
        return 0;
    if (was_completion && strcmp(was_completion, "completed") == 0 &&
        was_success && strcmp(was_success, now_r->success) == 0)
        return 0;
    const char *status = strcmp(now_r->success, "passed") == 0 ? "passed"
                       : strcmp(now_r->success, "failed") == 0 ? "failed" : "completed";
    char now[24];
    db_now_iso(now);
    sqlite3_stmt *st = db_stmt(
        "INSERT INTO learner_records (user_id, kind, item_ref, title, completed_at, score,"
        " time_spent_s, status)"
        " SELECT r.user_id, 'elearning', p.identifier, ?2, ?3, ?4, ?5, ?6"
        " FROM registrations r JOIN packages p ON p.id = r.package_id WHERE r.id = ?1"
        " ON CONFLICT (user_id, kind, item_ref) DO UPDATE SET"
        "  title = excluded.title, completed_at = excluded.completed_at,"
        "  score = excluded.score, time_spent_s = excluded.time_spent_s,"
        "  status = excluded.status"
        " WHERE ?7 >= (CASE learner_records.status WHEN 'passed' THEN 3"
        "  WHEN 'completed' THEN 2 ELSE 1 END)");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, registration_id);
    sqlite3_bind_text(st, 2, title, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
    if (now_r->has_score)
        sqlite3_bind_double(st, 4, now_r->score * 100.0);
    sqlite3_bind_int64(st, 5, now_r->time_cs / 100);
    sqlite3_bind_text(st, 6, status, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 7, status_rank(status));
    int r = db_exec_stmt(st);
    if (r == 0 && sqlite3_changes(db_conn()) > 0) {
        *ret_status = status;
        /* completed or passed: the certificate, in the same transaction */
        if (strcmp(status, "failed") != 0)
            r = store_certificate_elearning_tx(registration_id);
    }
    return r;
}

/* Replaces the SCO-based rollup by the activity tree's rolled-up result
 * when the registration has a sequencing state (docs/SCORM.md
 * "Sequencing"). Time spent stays the sum of the SCO attempts. */
static int sequencing_rollup(int64_t registration_id, rollup *ru)
{
    static const char *const completion[] = { "completed", "incomplete", "not attempted" };
    static const char *const success[] = { "passed", "failed" };
    sqlite3_stmt *st = db_stmt("SELECT completion_status, success_status, score_scaled"
                               " FROM sequencing_states WHERE registration_id = ?");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, registration_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *c = (const char *)sqlite3_column_text(st, 0);
        const char *s = (const char *)sqlite3_column_text(st, 1);
        /* Static strings: the row's text dies with the reset below. */
        ru->completion = "not attempted";
        for (size_t i = 0; c && i < 3; i++)
            if (strcmp(c, completion[i]) == 0)
                ru->completion = completion[i];
        ru->success = "unknown";
        for (size_t i = 0; s && i < 2; i++)
            if (strcmp(s, success[i]) == 0)
                ru->success = success[i];
        ru->has_score = sqlite3_column_type(st, 2) != SQLITE_NULL;
        ru->score = ru->has_score ? sqlite3_column_double(st, 2) : 0;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail("sequencing rollup");
}

static int apply_commit(cairn_commit *c)
{
    sqlite3_stmt *st = db_stmt(
        "SELECT a.open, a.session_no, a.registration_id, r.completion_status,"
        " r.success_status FROM sco_attempts a JOIN registrations r ON r.id = a.registration_id"
        " WHERE a.id = ?");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, c->attempt_id);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_reset(st);
        return -ENOENT;
    }
    bool open = sqlite3_column_int(st, 0) != 0;
    int session_no = sqlite3_column_int(st, 1);
    int64_t registration_id = sqlite3_column_int64(st, 2);
    char *was_completion = db_text(st, 3), *was_success = db_text(st, 4);
    sqlite3_reset(st);

    int r = -ESTALE;
    if (!open || session_no != c->session_no)
        goto out;
    r = -EIO;
    char now[24];
    db_now_iso(now);
    /* The merge of the commit into the saved data happens inside SQLite
     * (json_patch, RFC 7396): on this single writer thread, parsing and
     * printing the document in C cost twenty times more. The writable
     * subset never holds nulls, so nothing is deleted by the patch. */
    st = db_stmt(
        "UPDATE sco_attempts SET cmi = json_patch(cmi, ?2),"
        " completion_status = coalesce(?3, completion_status),"
        " success_status = coalesce(?4, success_status),"
        " score_scaled = CASE WHEN ?5 THEN ?6 ELSE score_scaled END,"
        " score_raw = CASE WHEN ?7 THEN ?8 ELSE score_raw END,"
        " last_exit = coalesce(?9, last_exit),"
        " session_time_cs = CASE WHEN ?10 THEN ?11 ELSE session_time_cs END,"
        " open = ?12, updated_at = ?13 WHERE id = ?1");
    if (!st)
        goto out;
    sqlite3_bind_int64(st, 1, c->attempt_id);
    sqlite3_bind_text(st, 2, c->cmi_json, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, c->completion, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, c->success, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, c->has_scaled);
    sqlite3_bind_double(st, 6, c->scaled);
    sqlite3_bind_int(st, 7, c->has_raw);
    sqlite3_bind_double(st, 8, c->raw);
    sqlite3_bind_text(st, 9, c->exit, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 10, c->has_session_time);
    sqlite3_bind_int64(st, 11, c->session_time_cs);
    sqlite3_bind_int(st, 12, !c->closes);
    sqlite3_bind_text(st, 13, now, -1, SQLITE_STATIC);
    if ((r = db_exec_stmt(st)))
        goto out;

    rollup ru = { 0 };
    if ((r = rollup_registration(registration_id, c->sco_count, &ru)))
        goto out;
    /* A sequenced package: the course result is the activity tree's. */
    if ((r = sequencing_rollup(registration_id, &ru)) < 0)
        goto out;
    st = db_stmt("UPDATE registrations SET completion_status = ?2, success_status = ?3,"
                 " score_scaled = ?4, total_time_cs = ?5, last_visit = ?6 WHERE id = ?1");
    if (!st) {
        r = -EIO;
        goto out;
    }
    sqlite3_bind_int64(st, 1, registration_id);
    sqlite3_bind_text(st, 2, ru.completion, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, ru.success, -1, SQLITE_STATIC);
    if (ru.has_score)
        sqlite3_bind_double(st, 4, ru.score);
    sqlite3_bind_int64(st, 5, ru.time_cs);
    sqlite3_bind_text(st, 6, now, -1, SQLITE_STATIC);
    if ((r = db_exec_stmt(st)))
        goto out;
    r = record_completion(registration_id, c->title, &ru, was_completion, was_success,
                          &c->record_status);
out:
    free(was_completion);
    free(was_success);
    return r;
}

int store_commit_batch(cairn_commit **commits, size_t n)
{
    int r = db_begin();
    if (r) {
        for (size_t i = 0; i < n; i++)
            commits[i]->result = r;
        return r;
    }
    /* Prepared once per connection (db_stmt): sqlite3_exec would parse
     * and compile each of these for every commit of the batch. */
    for (size_t i = 0; i < n; i++) {
        db_exec_stmt(db_stmt("SAVEPOINT one"));
        commits[i]->result = apply_commit(commits[i]);
        if (commits[i]->result)
            db_exec_stmt(db_stmt("ROLLBACK TO one"));
        db_exec_stmt(db_stmt("RELEASE one"));
    }
    if ((r = db_commit())) {
        db_rollback();
        for (size_t i = 0; i < n; i++)
            commits[i]->result = r;
    }
    return r;
}

/* ---- sequencing state (SCORM 2004) ---- */

int store_sequencing_get(int64_t registration_id, json_t **ret)
{
    sqlite3_stmt *st = db_stmt("SELECT state, suspended_activity, completion_status,"
                               " success_status, score_scaled, updated_at, version_id"
                               " FROM sequencing_states WHERE registration_id = ?");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, registration_id);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? -ENOENT : db_fail("sequencing state");
    }
    json_t *state = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
    json_t *out = json_pack("{so s{so so so} so ss sI}",
        "state", state ? state : json_null(),
        "rollup", "completion_status", nullable_text(st, 2),
        "success_status", nullable_text(st, 3),
        "score_scaled", sqlite3_column_type(st, 4) == SQLITE_NULL ? json_null()
                        : json_real(sqlite3_column_double(st, 4)),
        "suspended_activity", nullable_text(st, 1),
        "updated_at", (const char *)sqlite3_column_text(st, 5),
        "version_id", (json_int_t)sqlite3_column_int64(st, 6));
    sqlite3_reset(st);
    if (!out)
        return -ENOMEM;
    *ret = out;
    return 0;
}

int store_sequencing_save(int64_t registration_id, int64_t version_id, const char *title,
                          const char *state_json, const char *suspended_activity,
                          const char *completion, const char *success, bool has_score,
                          double score, const char **ret_record_status)
{
    char now[24];
    db_now_iso(now);
    int r = db_begin();
    if (r)
        return r;
    char *was_completion = NULL, *was_success = NULL;
    sqlite3_stmt *st = db_stmt("SELECT completion_status, success_status FROM registrations"
                               " WHERE id = ?");
    if (!st) {
        r = -EIO;
        goto out;
    }
    sqlite3_bind_int64(st, 1, registration_id);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_reset(st);
        r = -ENOENT;
        goto out;
    }
    was_completion = db_text(st, 0);
    was_success = db_text(st, 1);
    sqlite3_reset(st);

    st = db_stmt("INSERT INTO sequencing_states (registration_id, version_id, state,"
                 " suspended_activity, completion_status, success_status, score_scaled,"
                 " updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
                 " ON CONFLICT (registration_id) DO UPDATE SET version_id = excluded.version_id,"
                 "  state = excluded.state, suspended_activity = excluded.suspended_activity,"
                 "  completion_status = excluded.completion_status,"
                 "  success_status = excluded.success_status,"
                 "  score_scaled = excluded.score_scaled, updated_at = excluded.updated_at");
    if (!st) {
        r = -EIO;
        goto out;
    }
    sqlite3_bind_int64(st, 1, registration_id);
    sqlite3_bind_int64(st, 2, version_id);
    sqlite3_bind_text(st, 3, state_json, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, suspended_activity, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, completion, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, success, -1, SQLITE_STATIC);
    if (has_score)
        sqlite3_bind_double(st, 7, score);
    sqlite3_bind_text(st, 8, now, -1, SQLITE_STATIC);
    if ((r = db_exec_stmt(st)))
        goto out;

    /* The registration and the learner record follow the tree's result;
     * the time spent is still the sum over the SCO attempts. */
    rollup ru = { 0 };
    st = db_stmt("SELECT count(DISTINCT sco) FROM sco_attempts WHERE registration_id = ?");
    int scos = 0;
    if (st) {
        sqlite3_bind_int64(st, 1, registration_id);
        scos = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
        sqlite3_reset(st);
    }
    if ((r = rollup_registration(registration_id, scos, &ru)) ||
        (r = sequencing_rollup(registration_id, &ru)))
        goto out;
    st = db_stmt("UPDATE registrations SET completion_status = ?2, success_status = ?3,"
                 " score_scaled = ?4, last_visit = ?5 WHERE id = ?1");
    if (!st) {
        r = -EIO;
        goto out;
    }
    sqlite3_bind_int64(st, 1, registration_id);
    sqlite3_bind_text(st, 2, ru.completion, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, ru.success, -1, SQLITE_STATIC);
    if (ru.has_score)
        sqlite3_bind_double(st, 4, ru.score);
    sqlite3_bind_text(st, 5, now, -1, SQLITE_STATIC);
    if ((r = db_exec_stmt(st)))
        goto out;
    r = record_completion(registration_id, title, &ru, was_completion, was_success,
                          ret_record_status);
out:
    if (r == 0)
        r = db_commit();
    if (r)
        db_rollback();
    free(was_completion);
    free(was_success);
    return r;
}

/* ---- global objectives (SCORM 2004 objectivesGlobalToSystem) ---- */

int store_global_objectives_get(int64_t user_id, json_t *ids, json_t **ret)
{
    json_t *out = json_object();
    if (!out)
        return -ENOMEM;
    sqlite3_stmt *st = db_stmt("SELECT data FROM global_objectives"
                               " WHERE user_id = ? AND objective_id = ?");
    if (!st) {
        json_decref(out);
        return -EIO;
    }
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v) {
        const char *id = json_string_value(v);
        if (!id)
            continue;
        sqlite3_bind_int64(st, 1, user_id);
        sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            json_t *data = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
            if (json_is_object(data))
                json_object_set_new(out, id, data);
            else
                json_decref(data);
        }
        sqlite3_reset(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
            json_decref(out);
            return db_fail("global objective");
        }
    }
    *ret = out;
    return 0;
}

int store_global_objectives_merge(int64_t user_id, json_t *updates)
{
    char now[24];
    db_now_iso(now);
    int r = db_begin();
    if (r)
        return r;
    const char *id;
    json_t *fields;
    json_object_foreach(updates, id, fields) {
        sqlite3_stmt *st = db_stmt("SELECT data FROM global_objectives"
                                   " WHERE user_id = ? AND objective_id = ?");
        if (!st) {
            r = -EIO;
            break;
        }
        sqlite3_bind_int64(st, 1, user_id);
        sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
        json_t *data = NULL;
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            data = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
        sqlite3_reset(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
            json_decref(data);
            r = db_fail("global objective");
            break;
        }
        if (!json_is_object(data)) {
            json_decref(data);
            data = json_object();
        }
        char *text = NULL;
        if (!data || json_object_update(data, fields) ||
            !(text = json_dumps(data, JSON_COMPACT | JSON_SORT_KEYS))) {
            json_decref(data);
            r = -ENOMEM;
            break;
        }
        json_decref(data);
        st = db_stmt("INSERT INTO global_objectives (user_id, objective_id, data, updated_at)"
                     " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (user_id, objective_id)"
                     " DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at");
        if (!st) {
            free(text);
            r = -EIO;
            break;
        }
        sqlite3_bind_int64(st, 1, user_id);
        sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, now, -1, SQLITE_STATIC);
        r = db_exec_stmt(st);
        free(text);
        if (r)
            break;
    }
    if (r == 0)
        r = db_commit();
    if (r)
        db_rollback();
    return r;
}

int store_registration_owner(int64_t registration_id, int64_t *ret_user_id,
                             int64_t *ret_package_id)
{
    sqlite3_stmt *st = db_stmt("SELECT user_id, package_id FROM registrations WHERE id = ?");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, registration_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *ret_user_id = sqlite3_column_int64(st, 0);
        *ret_package_id = sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : db_fail("registration owner");
}
