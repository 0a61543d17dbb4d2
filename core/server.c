/* server.c: the libmicrohttpd daemon and the life of one request.
 *
 * The daemon runs a pool of worker threads, each polling with epoll, as
 * libmicrohttpd's authors advise for throughput; connection timeout,
 * per-IP connection limit and per-connection memory limit are set
 * explicitly (its defaults are not production settings).
 *
 * A request goes through these states, all in on_request():
 *
 *   NEW --first call--> CHECKED         [req_begin]
 *       route matched, method, sign-in, role, CSRF, content type and declared
 *       length checked before a byte of body is read; a refusal is queued
 *       at once and the body is never read
 *   CHECKED --data calls--> CHECKED     [req_take_body]
 *       the body is collected into memory (JSON) or a temporary file (zip)
 *       under the route's limit; crossing it turns into a 413
 *   CHECKED --last call--> HANDLED      [the route's handler]
 *       the handler replies, or suspends the connection (learner commits
 *       wait for the writer thread's group commit) and is resumed with its
 *       reply already set
 *   HANDLED --> queued; on_completed() frees the request
 */
#include "http.h"
#include "auth.h"
#include "config.h"
#include "log.h"
#include "metrics.h"
#include "plugin_host.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

cairn_config cfg;

int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- replies ---- */

static void reply_set(cairn_req *r, unsigned status, struct MHD_Response *resp)
{
    if (r->resp) {
        /* A second reply is a programming error; keep the first. */
        log_error("http", "second reply for %s ignored", r->path);
        MHD_destroy_response(resp);
        return;
    }
    r->resp = resp;
    r->status = status;
}

void reply_json(cairn_req *r, unsigned status, json_t *body)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!text) {
        reply_error(r, 500, "internal", "The server could not build its answer.");
        return;
    }
    size_t len = strlen(text);
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(resp, "Content-Type", "application/json; charset=utf-8");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    reply_set(r, status, resp);
    if (r->resp == resp)
        r->resp_bytes = (int64_t)len;
}

/* Messages quote what people sent, cut to fit ("%.200s", the buffer below):
 * a cut can split a UTF-8 character, and JSON must not carry half of one.
 * Each byte that does not begin a whole, valid sequence becomes '?'. */
static void utf8_mend(char *s)
{
    unsigned char *p = (unsigned char *)s;
    while (*p) {
        int n = *p < 0x80 ? 1 : (*p & 0xE0) == 0xC0 && *p >= 0xC2 ? 2 :
                (*p & 0xF0) == 0xE0 ? 3 : (*p & 0xF8) == 0xF0 && *p <= 0xF4 ? 4 : 0;
        int i = 1;
        while (i < n && (p[i] & 0xC0) == 0x80)
            i++;
        if (n == 0 || i < n) {
            *p++ = '?';
            continue;
        }
        p += n;
    }
}

static void reply_error_v(cairn_req *r, unsigned status, const char *code,
                          const char *field, const char *fmt, va_list ap)
{
    char msg[600];
    vsnprintf(msg, sizeof msg, fmt, ap);
    utf8_mend(msg);
    json_t *body = json_pack("{ss ss}", "error", msg, "code", code);
    if (field)
        json_object_set_new(body, "field", json_string(field));
    reply_json(r, status, body);
}

void reply_error(cairn_req *r, unsigned status, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    reply_error_v(r, status, code, NULL, fmt, ap);
    va_end(ap);
}

void reply_invalid(cairn_req *r, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    reply_error_v(r, 422, "invalid", field, fmt, ap);
    va_end(ap);
}

void reply_status(cairn_req *r, unsigned status)
{
    reply_set(r, status, MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT));
}

typedef struct stream_ctx {
    reply_stream_fn read;
    void *cls;
    void (*free_cls)(void *);
} stream_ctx;

static ssize_t stream_read(void *p, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    stream_ctx *s = p;
    long n = s->read(s->cls, buf, max);
    if (n < 0)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    if (n == 0)
        return MHD_CONTENT_READER_END_OF_STREAM;
    return (ssize_t)n;
}

