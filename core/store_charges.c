/* store_charges.c: charges for no-shows and late cancellations
 * (store_charges.h). */
#include "store_charges.h"
#include "store_db.h"

#include <errno.h>
#include <stdlib.h>

int store_charge_flag(int64_t user_id, int64_t session_id, int64_t booking_id,
                      const char *reason, int64_t amount_pence, const char *note)
{
    sqlite3_stmt *st = db_stmt(
        "INSERT INTO charges (user_id, session_id, booking_id, reason, amount_pence, note,"
        " status, created_at, updated_at)"
        " VALUES (?1, ?2, COALESCE(?3, (SELECT id FROM bookings WHERE session_id = ?2"
        "   AND user_id = ?1 ORDER BY status <> 'cancelled' DESC, id DESC LIMIT 1)),"
        "  ?4, ?5, ?6, 'flagged', ?7, ?7)"
        " ON CONFLICT (session_id, user_id, reason) DO UPDATE SET"
        "  booking_id = excluded.booking_id, amount_pence = excluded.amount_pence,"
        "  note = excluded.note, updated_at = excluded.updated_at"
        " WHERE charges.status = 'flagged'");
    if (!st)
        return -EIO;
    char now[32];
    db_now_iso(now);
    sqlite3_bind_int64(st, 1, user_id);
    sqlite3_bind_int64(st, 2, session_id);
    if (booking_id)
        sqlite3_bind_int64(st, 3, booking_id);
    sqlite3_bind_text(st, 4, reason, -1, SQLITE_STATIC);
    if (amount_pence >= 0)
        sqlite3_bind_int64(st, 5, amount_pence);
    sqlite3_bind_text(st, 6, note ? note : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, now, -1, SQLITE_STATIC);
    return db_exec_stmt(st);
}

int store_charges_sync_attendance(int64_t user_id, int64_t session_id)
{
    sqlite3_stmt *st = db_stmt(
        "DELETE FROM charges WHERE user_id = ?1 AND session_id = ?2 AND status = 'flagged' AND ("
        " (reason = 'no_show' AND NOT EXISTS (SELECT 1 FROM attendance"
        "   WHERE session_id = ?2 AND user_id = ?1 AND status = 'no_show'))"
        " OR (reason = 'late_cancellation' AND NOT EXISTS (SELECT 1 FROM attendance"
        "   WHERE session_id = ?2 AND user_id = ?1 AND status = 'cancelled_late')"
        "  AND NOT EXISTS (SELECT 1 FROM bookings WHERE session_id = ?2 AND user_id = ?1"
        "   AND status = 'cancelled' AND late_cancellation = 1)))");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, user_id);
    sqlite3_bind_int64(st, 2, session_id);
    return db_exec_stmt(st);
}

#define CHARGE_COLUMNS \
    "SELECT c.id, c.reason, c.amount_pence, c.note, c.status, c.created_at, c.updated_at," \
    " c.booking_id, u.id, u.name, u.email, ub.name, s.id, co.title, s.first_start, hb.name" \
    " FROM charges c JOIN users u ON u.id = c.user_id" \
    " LEFT JOIN boroughs ub ON ub.id = u.borough_id" \
    " JOIN course_sessions s ON s.id = c.session_id" \
    " JOIN courses co ON co.id = s.course_id" \
    " JOIN boroughs hb ON hb.id = s.host_borough_id"

static json_t *charge_row(sqlite3_stmt *st)
{
    json_t *amount = sqlite3_column_type(st, 2) == SQLITE_NULL ? json_null()
                   : json_integer(sqlite3_column_int64(st, 2));
    json_t *booking = sqlite3_column_type(st, 7) == SQLITE_NULL ? json_null()
                    : json_integer(sqlite3_column_int64(st, 7));
    return json_pack("{sI so so so so so so so s{sI so so so} s{sI so so so}}",
        "id", (json_int_t)sqlite3_column_int64(st, 0),
        "reason", db_json_text(st, 1), "amount_pence", amount, "note", db_json_text(st, 3),
        "status", db_json_text(st, 4), "created_at", db_json_text(st, 5),
        "updated_at", db_json_text(st, 6), "booking_id", booking,
        "learner", "id", (json_int_t)sqlite3_column_int64(st, 8), "name", db_json_text(st, 9),
        "email", db_json_text(st, 10), "borough", db_json_text(st, 11),
        "session", "id", (json_int_t)sqlite3_column_int64(st, 12), "title", db_json_text(st, 13),
        "starts_at", db_json_text(st, 14), "host_borough", db_json_text(st, 15));
}

int store_charges_json(int64_t borough_id, const char *status, json_t **ret)
{
    sqlite3_stmt *st = db_stmt(CHARGE_COLUMNS
        " WHERE (?1 = 0 OR u.borough_id = ?1) AND (?2 IS NULL OR c.status = ?2)"
        " ORDER BY c.created_at DESC, c.id DESC LIMIT 2000");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, borough_id);
    if (status)
        sqlite3_bind_text(st, 2, status, -1, SQLITE_STATIC);
    json_t *list = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        json_array_append_new(list, charge_row(st));
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        json_decref(list);
        return db_fail("charges list");
    }
    *ret = json_pack("{so}", "charges", list);
    return 0;
}

int store_charge_json(int64_t id, json_t **ret)
{
    sqlite3_stmt *st = db_stmt(CHARGE_COLUMNS " WHERE c.id = ?");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st), r = 0;
    if (rc == SQLITE_ROW)
        *ret = charge_row(st);
    else
        r = rc == SQLITE_DONE ? -ENOENT : db_fail("charge");
    sqlite3_reset(st);
    return r;
}

int store_charge_borough(int64_t id, int64_t *ret_borough_id)
{
    sqlite3_stmt *st = db_stmt("SELECT u.borough_id FROM charges c JOIN users u"
                               " ON u.id = c.user_id WHERE c.id = ?");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st), r = 0;
    if (rc == SQLITE_ROW)
        *ret_borough_id = sqlite3_column_int64(st, 0);
    else
        r = rc == SQLITE_DONE ? -ENOENT : db_fail("charge borough");
    sqlite3_reset(st);
    return r;
}

int store_charge_set_status(int64_t id, const char *status, const char *note)
{
    sqlite3_stmt *st = db_stmt("UPDATE charges SET status = ?2, note = COALESCE(?3, note),"
                               " updated_at = ?4 WHERE id = ?1");
    if (!st)
        return -EIO;
    char now[32];
    db_now_iso(now);
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, status, -1, SQLITE_STATIC);
    if (note)
        sqlite3_bind_text(st, 3, note, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, now, -1, SQLITE_STATIC);
    int r = db_exec_stmt(st);
    if (r == 0 && sqlite3_changes(db_conn()) == 0)
        r = -ENOENT;
    return r;
}
