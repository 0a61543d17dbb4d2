/* http.h: what a request handler sees, and how it answers.
 *
 * server.c owns the libmicrohttpd daemon and the lifecycle of a request:
 * it matches the route (routes.c), enforces the route's body limit, content
 * type, sign-in, role and CSRF rules before the body is read, collects the
 * body, then calls the handler once. A handler answers with exactly one
 * reply_* call (or suspends, see http_suspend); error bodies are made only
 * here, so every error has the same shape: {"error": "...", "code": "..."}.
 */
#ifndef CAIRN_HTTP_H
#define CAIRN_HTTP_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stdint.h>

#include "store.h"

enum {
    M_GET = 1, M_HEAD = 2, M_POST = 4, M_PUT = 8, M_DELETE = 16,
};

typedef enum {
    BODY_NONE,      /* no body expected; one sent is refused with 413 */
    BODY_JSON,      /* application/json, up to cfg.json_limit */
    BODY_COMMIT,    /* application/json or text/plain (beacons), cfg.commit_limit */
    BODY_UPLOAD,    /* a zip streamed to a temporary file, cfg.upload_limit */
    BODY_CSV,       /* text/csv in memory, CSV_BODY_LIMIT (history import) */
} body_kind;

#define CSV_BODY_LIMIT (5u << 20)

enum {
    ACCESS_PUBLIC = 0,
    ACCESS_USER = 1,      /* signed in */
    ACCESS_OFFICER = 2,   /* officer or admin */
    ACCESS_ADMIN = 3,
    ACCESS_PARTNERSHIP = 4,  /* partnership or admin: aggregate figures */
    ACCESS_STAFF = 5,     /* officer, admin or partnership; the handler checks a
                             partnership user's grant (dp_may_see_learner) */
};

typedef struct cairn_req cairn_req;
typedef void (*handler_fn)(cairn_req *r);

typedef struct route {
    unsigned methods;
    const char *pattern;    /* "/api/packages/#/launch": # is an id, * the rest */
    handler_fn handler;
    int access;
    body_kind body;
    bool csrf_exempt;       /* only the SCORM commit: see docs/API.md */
} route;

/* Server-wide settings, filled by main.c from the command line. */
typedef struct cairn_config {
    const char *data_dir;
    const char *listen_addr;     /* "127.0.0.1" */
    unsigned port;               /* 0: any free port, printed at start */
    unsigned threads;
    const char *web_dir;         /* core/web: the pages */
    const char *built_dir;       /* built web files: cairn.css and the pages */
    const char *vendor_dir;      /* node_modules */
    const char *plugins_dir;     /* borough plugins (plugins/) */
    bool secure_cookies;
    unsigned session_hours;
    size_t json_limit, commit_limit;
    uint64_t upload_limit;
    unsigned per_ip_connections;
    unsigned connection_timeout;
    const char *metrics_allow;   /* addresses that may read /metrics without an
                                    admin session, comma-separated; NULL: none */
    /* notifications (notify.h) */
    const char *smtp_url;        /* smtp:// or smtps://host:port; NULL: messages stay pending */
    const char *smtp_from;       /* "Cairn <noreply@example.org>": the From header */
    const char *public_url;      /* "https://cairn.example.org" for links; NULL: no links */
    unsigned reminder_hours;     /* expiry reminder sweep interval (default 24) */
    unsigned smtp_retry_s;       /* first retry delay; later ones 5x, 30x, 120x (default 60) */
} cairn_config;

extern cairn_config cfg;

struct cairn_req {
    struct MHD_Connection *conn;
    const char *path;             /* decoded, without the query */
    unsigned method;
    const route *route;
    int64_t ids[2];               /* the route's # segments, in order */
    const char *rest;             /* the route's * tail, or NULL */
    const char *client_ip;

    /* body */
    char *body;                   /* NUL-terminated; owned */
    size_t body_len, body_cap;
    int upload_fd;                /* BODY_UPLOAD: -1 until opened */
    char upload_path[512];
    uint64_t upload_len;

