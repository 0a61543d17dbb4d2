/* api_ops.c: what operators and their monitoring ask (docs/OPERATIONS.md):
 * GET /readyz and GET /metrics. /healthz (alive) is in files.c. */
#include "api.h"
#include "config.h"
#include "metrics.h"
#include "plugin_host.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

/* Ready when the database takes a write lock and every plugin loaded. */
void api_readyz(cairn_req *r)
{
    char reason[300];
    json_t *checks = json_object(), *reasons = json_array();
    if (store_ready_check(reason, sizeof reason) == 0) {
        json_object_set_new(checks, "database", json_string("ok"));
    } else {
        json_object_set_new(checks, "database", json_string(reason));
        json_array_append_new(reasons, json_string(reason));
    }
    json_t *st = plugin_host_status();
    size_t i, failed = 0;
    json_t *p;
    json_array_foreach(json_object_get(st, "plugins"), i, p) {
        const char *state = json_string_value(json_object_get(p, "state"));
        if (state && strcmp(state, "loaded") == 0)
            continue;
        failed++;
        /* /readyz is public: the plugin's name, not its error (which can
         * hold paths and Lua source lines); admins read that on the
         * Plugins page. */
        snprintf(reason, sizeof reason, "plugin %s failed to load: see GET /api/admin/plugins",
                 json_string_value(json_object_get(p, "name")));
        json_array_append_new(reasons, json_string(reason));
    }
    json_decref(st);
    json_object_set_new(checks, "plugins", json_string(failed ? "failed" : "ok"));
    if (json_array_size(reasons) == 0) {
        json_decref(reasons);
        reply_json(r, 200, json_pack("{ss so}", "status", "ready", "checks", checks));
        return;
    }
    const char *first = json_string_value(json_array_get(reasons, 0));
    reply_json(r, 503, json_pack("{ss ss ss so so}", "status", "not_ready", "code", "not_ready",
                                 "error", first, "reasons", reasons, "checks", checks));
}

/* The socket peer's address (the proxy's, behind one). */
static void peer_address(cairn_req *r, char *out, size_t len)
{
    out[0] = '\0';
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!ci || !ci->client_addr)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)len);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)len);
}

/* Admins, or a client in --metrics-allow. r->client_ip is the forwarded
 * client only when the peer is a trusted proxy; a request that says it was
 * forwarded by any other peer is refused, since behind a proxy that is not
 * trusted every client would have the proxy's (allowed) address. */
static bool metrics_allowed(cairn_req *r)
{
    if (r->user && r->user->role == ROLE_ADMIN)
        return true;
    char peer[INET6_ADDRSTRLEN];
    peer_address(r, peer, sizeof peer);
    bool forwarded = req_header(r, "X-Forwarded-For") || req_header(r, "Forwarded") ||
                     req_header(r, "X-Real-IP");
    if (forwarded && !config_trusted_proxy(peer))
        return false;
    return metrics_address_allowed(cfg.metrics_allow, r->client_ip);
}

void api_metrics(cairn_req *r)
{
    if (!metrics_allowed(r)) {
        reply_error(r, 403, "forbidden", "Metrics are for administrators and the addresses "
                    "in the metrics allow-list.");
        return;
    }
    size_t len;
    char *text = metrics_render(&len);
    if (!text) {
        reply_error(r, 500, "internal", "The server could not build its answer.");
        return;
    }
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(resp, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    r->resp = resp;
    r->status = 200;
}
