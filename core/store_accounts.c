/* store_accounts.c: boroughs, organisations, users and sessions. */
#include "store.h"
#include "store_db.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const role_names[] = { "learner", "officer", "admin", "partnership" };
enum { N_ROLES = sizeof role_names / sizeof role_names[0] };

const char *cairn_role_name(cairn_role r)
{
    return (unsigned)r < N_ROLES ? role_names[r] : "learner";
}

int cairn_role_parse(const char *s, cairn_role *ret)
{
    for (int i = 0; i < (int)N_ROLES; i++) {
        if (s && strcmp(s, role_names[i]) == 0) {
            *ret = (cairn_role)i;
            return 0;
        }
    }
    return -EINVAL;
}

void cairn_user_free(cairn_user *u)
{
    if (!u)
        return;
    free(u->email);
    free(u->name);
    free(u->job_role);
    free(u->borough_name);
    free(u->organisation_name);
    free(u);
}

json_t *cairn_user_json(const cairn_user *u)
{
    json_t *borough = u->borough_id
        ? json_pack("{sI ss}", "id", (json_int_t)u->borough_id, "name", u->borough_name)
        : json_null();
    json_t *org = u->organisation_id
        ? json_pack("{sI ss}", "id", (json_int_t)u->organisation_id, "name", u->organisation_name)
        : json_null();
    return json_pack("{sI ss ss ss so so ss}",
                     "id", (json_int_t)u->id, "name", u->name, "email", u->email,
                     "role", cairn_role_name(u->role), "borough", borough,
                     "organisation", org, "job_role", u->job_role);
}

static void bind_id_or_null(sqlite3_stmt *st, int i, int64_t id)
{
    if (id)
        sqlite3_bind_int64(st, i, id);
    else
        sqlite3_bind_null(st, i);
}

int store_user_create(const cairn_new_user *nu, int64_t *ret_id)
{
    if (nu->organisation_id && store_organisation_check(nu->borough_id, nu->organisation_id) != 0)
        return -EINVAL;
    sqlite3_stmt *st = db_stmt(
        "INSERT INTO users (email, name, password_hash, role, borough_id,"
        " organisation_id, job_role, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    if (!st)
        return -EIO;
    char now[24];
    db_now_iso(now);
    sqlite3_bind_text(st, 1, nu->email, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, nu->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, nu->password_hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, cairn_role_name(nu->role), -1, SQLITE_STATIC);
    bind_id_or_null(st, 5, nu->borough_id);
    bind_id_or_null(st, 6, nu->organisation_id);
    sqlite3_bind_text(st, 7, nu->job_role ? nu->job_role : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, now, -1, SQLITE_STATIC);
    int r = db_exec_stmt(st);
    if (r == 0 && ret_id)
        *ret_id = sqlite3_last_insert_rowid(db_conn());
    return r;
}

#define USER_COLUMNS \
    "u.id, u.email, u.name, u.role, u.borough_id, b.name, u.organisation_id, o.name," \
    " u.job_role, u.password_hash FROM users u" \
    " LEFT JOIN boroughs b ON b.id = u.borough_id" \
    " LEFT JOIN organisations o ON o.id = u.organisation_id"

static int user_from_row(sqlite3_stmt *st, cairn_user **ret, char **ret_hash)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        sqlite3_reset(st);
        return -ENOENT;
    }
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        return db_fail("user lookup");
    }
    cairn_user *u = calloc(1, sizeof *u);
    if (!u) {
        sqlite3_reset(st);
        return -ENOMEM;
    }
    u->id = sqlite3_column_int64(st, 0);
    u->email = db_text(st, 1);
    u->name = db_text(st, 2);
    const char *role = (const char *)sqlite3_column_text(st, 3);
    cairn_role_parse(role, &u->role);
    u->borough_id = sqlite3_column_int64(st, 4);
    u->borough_name = db_text(st, 5);
    u->organisation_id = sqlite3_column_int64(st, 6);
    u->organisation_name = db_text(st, 7);
    u->job_role = db_text(st, 8);
    if (ret_hash)
        *ret_hash = db_text(st, 9);
    sqlite3_reset(st);
    if (!u->email || !u->name || !u->job_role) {
        cairn_user_free(u);
        return -ENOMEM;
    }
    *ret = u;
    return 0;
}

int store_user_by_id(int64_t id, cairn_user **ret)
{
    sqlite3_stmt *st = db_stmt("SELECT " USER_COLUMNS " WHERE u.id = ?");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, id);
    return user_from_row(st, ret, NULL);
}

int store_user_by_email(const char *email, cairn_user **ret, char **ret_hash)
{
    sqlite3_stmt *st = db_stmt("SELECT " USER_COLUMNS " WHERE u.email = ?");
    if (!st)
        return -EIO;
    sqlite3_bind_text(st, 1, email, -1, SQLITE_STATIC);
    return user_from_row(st, ret, ret_hash);
}

