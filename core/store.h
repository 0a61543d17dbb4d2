/* store.h: everything Cairn keeps, behind functions that name what they do.
 *
 * This is the only interface to persistence. SQL lives in store*.c and only
 * there is sqlite3.h included, so that another backend (PostgreSQL for
 * deployments that outgrow one machine) can implement this header without
 * touching handlers.
 *
 * Threads: each thread that calls a store_* function gets its own SQLite
 * connection (thread-local, opened on first use, closed at thread exit).
 * Learner commits do not write from handler threads: they go through the
 * single writer thread (writer.h), which calls store_commit_batch().
 *
 * Conventions: functions return 0 or a negative errno-style code: -ENOENT
 * (no such row), -EEXIST (unique clash), -EIO (database failure, logged
 * once here). Output parameters are ret_* and are untouched on failure.
 * Strings in returned structs are owned by the struct; free it with its
 * *_free function. */
#ifndef CAIRN_STORE_H
#define CAIRN_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* Opens (creating if needed) DATA_DIR/cairn.db, applies migrations, and
 * remembers the path for the per-thread connections. Call once at start. */
int store_open(const char *data_dir, char *errbuf, size_t errlen);
/* Durable mode (before store_open): every transaction is synced to disk,
 * so an acknowledged commit survives a power cut. */
void store_set_durable(bool durable);
void store_close(void);
/* The schema version this build migrates to. */
int store_schema_version(void);

/* ---- operations: checks, backups, readiness (store_ops.c) ---- */
/* Applies this build's migrations 1..upto, then the SQL scripts extra[0..
 * n_extra-1] as the versions after upto, to the database file db_path
 * (created if absent), pending ones in one transaction as store_open does.
 * For tests (a database at an older schema; a migration that fails) and
 * tools; does not touch the per-thread connections. */
int store_migrate_file(const char *db_path, int upto, const char *const *extra, int n_extra,
                       char *errbuf, size_t errlen);
/* PRAGMA integrity_check and user_version of the database file db_path,
 * opened read-only, no migration. ret_report gets "ok" or the problems
 * found (caller frees). Returns 0 when the check passed, -EBADMSG when it
 * did not, -EIO when the file cannot be read as a database. */
int store_check_file(const char *db_path, char **ret_report, int *ret_version);
/* A consistent copy of the database file src_path (live, other processes
 * writing) into dest_path, which must not exist: SQLite's online backup
 * of one read snapshot, so writers are not blocked. */
int store_backup_file(const char *src_path, const char *dest_path, char *errbuf, size_t errlen);
/* [[package_id, version], ...] of every package version recorded in the
 * database file db_path (read-only). */
int store_package_versions_file(const char *db_path, json_t **ret);
/* Whether this thread's connection can take the write lock now (and the
 * database is not read-only): 0, or -EIO with a reason for people. */
int store_ready_check(char *reason, size_t len);
/* Notifications waiting in the outbox. */
int store_outbox_pending(int64_t *ret_n);

/* ---- accounts ---- */
/* ROLE_PARTNERSHIP: partnership-wide, no borough; sees aggregate figures
 * across boroughs and an individual's details only under a grant
 * (store_dp.h, docs/API.md "Data protection"). */
typedef enum { ROLE_LEARNER = 0, ROLE_OFFICER = 1, ROLE_ADMIN = 2, ROLE_PARTNERSHIP = 3 } cairn_role;
const char *cairn_role_name(cairn_role r);
int cairn_role_parse(const char *s, cairn_role *ret);

typedef struct cairn_user {
    int64_t id;
    char *email, *name, *job_role;
    cairn_role role;
    int64_t borough_id;         /* 0 when none (a partnership admin) */
    char *borough_name;         /* NULL when none */
    int64_t organisation_id;    /* 0 when none */
    char *organisation_name;    /* NULL when none */
} cairn_user;
void cairn_user_free(cairn_user *u);
json_t *cairn_user_json(const cairn_user *u);

typedef struct cairn_new_user {
    const char *email, *name, *password_hash, *job_role;
    cairn_role role;
    int64_t borough_id, organisation_id;   /* 0 for none */
} cairn_new_user;
/* -EEXIST when the email is taken; -EINVAL when the organisation is not in
 * the borough. */