static void stream_free(void *p)
{
    stream_ctx *s = p;
    if (s->free_cls)
        s->free_cls(s->cls);
    free(s);
}

void reply_stream(cairn_req *r, unsigned status, const char *content_type,
                  const char *filename, reply_stream_fn read, void *cls,
                  void (*free_cls)(void *))
{
    stream_ctx *s = malloc(sizeof *s);
    struct MHD_Response *resp = NULL;
    if (s) {
        *s = (stream_ctx){ .read = read, .cls = cls, .free_cls = free_cls };
        /* 32 KiB blocks: the unknown size makes it chunked (HTTP/1.1). */
        resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32 * 1024, stream_read,
                                                 s, stream_free);
    }
    if (!resp) {
        free(s);
        if (free_cls)
            free_cls(cls);
        reply_error(r, 500, "internal", "Out of memory.");
        return;
    }
    MHD_add_response_header(resp, "Content-Type", content_type);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    if (filename) {
        char disp[300];
        snprintf(disp, sizeof disp, "attachment; filename=\"%s\"", filename);
        MHD_add_response_header(resp, "Content-Disposition", disp);
    }
    reply_set(r, status, resp);
}

void reply_download(cairn_req *r, const char *content_type, const char *filename, char *data,
                    size_t len)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(data);
        reply_error(r, 500, "internal", "Out of memory.");
        return;
    }
    char disp[300];
    snprintf(disp, sizeof disp, "attachment; filename=\"%s\"", filename);
    MHD_add_response_header(resp, "Content-Type", content_type);
    MHD_add_response_header(resp, "Content-Disposition", disp);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    reply_set(r, 200, resp);
}

void reply_cookie(cairn_req *r, const char *name, const char *value, long max_age,
                  bool http_only)
{
    if (r->n_cookies >= (int)(sizeof r->set_cookies / sizeof r->set_cookies[0]))
        return;
    /* Secure when told so, or when a TLS-terminating proxy says the page
     * was fetched over https (the flag only ever tightens). */
    const char *proto = req_header(r, "X-Forwarded-Proto");
    bool secure = cfg.secure_cookies || (proto && strcmp(proto, "https") == 0);
    char *c = NULL;
    if (asprintf(&c, "%s=%s; Path=/; Max-Age=%ld; SameSite=Lax%s%s", name, value,
                 max_age, http_only ? "; HttpOnly" : "", secure ? "; Secure" : "") < 0)
        return;
    r->set_cookies[r->n_cookies++] = c;
}

/* ---- request helpers ---- */

const char *req_query(cairn_req *r, const char *key)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

bool req_query_int(cairn_req *r, const char *key, int64_t lo, int64_t hi, int64_t *ret)
{
    const char *v = req_query(r, key);
    if (!v || !*v)
        return true;
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno || *end || !isdigit((unsigned char)v[0]) || n < lo || n > hi) {
        reply_invalid(r, key, "%s must be a whole number from %lld to %lld.", key,
                      (long long)lo, (long long)hi);
        return false;
    }
    *ret = n;
    return true;
}

size_t text_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

