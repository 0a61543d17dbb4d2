/* store_record.c: the one learner record, evidence and certificates
 * (store_record.h says when certificates are issued and revoked).
 *
 * The record is read in one statement: learner_records (e-learning),
 * attendance (one entry per marked date) and evidence, UNION ALL, ordered
 * by date. Each entry carries its live certificate's code, if any. */
#include "store_record.h"
#include "store_db.h"
#include "store_record_sql.h"

#include <ctype.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *level_or_null(sqlite3_stmt *st, int i)
{
    int level = sqlite3_column_int(st, i);
    return level > 0 ? json_integer(level) : json_null();
}

/* ---- the record ---- */

/* The sessions and modules the learner gave feedback on: two lists of ids
 * into *ret_sessions and *ret_packages (new arrays). */
static int feedback_given(int64_t user_id, json_t **ret_sessions, json_t **ret_packages)
{
    sqlite3_stmt *st = db_stmt("SELECT session_id, package_id FROM feedback WHERE user_id = ?");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, user_id);
    json_t *sessions = json_array(), *packages = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_type(st, 0) != SQLITE_NULL)
            json_array_append_new(sessions, json_integer(sqlite3_column_int64(st, 0)));
        if (sqlite3_column_type(st, 1) != SQLITE_NULL)
            json_array_append_new(packages, json_integer(sqlite3_column_int64(st, 1)));
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        json_decref(sessions);
        json_decref(packages);
        return db_fail("feedback given");
    }
    *ret_sessions = sessions;
    *ret_packages = packages;
    return 0;
}

static bool id_in(json_t *ids, int64_t id)
{
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v)
        if (json_integer_value(v) == id)
            return true;
    return false;
}

int store_record_entries_json(int64_t user_id, json_t **ret)
{
    json_t *fb_sessions = NULL, *fb_packages = NULL;
    int r = feedback_given(user_id, &fb_sessions, &fb_packages);
    if (r)
        return r;
    sqlite3_stmt *st = db_stmt(RECORD_ENTRIES("(?1)") " ORDER BY 1, 2, 12");
    if (!st) {
        json_decref(fb_sessions);
        json_decref(fb_packages);
        return -EIO;
    }
    sqlite3_bind_int64(st, 1, user_id);
    json_t *list = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *kind = db_str(st, 1), *status = db_str(st, 6);
        json_t *o = json_pack("{ss ss ss so so sf ss sb ss}",
            "date", db_str(st, 0), "kind", kind, "title", db_str(st, 2),
            "group", db_json_text(st, 3), "level", level_or_null(st, 4),
            "hours", sqlite3_column_double(st, 5), "status", status,
            "flagged", sqlite3_column_int(st, 7) != 0, "item_ref", db_str(st, 8));
        if (!o)
            continue;
        char id[48], url[96];
        snprintf(id, sizeof id, "%s-%lld", kind, (long long)sqlite3_column_int64(st, 11));
        json_object_set_new(o, "id", json_string(id));
        json_t *feedback = json_null();
        bool given = false;
        if (strcmp(kind, "elearning") == 0) {
            if (sqlite3_column_type(st, 10) != SQLITE_NULL)
                json_object_set_new(o, "score", json_real(sqlite3_column_double(st, 10)));
            bool have_pkg = sqlite3_column_type(st, 12) != SQLITE_NULL;
            json_object_set_new(o, "package_id", have_pkg
                                ? json_integer(sqlite3_column_int64(st, 12)) : json_null());
            if (have_pkg && strcmp(status, "failed") != 0) {
                snprintf(url, sizeof url, "/feedback.html?package=%lld",
                         (long long)sqlite3_column_int64(st, 12));
                feedback = json_string(url);
                given = id_in(fb_packages, sqlite3_column_int64(st, 12));
            }
        } else if (strcmp(kind, "face_to_face") == 0) {
            json_object_set_new(o, "session_id", json_integer(sqlite3_column_int64(st, 9)));
            json_object_set_new(o, "date_id", json_integer(sqlite3_column_int64(st, 13)));
            if (strcmp(status, "attended") == 0 || strcmp(status, "partly_attended") == 0) {
                snprintf(url, sizeof url, "/feedback.html?session=%lld",
                         (long long)sqlite3_column_int64(st, 9));
                feedback = json_string(url);
                given = id_in(fb_sessions, sqlite3_column_int64(st, 9));
            }
        } else {
            json_t *by = sqlite3_column_type(st, 19) == SQLITE_NULL ? json_null()
                : json_pack("{sI ss}", "id", (json_int_t)sqlite3_column_int64(st, 19),
                            "name", db_str(st, 20));
            json_object_set_new(o, "evidence", json_pack("{sI ss ss ss ss so ss}",
                "id", (json_int_t)sqlite3_column_int64(st, 11), "kind", db_str(st, 15),
                "provider", db_str(st, 16), "note", db_str(st, 17), "source", db_str(st, 18),
                "entered_by", by, "created_at", db_str(st, 21)));
        }
        json_object_set_new(o, "feedback_url", feedback);
        json_object_set_new(o, "feedback_given", json_boolean(given));
        if (sqlite3_column_type(st, 14) != SQLITE_NULL) {
            snprintf(url, sizeof url, "/certificate.html?code=%s", db_str(st, 14));
            json_object_set_new(o, "certificate", json_pack("{ss ss}", "code", db_str(st, 14),
                                                            "url", url));
        } else {
            json_object_set_new(o, "certificate", json_null());
        }
        json_array_append_new(list, o);
    }
    sqlite3_reset(st);
    json_decref(fb_sessions);
    json_decref(fb_packages);
    if (rc != SQLITE_DONE) {
        json_decref(list);
        return db_fail("learner record");
    }
    *ret = list;
    return 0;
}