    /* who is asking (loaded before the handler runs) */
    cairn_user *user;             /* NULL when not signed in; owned */
    char *csrf;                   /* the session's token; owned */
    bool has_session_hash;
    unsigned char session_hash[32];

    /* the answer */
    struct MHD_Response *resp;
    unsigned status;
    char *set_cookies[3];         /* owned; added to the response */
    int n_cookies;

    /* suspended requests (the learner-commit path) */
    bool suspended;
    void *pending;                /* owned by the suspending handler */
    void (*pending_free)(void *);

    char request_id[17];
    int64_t started_us;
    char method_name[12];         /* for the access log, cut short */
    int64_t resp_bytes;           /* body bytes of the reply, for the access log */
    const route *matched;         /* the route that answered (kept after the reply;
                                     NULL when none matched): metrics, logs */
};

/* ---- replies (exactly one per request) ---- */
void reply_json(cairn_req *r, unsigned status, json_t *body /* stolen */);
void reply_error(cairn_req *r, unsigned status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A 422 naming the field at fault. */
void reply_invalid(cairn_req *r, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void reply_status(cairn_req *r, unsigned status);
/* A reply whose body is produced while it is sent (chunked; exports that
 * must not be held in memory). read(cls, buf, max) fills up to max bytes
 * and returns how many, 0 at the end, or -1 on an error (the connection is
 * then cut, so the client sees a truncated download, not a short file).
 * libmicrohttpd calls it on the worker thread that owns the connection,
 * one call at a time, after the handler has returned; free_cls(cls) runs
 * once when the response is done with (also when the client goes away).
 * filename: sent as Content-Disposition: attachment; NULL for none. */
typedef long (*reply_stream_fn)(void *cls, char *buf, size_t max);
void reply_stream(cairn_req *r, unsigned status, const char *content_type,
                  const char *filename, reply_stream_fn read, void *cls,
                  void (*free_cls)(void *));
/* A 200 download of data (malloc'd, taken over: freed whatever happens)
 * named filename (Content-Disposition: attachment), e.g. a CSV report. */
void reply_download(cairn_req *r, const char *content_type, const char *filename, char *data,
                    size_t len);
/* Adds a Set-Cookie header to whatever reply follows. */
void reply_cookie(cairn_req *r, const char *name, const char *value, long max_age,
                  bool http_only);

/* ---- request helpers ---- */
const char *req_query(cairn_req *r, const char *key);
/* A whole number from lo to hi in the query string: *ret is left as it is
 * when key is absent or empty; otherwise replies 422 naming key and returns
 * false when it is not such a number. */
bool req_query_int(cairn_req *r, const char *key, int64_t lo, int64_t hi, int64_t *ret);
/* Characters, as a person counts them, of valid UTF-8 text s (as jansson
 * checked it): every byte that does not continue a sequence starts one. */
size_t text_chars(const char *s);
const char *req_header(cairn_req *r, const char *name);
/* Parses the JSON body as an object; on failure replies 400 and returns NULL. */
json_t *req_json_object(cairn_req *r);
/* Reads a string member: NULL when absent or not a string. */
const char *json_str(json_t *obj, const char *key);

/* Suspends the connection until http_resume(); the handler must have set
 * r->pending and r->pending_free. The resumer sets the reply first. */
void http_suspend(cairn_req *r);
void http_resume(cairn_req *r);

int64_t now_us(void);

/* ---- the server ---- */
/* Blocks SIGINT, SIGTERM and SIGHUP in the calling thread and every thread
 * it starts later; call it before any thread starts. 0 or -errno. */
int http_block_signals(void);
/* Runs until SIGINT/SIGTERM, then answers every request in flight before
 * it returns (new ones are refused from then on: see drain() in server.c);
 * SIGHUP calls config_reload(). Returns 0 or -errno. */
int http_serve(void);

/* routes.c */
const route *routes_table(size_t *ret_n);

#endif