int store_user_create(const cairn_new_user *nu, int64_t *ret_id);
int store_user_by_id(int64_t id, cairn_user **ret);
/* Also returns the password hash (caller frees). */
int store_user_by_email(const char *email, cairn_user **ret, char **ret_hash);

int store_borough_find(const char *name_or_slug, int64_t *ret_id);
int store_borough_create(const char *name, const char *slug, int64_t *ret_id);
int store_organisation_create(int64_t borough_id, const char *name,
                              const char *code, int64_t *ret_id);
/* [{"id","name","organisations":[{"id","name"}]}] */
int store_boroughs_json(json_t **ret);
/* 0 when the organisation belongs to the borough, -ENOENT otherwise. */
int store_organisation_check(int64_t borough_id, int64_t organisation_id);

/* Sessions: the cookie holds a random token; the database holds only its
 * hash, so a copy of the database does not hand out sessions. */
int store_session_create(const unsigned char hash[32], int64_t user_id,
                         const char *csrf, int64_t expires_at);
/* The session's user and CSRF token in one query (every request does this).
 * ret_csrf: caller frees. -ENOENT when unknown or expired. */
int store_session_user(const unsigned char hash[32], int64_t now,
                       cairn_user **ret_user, char **ret_csrf);
int store_session_delete(const unsigned char hash[32]);
int store_sessions_purge(int64_t now);

/* ---- packages ---- */
typedef struct cairn_package_version {
    int64_t package_id, version_id;
    int version;
    char *identifier, *title, *scorm_version;   /* "1.2" or "2004" */
    json_t *manifest;                           /* owned reference */
} cairn_package_version;
void cairn_package_version_free(cairn_package_version *p);

/* Adds a package, or a new version of the package with the same manifest
 * identifier (learners' registrations and records are kept). Sets
 * *ret_replaced when an earlier version existed. The version's files are
 * expected at DATA/packages/<package_id>/<version>/, which the caller
 * creates after store_package_reserve() told it the numbers. */
int store_package_reserve(const char *identifier, int64_t *ret_package_id,
                          int *ret_version, bool *ret_replaced);
int store_package_add_version(int64_t package_id, int version,
                              json_t *manifest, const char *filename,
                              int64_t imported_by);
/* The current version of a package. */
int store_package_current(int64_t package_id, cairn_package_version **ret);
int store_package_version_by_id(int64_t version_id, cairn_package_version **ret);
/* The same, from a process-wide cache: versions never change once
 * recorded. The result is shared and lives until exit: do not free it. */
int store_package_version_cached(int64_t version_id, const cairn_package_version **ret);
/* {"packages":[...]} as in docs/API.md */
int store_packages_json(json_t **ret);

/* ---- learning ---- */
/* Training rows (docs/API.md "Training") for one learner: every package. */
int store_training_json(int64_t user_id, json_t **ret);

typedef struct cairn_attempt {
    int64_t id, registration_id, user_id, package_id, version_id;
    char *sco, *token;
    int number, session_no;
    bool open;
    json_t *cmi;                      /* stored learner-writable data */
    int64_t closed_time_cs, session_time_cs;
    char *last_exit;                  /* NULL when never set */
} cairn_attempt;
void cairn_attempt_free(cairn_attempt *a);

/* Creates the learner's registration if needed and returns it. */
int store_registration_ensure(int64_t user_id, int64_t package_id,
                              int64_t *ret_registration_id,
                              char **ret_last_sco);
/* Opens the SCO for a new session: continues the open attempt (its session
 * number goes up and the previous session's time is folded into the total)
 * or, when the last attempt was closed or none exists, starts a new one
 * against the package's current version. attempt_limit > 0: a new attempt
 * beyond that many is refused with -EDQUOT (SCORM 2004 attemptLimit). */
int store_attempt_launch(int64_t registration_id, const char *sco,
                         int64_t version_id, const char *new_token,
                         int attempt_limit, cairn_attempt **ret);
/* The attempt by id (no side effects). Without with_cmi, ret->cmi is an
 * empty object: the commit path does not need the saved data. */