int store_borough_find(const char *name_or_slug, int64_t *ret_id)
{
    sqlite3_stmt *st = db_stmt("SELECT id FROM boroughs WHERE name = ?1 OR slug = ?1");
    if (!st)
        return -EIO;
    sqlite3_bind_text(st, 1, name_or_slug, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st), r = -ENOENT;
    if (rc == SQLITE_ROW) {
        *ret_id = sqlite3_column_int64(st, 0);
        r = 0;
    } else if (rc != SQLITE_DONE) {
        r = db_fail("borough lookup");
    }
    sqlite3_reset(st);
    return r;
}

int store_borough_create(const char *name, const char *slug, int64_t *ret_id)
{
    sqlite3_stmt *st = db_stmt("INSERT INTO boroughs (name, slug) VALUES (?, ?)");
    if (!st)
        return -EIO;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, slug, -1, SQLITE_STATIC);
    int r = db_exec_stmt(st);
    if (r == 0 && ret_id)
        *ret_id = sqlite3_last_insert_rowid(db_conn());
    return r;
}

int store_organisation_create(int64_t borough_id, const char *name,
                              const char *code, int64_t *ret_id)
{
    sqlite3_stmt *st = db_stmt(
        "INSERT INTO organisations (borough_id, name, code) VALUES (?, ?, ?)");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, borough_id);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, code, -1, SQLITE_STATIC);
    int r = db_exec_stmt(st);
    if (r == 0 && ret_id)
        *ret_id = sqlite3_last_insert_rowid(db_conn());
    return r;
}

int store_organisation_check(int64_t borough_id, int64_t organisation_id)
{
    sqlite3_stmt *st = db_stmt("SELECT 1 FROM organisations WHERE id = ? AND borough_id = ?");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, organisation_id);
    sqlite3_bind_int64(st, 2, borough_id);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : db_fail("organisation check");
}

int store_boroughs_json(json_t **ret)
{
    sqlite3_stmt *st = db_stmt(
        "SELECT b.id, b.name, o.id, o.name FROM boroughs b"
        " LEFT JOIN organisations o ON o.borough_id = b.id"
        " ORDER BY b.name, b.id, o.name");
    if (!st)
        return -EIO;
    json_t *list = json_array(), *cur = NULL;
    int64_t cur_id = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t bid = sqlite3_column_int64(st, 0);
        if (!cur || bid != cur_id) {
            cur = json_pack("{sI ss s[]}", "id", (json_int_t)bid,
                            "name", (const char *)sqlite3_column_text(st, 1),
                            "organisations");
            json_array_append_new(list, cur);
            cur_id = bid;
        }
        if (sqlite3_column_type(st, 2) != SQLITE_NULL)
            json_array_append_new(json_object_get(cur, "organisations"),
                json_pack("{sI ss}", "id", (json_int_t)sqlite3_column_int64(st, 2),
                          "name", (const char *)sqlite3_column_text(st, 3)));
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        json_decref(list);
        return db_fail("boroughs");
    }
    *ret = list;
    return 0;
}

/* ---- sessions ---- */

int store_session_create(const unsigned char hash[32], int64_t user_id,
                         const char *csrf, int64_t expires_at)
{
    sqlite3_stmt *st = db_stmt(
        "INSERT INTO sessions (token_hash, user_id, csrf, expires_at) VALUES (?, ?, ?, ?)");
    if (!st)
        return -EIO;
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, user_id);
    sqlite3_bind_text(st, 3, csrf, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, expires_at);
    return db_exec_stmt(st);
}

int store_session_user(const unsigned char hash[32], int64_t now,
                       cairn_user **ret_user, char **ret_csrf)
{
    /* Column 9, the password hash in USER_COLUMNS, is the CSRF token here. */
    sqlite3_stmt *st = db_stmt(
        "SELECT u.id, u.email, u.name, u.role, u.borough_id, b.name, u.organisation_id,"
        " o.name, u.job_role, s.csrf FROM sessions s JOIN users u ON u.id = s.user_id"
        " LEFT JOIN boroughs b ON b.id = u.borough_id"
        " LEFT JOIN organisations o ON o.id = u.organisation_id"
        " WHERE s.token_hash = ? AND s.expires_at > ?");
    if (!st)
        return -EIO;
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now);
    char *csrf = NULL;
    int r = user_from_row(st, ret_user, &csrf);
    if (r == 0 && !csrf) {
        cairn_user_free(*ret_user);
        *ret_user = NULL;
        return -ENOMEM;
    }
    if (r == 0)
        *ret_csrf = csrf;
    return r;
}

int store_session_delete(const unsigned char hash[32])
{
    sqlite3_stmt *st = db_stmt("DELETE FROM sessions WHERE token_hash = ?");
    if (!st)
        return -EIO;
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
    return db_exec_stmt(st);
}

int store_sessions_purge(int64_t now)
{
    sqlite3_stmt *st = db_stmt("DELETE FROM sessions WHERE expires_at <= ?");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, now);
    return db_exec_stmt(st);
}
