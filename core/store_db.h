/* store_db.h: helpers shared by the store*.c files, and nothing else.
 *
 * Statements are prepared once per connection and cached by the address of
 * their SQL text (always a string literal), so each call site reads as the
 * SQL it runs. */
#ifndef CAIRN_STORE_DB_H
#define CAIRN_STORE_DB_H

#include <jansson.h>
#include <sqlite3.h>
#include <stdint.h>

/* How long a connection waits for a lock before SQLITE_BUSY. */
enum { DB_BUSY_TIMEOUT_MS = 5000 };

/* The calling thread's connection, opened on first use; NULL on failure. */
sqlite3 *db_conn(void);
/* A new connection of its own, configured as the per-thread ones, for a
 * read that outlives one request's call (a streamed export): it holds its
 * own snapshot and never disturbs the thread's connection. The caller
 * closes it with sqlite3_close. -EIO when it cannot be opened. */
int db_open_private(sqlite3 **ret);
/* A reset, cleared, cached statement for sql on this thread's connection. */
sqlite3_stmt *db_stmt(const char *sql);
/* Logs the connection's last error with what was being done; returns -EIO. */
int db_fail(const char *what);
/* Runs a statement with no result rows; -EEXIST on a unique clash. */
int db_exec_stmt(sqlite3_stmt *st);
int db_begin(void);
int db_commit(void);
void db_rollback(void);
/* A copy of column i as a malloc'd string, or NULL when it is NULL. */
char *db_text(sqlite3_stmt *st, int i);
/* Column i as a JSON string, or JSON null when it is NULL. */
json_t *db_json_text(sqlite3_stmt *st, int i);
/* Column i as text valid until the next step or reset; "" when NULL. */
const char *db_str(sqlite3_stmt *st, int i);
/* Current UTC time as "YYYY-MM-DDTHH:MM:SSZ" into buf (at least 21 bytes). */
void db_now_iso(char *buf);

#endif