int store_record_completions_json(int64_t user_id, json_t **ret)
{
    sqlite3_stmt *st = db_stmt(
        "SELECT 'elearning', 'elearning', item_ref, title, NULL, completed_at, status,"
        "  ROUND(time_spent_s / 3600.0, 2), score, time_spent_s"
        " FROM learner_records WHERE user_id = ?1 AND status <> 'failed'"
        " UNION ALL"
        " SELECT 'course', 'attendance', 'course-' || co.id, co.title,"
        "  CASE WHEN co.level > 0 THEN co.title || ' - Level ' || co.level END,"
        "  MAX(d.ends_at), 'attended', ROUND(SUM(a.hours), 2), NULL, NULL"
        " FROM attendance a JOIN session_dates d ON d.id = a.date_id"
        " JOIN course_sessions s ON s.id = a.session_id JOIN courses co ON co.id = s.course_id"
        " WHERE a.user_id = ?1 AND a.status = 'attended'"
        " GROUP BY a.session_id"
        " HAVING COUNT(*) = (SELECT COUNT(*) FROM session_dates sd WHERE sd.session_id = a.session_id)"
        " UNION ALL"
        " SELECT CASE e.kind WHEN 'elearning' THEN 'elearning' ELSE 'course' END, 'evidence',"
        "  " EVIDENCE_REF("e") ", e.title, NULL, e.completed_on, 'completed', e.hours, NULL, NULL"
        " FROM evidence e WHERE e.user_id = ?1"
        " ORDER BY 6");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, user_id);
    json_t *list = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *o = json_pack("{ss ss ss ss ss ss sf}", "kind", db_str(st, 0), "source", db_str(st, 1),
            "item_ref", db_str(st, 2), "title", db_str(st, 3), "completed_at", db_str(st, 5),
            "status", db_str(st, 6), "hours", sqlite3_column_double(st, 7));
        if (o && sqlite3_column_type(st, 4) != SQLITE_NULL)
            json_object_set_new(o, "alt_title", json_string(db_str(st, 4)));
        if (o && sqlite3_column_type(st, 8) != SQLITE_NULL)
            json_object_set_new(o, "score", json_real(sqlite3_column_double(st, 8)));
        if (o && sqlite3_column_type(st, 9) != SQLITE_NULL)
            json_object_set_new(o, "time_spent_seconds", json_integer(sqlite3_column_int64(st, 9)));
        json_array_append_new(list, o);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        json_decref(list);
        return db_fail("completions");
    }
    *ret = list;
    return 0;
}