const char *req_header(cairn_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *json_str(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

json_t *req_json_object(cairn_req *r)
{
    json_error_t jerr;
    json_t *v = r->body_len
        ? json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &jerr) : NULL;
    if (!v) {
        if (r->body_len)
            reply_error(r, 400, "bad_json", "The request body is not valid JSON (%s at "
                        "line %d).", jerr.text, jerr.line);
        else
            reply_error(r, 400, "bad_json", "The request needs a JSON body.");
        return NULL;
    }
    if (!json_is_object(v)) {
        json_decref(v);
        reply_error(r, 400, "bad_json", "The request body must be a JSON object.");
        return NULL;
    }
    return v;
}

void http_suspend(cairn_req *r)
{
    r->suspended = true;
    MHD_suspend_connection(r->conn);
}

void http_resume(cairn_req *r)
{
    MHD_resume_connection(r->conn);
}

/* ---- routing ---- */

static bool segment_is_id(const char *s, size_t n, int64_t *ret)
{
    if (n == 0 || n > 15)
        return false;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    if (v <= 0)
        return false;
    *ret = v;
    return true;
}

/* Matches path against pattern; fills ids and rest. */
static bool route_match(const char *pattern, const char *path, cairn_req *r)
{
    int nid = 0;
    const char *p = pattern, *s = path;
    while (*p) {
        if (*p == '*') {
            r->rest = s;
            return true;
        }
        if (*p == '#') {
            size_t n = strcspn(s, "/");
            if (nid >= 2 || !segment_is_id(s, n, &r->ids[nid]))
                return false;
            nid++;
            s += n;
            p++;
            continue;
        }
        if (*p != *s)
            return false;
        p++;
        s++;
    }
    return *s == '\0';
}

static unsigned method_bit(const char *m)
{
    static const struct { const char *name; unsigned bit; } map[] = {
        { "GET", M_GET }, { "HEAD", M_HEAD }, { "POST", M_POST },
        { "PUT", M_PUT }, { "DELETE", M_DELETE },
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(m, map[i].name) == 0)
            return map[i].bit;
    return 0;
}

/* ---- checks before the body ---- */

/* Whether a signed-in user of this role may reach a route of this access
 * level. Each level names the roles it admits, so a role added later
 * (partnership) reaches no officer route by accident. */
/* An officer acts for one borough: one without a borough (which `cairn user
 * add` never makes) is refused the officer routes rather than taken, by a
 * "0 means every borough" somewhere, for an admin. */
static bool access_allows(int access, const cairn_user *u)
{
    cairn_role role = u->role;
    switch (access) {
    case ACCESS_PUBLIC:
    case ACCESS_USER:
        return true;
    case ACCESS_OFFICER:
        return (role == ROLE_OFFICER && u->borough_id) || role == ROLE_ADMIN;
    case ACCESS_ADMIN:
        return role == ROLE_ADMIN;
    case ACCESS_PARTNERSHIP:
        return role == ROLE_PARTNERSHIP || role == ROLE_ADMIN;
    case ACCESS_STAFF:
        return role == ROLE_OFFICER || role == ROLE_ADMIN || role == ROLE_PARTNERSHIP;
    default:
        return false;
    }
}

static void load_session(cairn_req *r)
{
    const char *token = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, "cairn_session");
    if (!token || strlen(token) > 128)
        return;
    auth_token_hash(token, r->session_hash);
    r->has_session_hash = true;
    store_session_user(r->session_hash, (int64_t)time(NULL), &r->user, &r->csrf);
}

static bool content_type_is(const char *ct, const char *want)
{
    size_t n = strlen(want);
    if (!ct || strncasecmp(ct, want, n) != 0)
        return false;
    return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

static bool content_type_ok(cairn_req *r)
{
    const char *ct = req_header(r, "Content-Type");
    switch (r->route->body) {
    case BODY_JSON:
        return content_type_is(ct, "application/json");
    case BODY_COMMIT:
        return content_type_is(ct, "application/json") || content_type_is(ct, "text/plain");
    case BODY_UPLOAD:
        return content_type_is(ct, "application/zip") ||
               content_type_is(ct, "application/x-zip-compressed") ||
               content_type_is(ct, "application/octet-stream");
    case BODY_CSV:
        return content_type_is(ct, "text/csv");
    case BODY_NONE:
        return true;
    }
    return false;
}

static uint64_t body_limit(const route *rt)
{
    switch (rt->body) {
    /* Atomic: SIGHUP may change them (config_reload). */
    case BODY_JSON: return __atomic_load_n(&cfg.json_limit, __ATOMIC_RELAXED);
    case BODY_COMMIT: return __atomic_load_n(&cfg.commit_limit, __ATOMIC_RELAXED);
    case BODY_UPLOAD: return __atomic_load_n(&cfg.upload_limit, __ATOMIC_RELAXED);
    case BODY_CSV: return CSV_BODY_LIMIT;
    case BODY_NONE: return 0;
    }
    return 0;
}

/* The page's own origin, as a browser would send it in Origin. */
static bool origin_ok(cairn_req *r)
{
    const char *origin = req_header(r, "Origin");
    const char *host = req_header(r, "Host");
    if (!origin)
        return true;     /* not a browser, or a same-origin GET-like request */
    if (!host)
        return false;
    const char *o = origin;
    if (strncmp(o, "http://", 7) == 0)
        o += 7;
    else if (strncmp(o, "https://", 8) == 0)
        o += 8;
    else
        return false;
    return strcmp(o, host) == 0;
}

static bool csrf_ok(cairn_req *r)
{
    if (!(r->method & (M_POST | M_PUT | M_DELETE)) || r->route->csrf_exempt)
        return true;
    if (!origin_ok(r))
        return false;
    const char *sent = req_header(r, "X-CSRF-Token");
    const char *want = r->user ? r->csrf
        : MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, "cairn_csrf");
    return sent && want && auth_token_equal(sent, want);
}