int store_attempt_get(int64_t attempt_id, bool with_cmi, cairn_attempt **ret);
/* {"ITEM": "completed"|...} for the table of contents. */
int store_sco_statuses(int64_t registration_id, json_t **ret);
/* {"ITEM": number of attempts} for every SCO launched in the registration. */
int store_launched_scos(int64_t registration_id, json_t **ret);
/* Who owns a registration, and of which package; -ENOENT when unknown. */
int store_registration_owner(int64_t registration_id, int64_t *ret_user_id,
                             int64_t *ret_package_id);
/* SCORM 2004 sequencing state of a registration (docs/API.md "Sequencing
 * state"): {"state", "rollup", "suspended_activity", "updated_at",
 * "version_id"}; -ENOENT when none was saved. */
int store_sequencing_get(int64_t registration_id, json_t **ret);
/* Saves it, and makes the registration's status and the learner record
 * follow the tree's rolled-up result (completion "completed", "incomplete",
 * "not attempted" or "unknown"; success "passed", "failed" or "unknown").
 * *ret_record_status is set when a learner record was written. */
int store_sequencing_save(int64_t registration_id, int64_t version_id, const char *title,
                          const char *state_json, const char *suspended_activity,
                          const char *completion, const char *success, bool has_score,
                          double score, const char **ret_record_status);
/* The learner's SCORM 2004 global objectives (objectivesGlobalToSystem)
 * whose ids are in the array ids: {"ID": {values...}}, empty when none. */
int store_global_objectives_get(int64_t user_id, json_t *ids, json_t **ret);
/* Merges updates ({"ID": {field: value}}, already checked) into the
 * learner's global objectives, field by field, in one transaction. */
int store_global_objectives_merge(int64_t user_id, json_t *updates);

/* One validated learner commit, as the writer applies it. */
typedef struct cairn_commit {
    int64_t attempt_id;
    int session_no;                   /* must still be the attempt's session */
    char *cmi_json;                   /* owned: writable subset, merged in */
    const char *completion;           /* static strings or NULL */
    const char *success;
    bool has_scaled; double scaled;   /* -1..1 */
    bool has_raw; double raw;
    bool has_session_time; int64_t session_time_cs;
    const char *exit;                 /* static string; NULL when not said */
    bool closes;                      /* the attempt ends with this commit */
    int sco_count;                    /* launchable SCOs in the package */
    char *title;                      /* owned: package title, for the record */
    /* OUT, set by store_commit_batch: */
    int result;                       /* 0, -ESTALE (closed/old session), -EIO */
    const char *record_status;        /* "passed", "completed" or "failed" when this
                                         commit wrote or improved the learner record */
} cairn_commit;

/* Applies every commit in one transaction (group commit), each in its own
 * savepoint so one bad commit does not sink the others. Returns -EIO when
 * the transaction itself fails (then every result is -EIO). */
int store_commit_batch(cairn_commit **commits, size_t n);

/* ---- what borough plugins read and keep (store_plugins.c) ---- */
/* {"id","name","slug","organisations":[{"id","name","code"}]}; code only when set. */
int store_borough_context_json(int64_t borough_id, json_t **ret);
/* {"id","name","code","borough_id"}: -ENOENT when unknown. */
int store_organisation_json(int64_t organisation_id, json_t **ret);
/* A learner as plugins see them (docs/PLUGIN_API.md "The learner"):
 * identity, role, borough, organisation, registration date and every
 * learner record. -ENOENT when unknown. */
int store_learner_context_json(int64_t user_id, json_t **ret);
/* The package with this manifest identifier: -ENOENT when none. */
int store_package_by_identifier(const char *identifier, int64_t *ret_id);
/* Namespaced key-value storage: plugin names the namespace; values are
 * JSON text. get: ret_value is malloc'd (caller frees); -ENOENT when absent. */
int store_plugin_kv_get(const char *plugin, const char *key, char **ret_value);
int store_plugin_kv_set(const char *plugin, const char *key, const char *value);
int store_plugin_kv_delete(const char *plugin, const char *key);
int store_plugin_kv_count(const char *plugin, int64_t *ret_n);
/* Keys starting with prefix, sorted, at most limit: a JSON array of strings. */
int store_plugin_kv_keys(const char *plugin, const char *prefix, int limit, json_t **ret);

#endif