int store_user_borough(int64_t user_id, int64_t *ret_borough_id, cairn_role *ret_role)
{
    sqlite3_stmt *st = db_stmt("SELECT coalesce(borough_id, 0), role FROM users WHERE id = ?");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, user_id);
    int rc = sqlite3_step(st), r = 0;
    cairn_role role;
    if (rc == SQLITE_ROW && cairn_role_parse(db_str(st, 1), &role) == 0) {
        *ret_borough_id = sqlite3_column_int64(st, 0);
        *ret_role = role;
    } else {
        r = rc == SQLITE_ROW ? -EINVAL : rc == SQLITE_DONE ? -ENOENT : db_fail("user borough");
    }
    sqlite3_reset(st);
    return r;
}

/* ---- evidence ---- */

int store_evidence_add(const cairn_evidence_new *e, int64_t *ret_id)
{
    char now[24];
    db_now_iso(now);
    sqlite3_stmt *st = db_stmt(
        "INSERT INTO evidence (user_id, kind, title, provider, grp, level, hours, completed_on,"
        " note, source, entered_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
        " ?11, ?12)");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, e->user_id);
    sqlite3_bind_text(st, 2, e->kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, e->title, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, e->provider ? e->provider : "", -1, SQLITE_STATIC);
    if (e->group)
        sqlite3_bind_text(st, 5, e->group, -1, SQLITE_STATIC);
    if (e->level > 0)
        sqlite3_bind_int(st, 6, e->level);
    sqlite3_bind_double(st, 7, e->hours);
    sqlite3_bind_text(st, 8, e->completed_on, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, e->note ? e->note : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 10, e->source, -1, SQLITE_STATIC);
    if (e->entered_by)
        sqlite3_bind_int64(st, 11, e->entered_by);
    sqlite3_bind_text(st, 12, now, -1, SQLITE_STATIC);
    int r = db_exec_stmt(st);
    if (r == 0)
        *ret_id = sqlite3_last_insert_rowid(db_conn());
    return r;
}

int store_evidence_json(int64_t id, json_t **ret)
{
    sqlite3_stmt *st = db_stmt(
        "SELECT e.id, e.user_id, e.kind, e.title, e.provider, e.grp, e.level, e.hours,"
        " e.completed_on, e.note, e.source, e.entered_by, u.name, e.created_at"
        " FROM evidence e LEFT JOIN users u ON u.id = e.entered_by WHERE e.id = ?");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? -ENOENT : db_fail("evidence");
    }
    json_t *by = sqlite3_column_type(st, 11) == SQLITE_NULL ? json_null()
        : json_pack("{sI ss}", "id", (json_int_t)sqlite3_column_int64(st, 11),
                    "name", db_str(st, 12));
    json_t *o = json_pack("{sI sI ss ss ss so so sf ss ss ss so ss}",
        "id", (json_int_t)sqlite3_column_int64(st, 0),
        "user_id", (json_int_t)sqlite3_column_int64(st, 1),
        "kind", db_str(st, 2), "title", db_str(st, 3), "provider", db_str(st, 4),
        "group", db_json_text(st, 5), "level", level_or_null(st, 6),
        "hours", sqlite3_column_double(st, 7), "completed_on", db_str(st, 8),
        "note", db_str(st, 9), "source", db_str(st, 10), "entered_by", by,
        "created_at", db_str(st, 13));
    sqlite3_reset(st);
    if (!o)
        return -ENOMEM;
    *ret = o;
    return 0;
}

int store_evidence_owner(int64_t id, int64_t *ret_user_id)
{
    sqlite3_stmt *st = db_stmt("SELECT user_id FROM evidence WHERE id = ?");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st), r = 0;
    if (rc == SQLITE_ROW)
        *ret_user_id = sqlite3_column_int64(st, 0);
    else
        r = rc == SQLITE_DONE ? -ENOENT : db_fail("evidence owner");
    sqlite3_reset(st);
    return r;
}

int store_evidence_delete(int64_t id)
{
    sqlite3_stmt *st = db_stmt("DELETE FROM evidence WHERE id = ?");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, id);
    int r = db_exec_stmt(st);
    if (r == 0 && sqlite3_changes(db_conn()) == 0)
        r = -ENOENT;
    return r;
}

/* ---- certificates ---- */

/* No 0/O, 1/I/L: a code read aloud or copied from paper stays right. */
static const char CODE_ALPHABET[] = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/* Twelve characters from libsodium's CSPRNG (31^12, about 2^59). */
static void certificate_code(char out[CERT_CODE_LEN + 1])
{
    const uint32_t n = (uint32_t)(sizeof CODE_ALPHABET - 1);
    for (int i = 0; i < CERT_CODE_LEN; i++)
        out[i] = i == 4 || i == 9 ? '-' : CODE_ALPHABET[randombytes_uniform(n)];
    out[CERT_CODE_LEN] = '\0';
}