/* The methods of every route whose pattern matches path, as an Allow
 * header value ("GET, HEAD"). The static catch-all does not count: an
 * unknown /api/ path is a 404, not a 405. */
static void allowed_methods(const route *table, size_t n, const char *path,
                            char *buf, size_t len)
{
    static const struct { unsigned bit; const char *name; } names[] = {
        { M_GET, "GET" }, { M_HEAD, "HEAD" }, { M_POST, "POST" },
        { M_PUT, "PUT" }, { M_DELETE, "DELETE" },
    };
    unsigned bits = 0;
    for (size_t i = 0; i < n; i++) {
        cairn_req probe = { 0 };
        if (strcmp(table[i].pattern, "/*") != 0 && route_match(table[i].pattern, path, &probe))
            bits |= table[i].methods;
    }
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (bits & names[i].bit) {
            size_t used = strlen(buf);
            snprintf(buf + used, len - used, "%s%s", used ? ", " : "", names[i].name);
        }
    }
}

/* A request must say how long its body is in one way only: two
 * Content-Length headers, or one with Transfer-Encoding, is how requests
 * are smuggled past a proxy. */
static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    if (strcasecmp(key, "Content-Length") == 0)
        ((int *)cls)[0]++;
    else if (strcasecmp(key, "Transfer-Encoding") == 0)
        ((int *)cls)[1]++;
    return MHD_YES;
}

static void req_begin(cairn_req *r, const char *method)
{
    size_t n;
    const route *table = routes_table(&n);
    r->method = method_bit(method);
    int framing[2] = { 0, 0 };
    MHD_get_connection_values(r->conn, MHD_HEADER_KIND, count_header, framing);
    if (framing[0] > 1 || (framing[0] && framing[1])) {
        reply_error(r, 400, "bad_request", "The request gives its length more than once.");
        return;
    }
    char allow[64];
    allowed_methods(table, n, r->path, allow, sizeof allow);
    for (size_t i = 0; i < n && !r->route; i++) {
        cairn_req probe = { 0 };
        if (!(table[i].methods & r->method) || !route_match(table[i].pattern, r->path, &probe))
            continue;
        if (allow[0] && strcmp(table[i].pattern, "/*") == 0)
            break;      /* an API path with another method: 405 below */
        r->route = &table[i];
        r->matched = r->route;
        r->ids[0] = probe.ids[0];
        r->ids[1] = probe.ids[1];
        r->rest = probe.rest;
    }
    if (!r->route) {
        if (allow[0]) {
            reply_error(r, 405, "method", "%s is not allowed on %s.", method, r->path);
            if (r->resp)
                MHD_add_response_header(r->resp, "Allow", allow);
        } else {
            reply_error(r, 404, "not_found", "There is nothing at %s.", r->path);
        }
        return;
    }
    load_session(r);
    const route *rt = r->route;
    if (rt->access >= ACCESS_USER && !r->user) {
        reply_error(r, 401, "sign_in", "Please sign in first.");
        return;
    }
    if (rt->access > ACCESS_USER && !access_allows(rt->access, r->user)) {
        reply_error(r, 403, "forbidden", "Your account is not allowed to do this.");
        return;
    }
    if (!csrf_ok(r)) {
        reply_error(r, 403, "csrf", "The form has expired or did not come from Cairn: "
                    "reload the page and try again.");
        return;
    }
    const char *cl = req_header(r, "Content-Length");
    uint64_t declared = cl ? strtoull(cl, NULL, 10) : 0;
    if (declared > body_limit(rt)) {
        if (rt->body == BODY_NONE)
            reply_error(r, 413, "too_large", "This request takes no body.");
        else
            reply_error(r, 413, "too_large", "The request body is %llu bytes; the limit "
                        "here is %llu.", (unsigned long long)declared,
                        (unsigned long long)body_limit(rt));
        return;
    }
    if (rt->body != BODY_NONE && !content_type_ok(r)) {
        const char *ct = req_header(r, "Content-Type");
        reply_error(r, 415, "content_type", "Content-Type %s is not accepted here; send %s.",
                    ct ? ct : "(none)", rt->body == BODY_UPLOAD ? "application/zip"
                    : rt->body == BODY_CSV ? "text/csv" : "application/json");
        return;
    }
}

