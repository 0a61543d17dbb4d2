/* store_plugins.c: what borough plugins read, and the storage they keep.
 *
 * Plugins never see SQL or rows: the plugin host (plugin_host.c,
 * plugin_api.c) asks for a learner, a borough or an organisation as JSON,
 * and keeps each plugin's own data in plugin_kv under the plugin's name,
 * which the host supplies, never the plugin. */
#include "store.h"
#include "store_db.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int store_borough_context_json(int64_t borough_id, json_t **ret)
{
    sqlite3_stmt *st = db_stmt(
        "SELECT b.id, b.name, b.slug, o.id, o.name, o.code FROM boroughs b"
        " LEFT JOIN organisations o ON o.borough_id = b.id"
        " WHERE b.id = ? ORDER BY o.name, o.id");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, borough_id);
    json_t *b = NULL;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (!b)
            b = json_pack("{sI ss ss s[]}", "id", (json_int_t)sqlite3_column_int64(st, 0),
                          "name", (const char *)sqlite3_column_text(st, 1),
                          "slug", (const char *)sqlite3_column_text(st, 2), "organisations");
        if (!b)
            break;
        if (sqlite3_column_type(st, 3) == SQLITE_NULL)
            continue;
        json_t *o = json_pack("{sI ss}", "id", (json_int_t)sqlite3_column_int64(st, 3),
                              "name", (const char *)sqlite3_column_text(st, 4));
        if (o && sqlite3_column_type(st, 5) != SQLITE_NULL)
            json_object_set_new(o, "code", db_json_text(st, 5));
        json_array_append_new(json_object_get(b, "organisations"), o);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        json_decref(b);
        return db_fail("borough context");
    }
    if (!b)
        return -ENOENT;
    *ret = b;
    return 0;
}

int store_organisation_json(int64_t organisation_id, json_t **ret)
{
    sqlite3_stmt *st = db_stmt("SELECT id, name, code, borough_id FROM organisations WHERE id = ?");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, organisation_id);
    int rc = sqlite3_step(st), r = -ENOENT;
    if (rc == SQLITE_ROW) {
        json_t *o = json_pack("{sI ss sI}", "id", (json_int_t)sqlite3_column_int64(st, 0),
                              "name", (const char *)sqlite3_column_text(st, 1),
                              "borough_id", (json_int_t)sqlite3_column_int64(st, 3));
        if (o && sqlite3_column_type(st, 2) != SQLITE_NULL)
            json_object_set_new(o, "code", db_json_text(st, 2));
        r = o ? 0 : -ENOMEM;
        if (o)
            *ret = o;
    } else if (rc != SQLITE_DONE) {
        r = db_fail("organisation");
    }
    sqlite3_reset(st);
    return r;
}

/* The learner's records, oldest first. */
static int learner_records(int64_t user_id, json_t *list)
{
    sqlite3_stmt *st = db_stmt(
        "SELECT kind, item_ref, title, completed_at, status, score, time_spent_s"
        " FROM learner_records WHERE user_id = ? ORDER BY completed_at, id");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, user_id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *rec = json_pack("{ss ss ss ss ss sI}",
            "kind", (const char *)sqlite3_column_text(st, 0),
            "item_ref", (const char *)sqlite3_column_text(st, 1),
            "title", (const char *)sqlite3_column_text(st, 2),
            "completed_at", (const char *)sqlite3_column_text(st, 3),
            "status", (const char *)sqlite3_column_text(st, 4),
            "time_spent_seconds", (json_int_t)sqlite3_column_int64(st, 6));
        if (rec && sqlite3_column_type(st, 5) != SQLITE_NULL)
            json_object_set_new(rec, "score", json_real(sqlite3_column_double(st, 5)));
        json_array_append_new(list, rec);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : db_fail("learner records");
}