bool store_certificate_code_normal(const char *code, char *out)
{
    if (!code)
        return false;
    char buf[CERT_CODE_LEN + 1];
    int n = 0;
    for (const char *p = code; *p; p++) {
        if (*p == '-' || *p == ' ')
            continue;
        char c = (char)toupper((unsigned char)*p);
        if (n >= 12 || !strchr(CODE_ALPHABET, c))
            return false;
        buf[n++] = c;
    }
    if (n != 12)
        return false;
    snprintf(out, CERT_CODE_LEN + 1, "%.4s-%.4s-%.4s", buf, buf + 4, buf + 8);
    return true;
}

/* Runs st (already bound except ?1, the code) with fresh codes until it
 * does not clash with another certificate's code. */
static int insert_with_code(sqlite3_stmt *st)
{
    for (int tries = 0; tries < 4; tries++) {
        char code[CERT_CODE_LEN + 1];
        certificate_code(code);
        sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc == SQLITE_DONE)
            return 0;
        if (rc != SQLITE_CONSTRAINT)
            break;
    }
    sqlite3_clear_bindings(st);
    return db_fail("certificate");
}

int store_certificate_elearning_tx(int64_t registration_id)
{
    char now[24];
    db_now_iso(now);
    sqlite3_stmt *st = db_stmt(
        "INSERT INTO certificates (code, user_id, source, source_id, title, issued_at)"
        " SELECT ?1, lr.user_id, 'elearning', lr.id, lr.title, ?2"
        " FROM registrations r JOIN packages p ON p.id = r.package_id"
        " JOIN learner_records lr ON lr.user_id = r.user_id AND lr.kind = 'elearning'"
        "  AND lr.item_ref = p.identifier"
        " WHERE r.id = ?3 AND lr.status IN ('completed', 'passed')"
        " ON CONFLICT (source, source_id) DO NOTHING");
    if (!st)
        return -EIO;
    sqlite3_bind_text(st, 2, now, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, registration_id);
    return insert_with_code(st);
}

int store_certificate_attendance_tx(int64_t session_id, int64_t user_id)
{
    sqlite3_stmt *st = db_stmt(
        "SELECT (SELECT COUNT(*) FROM session_dates WHERE session_id = ?1),"
        " (SELECT COUNT(*) FROM attendance WHERE session_id = ?1 AND user_id = ?2"
        "  AND status = 'attended'),"
        " (SELECT MIN(id) FROM attendance WHERE session_id = ?1 AND user_id = ?2)");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, session_id);
    sqlite3_bind_int64(st, 2, user_id);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_reset(st);
        return db_fail("attendance for certificate");
    }
    int dates = sqlite3_column_int(st, 0), attended = sqlite3_column_int(st, 1);
    int64_t first = sqlite3_column_int64(st, 2);
    sqlite3_reset(st);
    if (!first)
        return 0;
    char now[24];
    db_now_iso(now);
    if (dates > 0 && attended == dates) {
        st = db_stmt(
            "INSERT INTO certificates (code, user_id, source, source_id, title, issued_at)"
            " SELECT ?1, ?2, 'attendance', ?3, co.title, ?4"
            " FROM course_sessions s JOIN courses co ON co.id = s.course_id WHERE s.id = ?5"
            " ON CONFLICT (source, source_id) DO UPDATE SET revoked_at = NULL");
        if (!st)
            return -EIO;
        sqlite3_bind_int64(st, 2, user_id);
        sqlite3_bind_int64(st, 3, first);
        sqlite3_bind_text(st, 4, now, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 5, session_id);
        return insert_with_code(st);
    }
    st = db_stmt("UPDATE certificates SET revoked_at = ?1 WHERE source = 'attendance'"
                 " AND source_id = ?2 AND revoked_at IS NULL");
    if (!st)
        return -EIO;
    sqlite3_bind_text(st, 1, now, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, first);
    return db_exec_stmt(st);
}