static int upload_open(cairn_req *r)
{
    snprintf(r->upload_path, sizeof r->upload_path, "%s/tmp/upload-XXXXXX", cfg.data_dir);
    r->upload_fd = mkostemp(r->upload_path, O_CLOEXEC);
    if (r->upload_fd < 0) {
        log_error("http", "cannot create %s: %s", r->upload_path, strerror(errno));
        r->upload_path[0] = '\0';
        return -errno;
    }
    return 0;
}

static void req_take_body(cairn_req *r, const char *data, size_t size)
{
    uint64_t limit = body_limit(r->route);
    uint64_t have = r->route->body == BODY_UPLOAD ? r->upload_len : r->body_len;
    if (have + size > limit) {
        reply_error(r, 413, "too_large", "The request body is over the limit of %llu bytes.",
                    (unsigned long long)limit);
        return;
    }
    if (r->route->body == BODY_UPLOAD) {
        if (r->upload_fd < 0 && upload_open(r) != 0) {
            reply_error(r, 500, "internal", "The server could not store the upload.");
            return;
        }
        for (size_t off = 0; off < size;) {
            ssize_t w = write(r->upload_fd, data + off, size - off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                reply_error(r, 507, "storage", "The server ran out of room for the upload.");
                return;
            }
            off += (size_t)w;
        }
        r->upload_len += size;
        return;
    }
    if (r->body_len + size + 1 > r->body_cap) {
        size_t cap = r->body_cap ? r->body_cap : 4096;
        while (cap < r->body_len + size + 1)
            cap *= 2;
        char *b = realloc(r->body, cap);
        if (!b) {
            reply_error(r, 500, "internal", "Out of memory.");
            return;
        }
        r->body = b;
        r->body_cap = cap;
    }
    memcpy(r->body + r->body_len, data, size);
    r->body_len += size;
    r->body[r->body_len] = '\0';
}

/* ---- the daemon's callbacks ---- */

/* Requests begun and not yet completed; SIGTERM waits for them. */
static int g_in_flight;
/* Set by SIGTERM: every reply closes its connection. */
static int g_draining;
/* Set once nothing is in flight at shutdown: a new request (on a
 * connection kept alive) is refused before anything is done for it. */
static int g_refuse_new;

static void add_common_headers(cairn_req *r)
{
    struct MHD_Response *resp = r->resp;
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "same-origin");
    MHD_add_response_header(resp, "X-Request-Id", r->request_id);
    if (__atomic_load_n(&g_draining, __ATOMIC_RELAXED))
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    for (int i = 0; i < r->n_cookies; i++)
        MHD_add_response_header(resp, "Set-Cookie", r->set_cookies[i]);
}

static enum MHD_Result queue(cairn_req *r)
{
    add_common_headers(r);
    enum MHD_Result ret = MHD_queue_response(r->conn, r->status, r->resp);
    MHD_destroy_response(r->resp);
    r->resp = NULL;
    r->route = NULL;   /* answered: later calls (body we refused) are drained */
    return ret;
}