int store_learner_context_json(int64_t user_id, json_t **ret)
{
    sqlite3_stmt *st = db_stmt(
        "SELECT u.id, u.name, u.email, u.role, u.job_role, u.created_at,"
        " b.id, b.name, b.slug, o.id, o.name, o.code FROM users u"
        " LEFT JOIN boroughs b ON b.id = u.borough_id"
        " LEFT JOIN organisations o ON o.id = u.organisation_id WHERE u.id = ?");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, user_id);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? -ENOENT : db_fail("learner context");
    }
    json_t *l = json_pack("{sI ss ss ss ss ss}", "id", (json_int_t)sqlite3_column_int64(st, 0),
                          "name", (const char *)sqlite3_column_text(st, 1),
                          "email", (const char *)sqlite3_column_text(st, 2),
                          "role", (const char *)sqlite3_column_text(st, 3),
                          "job_role", (const char *)sqlite3_column_text(st, 4),
                          "registered_at", (const char *)sqlite3_column_text(st, 5));
    if (l && sqlite3_column_type(st, 6) != SQLITE_NULL)
        json_object_set_new(l, "borough", json_pack("{sI ss ss}",
            "id", (json_int_t)sqlite3_column_int64(st, 6),
            "name", (const char *)sqlite3_column_text(st, 7),
            "slug", (const char *)sqlite3_column_text(st, 8)));
    if (l && sqlite3_column_type(st, 9) != SQLITE_NULL) {
        json_t *o = json_pack("{sI ss}", "id", (json_int_t)sqlite3_column_int64(st, 9),
                              "name", (const char *)sqlite3_column_text(st, 10));
        if (o && sqlite3_column_type(st, 11) != SQLITE_NULL)
            json_object_set_new(o, "code", db_json_text(st, 11));
        json_object_set_new(l, "organisation", o);
    }
    sqlite3_reset(st);
    if (!l)
        return -ENOMEM;
    json_t *records = json_array();
    int r = learner_records(user_id, records);
    json_object_set_new(l, "records", records);
    if (r) {
        json_decref(l);
        return r;
    }
    *ret = l;
    return 0;
}

int store_package_by_identifier(const char *identifier, int64_t *ret_id)
{
    sqlite3_stmt *st = db_stmt(
        "SELECT id FROM packages WHERE identifier = ? AND current_version > 0");
    if (!st)
        return -EIO;
    sqlite3_bind_text(st, 1, identifier, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st), r = -ENOENT;
    if (rc == SQLITE_ROW) {
        *ret_id = sqlite3_column_int64(st, 0);
        r = 0;
    } else if (rc != SQLITE_DONE) {
        r = db_fail("package by identifier");
    }
    sqlite3_reset(st);
    return r;
}

/* ---- plugin storage ---- */

int store_plugin_kv_get(const char *plugin, const char *key, char **ret_value)
{
    sqlite3_stmt *st = db_stmt("SELECT value FROM plugin_kv WHERE plugin = ? AND key = ?");
    if (!st)
        return -EIO;
    sqlite3_bind_text(st, 1, plugin, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st), r = -ENOENT;
    if (rc == SQLITE_ROW) {
        char *v = db_text(st, 0);
        r = v ? 0 : -ENOMEM;
        if (v)
            *ret_value = v;
    } else if (rc != SQLITE_DONE) {
        r = db_fail("plugin storage read");
    }
    sqlite3_reset(st);
    return r;
}

int store_plugin_kv_set(const char *plugin, const char *key, const char *value)
{
    sqlite3_stmt *st = db_stmt(
        "INSERT INTO plugin_kv (plugin, key, value, updated_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (plugin, key) DO UPDATE SET value = excluded.value,"
        " updated_at = excluded.updated_at");
    if (!st)
        return -EIO;
    char now[24];
    db_now_iso(now);
    sqlite3_bind_text(st, 1, plugin, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, value, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, now, -1, SQLITE_STATIC);
    return db_exec_stmt(st);
}

int store_plugin_kv_delete(const char *plugin, const char *key)
{
    sqlite3_stmt *st = db_stmt("DELETE FROM plugin_kv WHERE plugin = ? AND key = ?");
    if (!st)
        return -EIO;
    sqlite3_bind_text(st, 1, plugin, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    return db_exec_stmt(st);
}

int store_plugin_kv_count(const char *plugin, int64_t *ret_n)
{
    sqlite3_stmt *st = db_stmt("SELECT count(*) FROM plugin_kv WHERE plugin = ?");
    if (!st)
        return -EIO;
    sqlite3_bind_text(st, 1, plugin, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st), r = 0;
    if (rc == SQLITE_ROW)
        *ret_n = sqlite3_column_int64(st, 0);
    else
        r = db_fail("plugin storage count");
    sqlite3_reset(st);
    return r;
}

int store_plugin_kv_keys(const char *plugin, const char *prefix, int limit, json_t **ret)
{
    /* substr() rather than LIKE: a prefix may hold % or _. */
    sqlite3_stmt *st = db_stmt(
        "SELECT key FROM plugin_kv WHERE plugin = ?1 AND substr(key, 1, length(?2)) = ?2"
        " ORDER BY key LIMIT ?3");
    if (!st)
        return -EIO;
    sqlite3_bind_text(st, 1, plugin, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, prefix ? prefix : "", -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, limit);
    json_t *list = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        json_array_append_new(list, json_string((const char *)sqlite3_column_text(st, 0)));
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        json_decref(list);
        return db_fail("plugin storage keys");
    }
    *ret = list;
    return 0;
}