/* What an e-learning certificate certifies. */
static json_t *elearning_record(int64_t source_id)
{
    sqlite3_stmt *st = db_stmt(
        "SELECT item_ref, title, completed_at, status, ROUND(time_spent_s / 3600.0, 2), score,"
        " time_spent_s FROM learner_records WHERE id = ?");
    if (!st)
        return NULL;
    sqlite3_bind_int64(st, 1, source_id);
    json_t *o = NULL;
    if (sqlite3_step(st) == SQLITE_ROW) {
        o = json_pack("{ss ss ss ss ss sf sn sn sI}", "kind", "elearning",
            "item_ref", db_str(st, 0), "title", db_str(st, 1), "completed_at", db_str(st, 2),
            "status", db_str(st, 3), "hours", sqlite3_column_double(st, 4), "group", "level",
            "time_spent_seconds", (json_int_t)sqlite3_column_int64(st, 6));
        if (o && sqlite3_column_type(st, 5) != SQLITE_NULL)
            json_object_set_new(o, "score", json_real(sqlite3_column_double(st, 5)));
    }
    sqlite3_reset(st);
    return o;
}

/* What an attendance certificate certifies: the whole session. */
static json_t *attendance_record(int64_t source_id)
{
    sqlite3_stmt *st = db_stmt(
        "SELECT 'course-' || co.id, co.title, MAX(d.ends_at), ROUND(SUM(a.hours), 2), co.grp,"
        " co.level, a.session_id"
        " FROM attendance f JOIN attendance a ON a.session_id = f.session_id"
        "  AND a.user_id = f.user_id AND a.status = 'attended'"
        " JOIN session_dates d ON d.id = a.date_id"
        " JOIN course_sessions s ON s.id = a.session_id JOIN courses co ON co.id = s.course_id"
        " WHERE f.id = ? GROUP BY a.session_id");
    if (!st)
        return NULL;
    sqlite3_bind_int64(st, 1, source_id);
    json_t *o = NULL;
    if (sqlite3_step(st) == SQLITE_ROW)
        o = json_pack("{ss ss ss ss ss sf so so sI}", "kind", "course",
            "item_ref", db_str(st, 0), "title", db_str(st, 1), "completed_at", db_str(st, 2),
            "status", "attended", "hours", sqlite3_column_double(st, 3),
            "group", db_json_text(st, 4), "level", level_or_null(st, 5),
            "session_id", (json_int_t)sqlite3_column_int64(st, 6));
    sqlite3_reset(st);
    return o;
}

int store_certificate_json(const char *code, json_t **ret)
{
    sqlite3_stmt *st = db_stmt(
        "SELECT c.code, c.user_id, c.source, c.source_id, c.title, c.issued_at, c.revoked_at,"
        " u.name, b.id, b.name, b.slug"
        " FROM certificates c JOIN users u ON u.id = c.user_id"
        " LEFT JOIN boroughs b ON b.id = u.borough_id WHERE c.code = ?");
    if (!st)
        return -EIO;
    sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? -ENOENT : db_fail("certificate");
    }
    int64_t uid = sqlite3_column_int64(st, 1), source_id = sqlite3_column_int64(st, 3);
    char *source = db_text(st, 2);
    json_t *borough = sqlite3_column_type(st, 8) == SQLITE_NULL ? json_null()
        : json_pack("{sI ss ss}", "id", (json_int_t)sqlite3_column_int64(st, 8),
                    "name", db_str(st, 9), "slug", db_str(st, 10));
    json_t *o = json_pack("{ss sI ss sI ss ss so s{sI ss} so}", "code", db_str(st, 0),
        "user_id", (json_int_t)uid, "source", source ? source : "",
        "source_id", (json_int_t)source_id, "title", db_str(st, 4), "issued_at", db_str(st, 5),
        "revoked_at", db_json_text(st, 6), "learner", "id", (json_int_t)uid,
        "name", db_str(st, 7), "borough", borough);
    sqlite3_reset(st);
    if (!o) {
        free(source);
        return -ENOMEM;
    }
    json_t *rec = NULL;
    if (source && strcmp(source, "elearning") == 0)
        rec = elearning_record(source_id);
    else if (source && strcmp(source, "attendance") == 0)
        rec = attendance_record(source_id);
    free(source);
    /* null only for a revoked attendance certificate with no attended
     * date left (or a database changed by hand). */
    json_object_set_new(o, "record", rec ? rec : json_null());
    *ret = o;
    return 0;
}