/* A request id for logs: unique enough to find one request, not a secret,
 * so a per-thread xorshift seeded once replaces a getrandom call per request. */
static void request_id(char out[17])
{
    static __thread uint64_t state;
    if (!state) {
        auth_random_hex(out, 8);
        state = strtoull(out, NULL, 16) | 1;
    }
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    snprintf(out, 17, "%016llx", (unsigned long long)state);
}

/* The client's address. When the peer is a trusted_proxy, its
 * X-Forwarded-For is read from the right, skipping trusted proxies: the
 * first address that is not one is the client (what is further left was
 * written by the client and proves nothing). Anything that does not parse
 * as an address leaves the last trusted hop as the client. */
static const char *forwarded_client(struct MHD_Connection *conn, const char *peer)
{
    static __thread char out[INET6_ADDRSTRLEN];
    if (!peer[0] || !config_trusted_proxy(peer))
        return peer;
    const char *xff = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Forwarded-For");
    if (!xff || strlen(xff) > 2048)
        return peer;
    char buf[2049];
    snprintf(buf, sizeof buf, "%s", xff);
    const char *client = peer;
    for (;;) {
        char *comma = strrchr(buf, ',');
        char *tok = comma ? comma + 1 : buf;
        while (*tok == ' ' || *tok == '\t')
            tok++;
        size_t n = strlen(tok);
        while (n > 0 && (tok[n - 1] == ' ' || tok[n - 1] == '\t'))
            tok[--n] = '\0';
        unsigned char addr[16];
        if (inet_pton(AF_INET, tok, addr) == 1)
            inet_ntop(AF_INET, addr, out, sizeof out);
        else if (inet_pton(AF_INET6, tok, addr) == 1)
            inet_ntop(AF_INET6, addr, out, sizeof out);
        else
            return client;
        client = out;
        if (!config_trusted_proxy(out) || !comma)
            return client;
        *comma = '\0';
    }
}

static cairn_req *req_new(struct MHD_Connection *conn, const char *url, const char *method)
{
    cairn_req *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->conn = conn;
    r->path = url;
    r->upload_fd = -1;
    r->started_us = now_us();
    request_id(r->request_id);
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    static __thread char ip[INET6_ADDRSTRLEN];
    ip[0] = '\0';
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, ip, sizeof ip);
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, ip, sizeof ip);
    }
    r->client_ip = strdup(forwarded_client(conn, ip));
    snprintf(r->method_name, sizeof r->method_name, "%s", method);
    __atomic_add_fetch(&g_in_flight, 1, __ATOMIC_RELAXED);
    return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    cairn_req *r = *con_cls;
    if (!r) {
        if (__atomic_load_n(&g_refuse_new, __ATOMIC_ACQUIRE)) {
            /* Stopping: nothing of this request is read or done. */
            struct MHD_Response *resp =
                MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
            MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
            MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "5");
            enum MHD_Result ret = MHD_queue_response(conn, 503, resp);
            MHD_destroy_response(resp);
            return ret;
        }
        r = req_new(conn, url, method);
        if (!r)
            return MHD_NO;
        *con_cls = r;               /* from here on_completed frees it */
        if (!r->client_ip)
            return MHD_NO;
        req_begin(r, method);
        if (r->resp)
            return queue(r);
        return MHD_YES;
    }
    if (*upload_data_size) {
        /* libmicrohttpd takes no reply while a body is arriving: a refusal
         * made now (413 past the limit) is kept, the rest of the body is
         * read and dropped, and the reply goes out on the last call. */
        if (r->route && !r->resp)
            req_take_body(r, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (r->resp)
        return queue(r);             /* resumed, or refused while reading */
    if (!r->route || r->suspended)
        return MHD_YES;              /* already answered / still waiting */
    r->route->handler(r);
    /* A suspended request is answered by whoever resumes it: its reply
     * is read on the call after the resume, never here (no data race). */
    if (r->suspended)
        return MHD_YES;
    if (!r->resp)
        reply_error(r, 500, "internal", "The server did not answer this request.");
    return queue(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    cairn_req *r = *con_cls;
    if (!r)
        return;
    int64_t took_us = now_us() - r->started_us;
    metrics_request(r->matched, r->status, took_us);
    /* The access line. The path never holds the query string (where a
     * token could be); headers, cookies and bodies are never logged. */
    bool ok = toe == MHD_REQUEST_TERMINATED_COMPLETED_OK;
    log_field f[] = {
        LOG_F_STR("msg", ok ? "request" : "request aborted"),
        LOG_F_STR("id", r->request_id),
        LOG_F_STR("method", r->method_name),
        LOG_F_STR("route", r->matched ? r->matched->pattern : NULL),
        LOG_F_STR("path", r->path),
        LOG_F_INT("status", r->status),
        LOG_F_INT("bytes", r->resp_bytes),
        LOG_F_MS("ms", (double)took_us / 1000.0),
        LOG_F_STR("ip", r->client_ip),
        r->user ? LOG_F_INT("user", r->user->id) : LOG_F_NULL("user"),
    };
    log_fields(ok ? LOG_INFO : LOG_WARN, "http", f, sizeof f / sizeof f[0]);
    if (r->upload_fd >= 0)
        close(r->upload_fd);
    if (r->upload_path[0])
        unlink(r->upload_path);
    if (r->pending_free)
        r->pending_free(r->pending);
    if (r->resp)
        MHD_destroy_response(r->resp);
    for (int i = 0; i < r->n_cookies; i++)
        free(r->set_cookies[i]);
    cairn_user_free(r->user);
    free(r->csrf);
    free(r->body);
    free((char *)r->client_ip);
    free(r);
    *con_cls = NULL;
    __atomic_sub_fetch(&g_in_flight, 1, __ATOMIC_RELAXED);
}

/* Percent-decoding as libmicrohttpd does it, except that a string holding
 * %00 is left as it is: decoded, the NUL would cut the path short
 * ("page.html%00.jpg" would serve page.html). Left encoded, it names no
 * file and no route. */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
    for (const char *p = s; (p = strchr(p, '%')); p++)
        if (p[1] == '0' && p[2] == '0')
            return strlen(s);
    return MHD_http_unescape(s);
}

/* libmicrohttpd's own messages go through the log, in its format. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    msg[strcspn(msg, "\r\n")] = '\0';
    log_warn("mhd", "%s", msg);
}

static void on_panic(void *cls, const char *file, unsigned line, const char *reason)
{
    log_error("http", "libmicrohttpd panic at %s:%u: %s", file, line, reason ? reason : "");
    abort();
}

/* SIGINT, SIGTERM and SIGHUP are blocked in every thread (http_block_signals
 * runs before any thread starts) and read from a signalfd by the main
 * thread's loop in http_serve: no work is ever done in a signal handler. */
static sigset_t g_signals;

int http_block_signals(void)
{
    sigemptyset(&g_signals);
    sigaddset(&g_signals, SIGINT);
    sigaddset(&g_signals, SIGTERM);
    sigaddset(&g_signals, SIGHUP);
    signal(SIGPIPE, SIG_IGN);
    return -pthread_sigmask(SIG_BLOCK, &g_signals, NULL);
}

/* Waits until no request is in flight or the deadline passes; returns
 * how many are still in flight. */
static int wait_idle(int64_t deadline)
{
    int n;
    while ((n = __atomic_load_n(&g_in_flight, __ATOMIC_ACQUIRE)) > 0 && now_us() < deadline)
        usleep(5 * 1000);
    return n;
}

/* SIGTERM: stop accepting (the listening socket is closed, so new
 * connections are refused at once), let every request in flight finish
 * (uploads still arriving; suspended commits are written by the writer and
 * answered), closing each connection after its reply. Waits at most
 * config_shutdown_timeout() seconds.
 *
 * When everything was answered, the daemon is left running but refusing
 * every new request, and dies with the process once main.c has stopped the
 * writer and closed the database: libmicrohttpd 0.9.75 (Debian 12) can
 * leave a connection on its suspended list after it was resumed from the
 * writer thread, and MHD_stop_daemon() then aborts the process ("called
 * while we have suspended connections") — seen here about once in ten
 * stops under commit load. Only when requests are still in flight at the
 * deadline is the daemon stopped, closing their connections. */
static struct MHD_Daemon *g_idle_daemon;

static int drain(struct MHD_Daemon *d)
{
    __atomic_store_n(&g_draining, 1, __ATOMIC_RELEASE);
    MHD_socket listen_fd = MHD_quiesce_daemon(d);
    if (listen_fd != MHD_INVALID_SOCKET)
        close(listen_fd);
    int64_t deadline = now_us() + (int64_t)config_shutdown_timeout() * 1000000;
    int n = wait_idle(deadline);
    if (n == 0) {
        __atomic_store_n(&g_refuse_new, 1, __ATOMIC_RELEASE);
        n = wait_idle(deadline);    /* one may have begun just before */
    }
    if (n == 0) {
        g_idle_daemon = d;      /* still reachable: it lives until exit */
        return 0;
    }
    log_warn("http", "stopping with %d request%s still in flight after %u s", n,
             n == 1 ? "" : "s", config_shutdown_timeout());
    MHD_stop_daemon(d);
    return n;
}

int http_serve(void)
{
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)cfg.port) };
    if (inet_pton(AF_INET, cfg.listen_addr, &addr.sin_addr) != 1) {
        log_error("http", "listen address %s is not an IPv4 address", cfg.listen_addr);
        return -EINVAL;
    }
    MHD_set_panic_func(on_panic, NULL);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
        MHD_USE_ERROR_LOG | MHD_USE_ITC,
        0, NULL, NULL, on_request, NULL,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,     /* first, as it asks */
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_THREAD_POOL_SIZE, cfg.threads,
        MHD_OPTION_CONNECTION_TIMEOUT, cfg.connection_timeout,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg.per_ip_connections,
        MHD_OPTION_CONNECTION_LIMIT, 4096u,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
        MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
        MHD_OPTION_END);
    if (!d) {
        log_error("http", "cannot listen on %s:%u (is the port in use?)", cfg.listen_addr, cfg.port);
        return -EADDRINUSE;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    unsigned port = di ? di->port : cfg.port;
    /* The test harness and the quick start read this line. */
    printf("Cairn is listening on http://%s:%u/\n", cfg.listen_addr, port);
    fflush(stdout);

    int sfd = signalfd(-1, &g_signals, SFD_CLOEXEC);
    if (sfd < 0) {
        log_error("http", "signalfd: %s", strerror(errno));
        MHD_stop_daemon(d);
        return -errno;
    }
    int stop_sig = 0;
    int64_t next_purge = now_us() + 600 * 1000000LL;
    while (!stop_sig) {
        struct pollfd pfd = { .fd = sfd, .events = POLLIN };
        int64_t wait_ms = (next_purge - now_us()) / 1000;
        int pr = poll(&pfd, 1, wait_ms < 0 ? 0 : wait_ms > 600000 ? 600000 : (int)wait_ms);
        if (pr < 0 && errno != EINTR) {
            log_error("http", "poll: %s", strerror(errno));
            break;
        }
        if (pr > 0) {
            struct signalfd_siginfo si;
            if (read(sfd, &si, sizeof si) != (ssize_t)sizeof si)
                continue;
            if (si.ssi_signo == SIGHUP) {
                log_info("http", "SIGHUP: reading the configuration and plugins again");
                config_reload();
            } else {
                stop_sig = (int)si.ssi_signo;
            }
            continue;
        }
        if (now_us() >= next_purge) {
            store_sessions_purge((int64_t)time(NULL));
            next_purge = now_us() + 600 * 1000000LL;
        }
    }
    close(sfd);
    log_info("http", "%s: stopping; %d request%s in flight", strsignal(stop_sig),
             __atomic_load_n(&g_in_flight, __ATOMIC_RELAXED),
             __atomic_load_n(&g_in_flight, __ATOMIC_RELAXED) == 1 ? "" : "s");
    if (drain(d) == 0)
        log_info("http", "stopped accepting; every request answered");
    return 0;
}
