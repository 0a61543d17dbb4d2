/* files.c: the web pages, their npm-provided assets, and package content.
 *
 * Package files are served from the same origin as the player, so content
 * can find the SCORM API by walking up window.parent. A path is opened one
 * segment at a time with O_NOFOLLOW below the folder it belongs to, so no
 * name (.., a symlink, an absolute path) can reach outside it. */
#include "api.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static const struct { const char *ext, *type; } mime_types[] = {
    { "html", "text/html; charset=utf-8" }, { "htm", "text/html; charset=utf-8" },
    { "css", "text/css; charset=utf-8" }, { "js", "text/javascript; charset=utf-8" },
    { "mjs", "text/javascript; charset=utf-8" }, { "json", "application/json" },
    { "map", "application/json" }, { "xml", "application/xml" }, { "xsd", "application/xml" },
    { "txt", "text/plain; charset=utf-8" }, { "png", "image/png" }, { "jpg", "image/jpeg" },
    { "jpeg", "image/jpeg" }, { "gif", "image/gif" }, { "svg", "image/svg+xml" },
    { "ico", "image/x-icon" }, { "webp", "image/webp" }, { "woff", "font/woff" },
    { "woff2", "font/woff2" }, { "ttf", "font/ttf" }, { "otf", "font/otf" },
    { "mp3", "audio/mpeg" }, { "wav", "audio/wav" }, { "ogg", "audio/ogg" },
    { "mp4", "video/mp4" }, { "webm", "video/webm" }, { "vtt", "text/vtt" },
    { "pdf", "application/pdf" }, { "swf", "application/x-shockwave-flash" },
};

static const char *mime_for(const char *path)
{
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (dot && (!slash || dot > slash)) {
        for (size_t i = 0; i < sizeof mime_types / sizeof mime_types[0]; i++)
            if (strcasecmp(dot + 1, mime_types[i].ext) == 0)
                return mime_types[i].type;
    }
    return "application/octet-stream";
}

/* True when rel has an empty, "." or ".." segment, or a backslash. */
static bool path_suspicious(const char *rel)
{
    if (strchr(rel, '\\'))
        return true;
    for (const char *seg = rel;; ) {
        size_t n = strcspn(seg, "/");
        if (n == 0 || (seg[0] == '.' && (n == 1 || (n == 2 && seg[1] == '.'))))
            return true;
        if (!seg[n])
            return false;
        seg += n + 1;
    }
}

/* The kernel resolves rel below dirfd in one call, refusing to leave it
 * and to follow any symlink (Linux 5.6+). -ENOSYS on older kernels. */
static int open_beneath(int dirfd, const char *rel)
{
    struct open_how how = {
        .flags = O_RDONLY | O_CLOEXEC,
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
    };
    long fd = syscall(SYS_openat2, dirfd, rel, &how, sizeof how);
    return fd < 0 ? -errno : (int)fd;
}

/* Opens rel (no leading slash) below dir, refusing symlinks and dot
 * segments. Returns an fd or -errno. */
static int open_below(const char *dir, const char *rel)
{
    if (strlen(rel) >= 2048 || path_suspicious(rel))
        return -ENOENT;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int file = open_beneath(fd, rel);
    if (file != -ENOSYS) {
        close(fd);
        return file;
    }
    /* Older kernels: one segment at a time with O_NOFOLLOW. */
    char buf[2048];
    snprintf(buf, sizeof buf, "%s", rel);
    char *save = NULL, *seg = strtok_r(buf, "/", &save);
    if (!seg) {
        close(fd);
        return -ENOENT;
    }
    while (seg) {
        char *next = strtok_r(NULL, "/", &save);
        if (seg[0] == '.' && (seg[1] == '\0' || (seg[1] == '.' && seg[2] == '\0'))) {
            close(fd);
            return -ENOENT;
        }
        int nfd = openat(fd, seg, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (next ? O_DIRECTORY : 0));
        int e = errno;
        close(fd);
        if (nfd < 0)
            return -e;
        fd = nfd;
        seg = next;
    }
    return fd;
}

/* Parses a single "bytes=a-b" range against size. 1: a range was set,
 * 0: no usable Range header (serve it all), -1: unsatisfiable. */
static int parse_range(const char *h, uint64_t size, uint64_t *ret_from, uint64_t *ret_to)
{
    if (!h || strncmp(h, "bytes=", 6) != 0 || strchr(h, ','))
        return 0;
    const char *p = h + 6;
    char *end;
    uint64_t from, to;
    /* strtoull would take a sign or spaces: only digits are a range. */
    for (const char *q = p; *q; q++)
        if (!(*q >= '0' && *q <= '9') && *q != '-')
            return 0;
    if (strchr(p, '-') != strrchr(p, '-'))
        return 0;
    if (*p == '-') {
        uint64_t n = strtoull(p + 1, &end, 10);
        if (end == p + 1 || *end || n == 0)
            return n == 0 && end != p + 1 && !*end ? -1 : 0;
        from = n >= size ? 0 : size - n;
        to = size - 1;
    } else {
        from = strtoull(p, &end, 10);
        if (end == p || *end != '-')
            return 0;
        p = end + 1;
        if (*p == '\0') {
            to = size - 1;
        } else {
            to = strtoull(p, &end, 10);
            if (*end || to < from)
                return 0;
            if (to >= size)
                to = size - 1;
        }
    }
    if (size == 0 || from >= size)
        return -1;
    *ret_from = from;
    *ret_to = to;
    return 1;
}

static bool etag_matches(const char *inm, const char *etag)
{
    if (!inm)
        return false;
    if (strcmp(inm, "*") == 0)
        return true;
    /* A list of tags, possibly weak (W/"..."). */
    size_t n = strlen(etag);
    for (const char *p = inm; (p = strstr(p, etag)); p += n) {
        char after = p[n];
        if (after == '\0' || after == ',' || after == ' ')
            return true;
    }
    return false;
}

static void serve_file(cairn_req *r, const char *dir, const char *rel,
                       const char *cache_control, bool is_page)
{
    int fd = open_below(dir, rel);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        reply_error(r, 404, "not_found", "There is nothing at %s.", r->path);
        return;
    }
    char etag[64];
    snprintf(etag, sizeof etag, "\"%" PRIx64 "-%" PRIx64 "\"", (uint64_t)st.st_size,
             (uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec);
    uint64_t size = (uint64_t)st.st_size, from = 0, to = size ? size - 1 : 0;
    struct MHD_Response *resp;
    unsigned status = 200;
    int range = 0;
    if (etag_matches(req_header(r, "If-None-Match"), etag)) {
        close(fd);
        resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
        status = 304;
    } else {
        const char *if_range = req_header(r, "If-Range");
        if (!if_range || strcmp(if_range, etag) == 0)
            range = parse_range(req_header(r, "Range"), size, &from, &to);
        if (range < 0) {
            close(fd);
            char cr[64];
            snprintf(cr, sizeof cr, "bytes */%" PRIu64, size);
            reply_error(r, 416, "range", "The requested range is outside the file.");
            if (r->resp)
                MHD_add_response_header(r->resp, "Content-Range", cr);
            return;
        }
        uint64_t len = range ? to - from + 1 : size;
        resp = MHD_create_response_from_fd_at_offset64(len, fd, range ? from : 0);
        if (!resp) {
            close(fd);
            reply_error(r, 500, "internal", "The file could not be sent.");
            return;
        }
        if (range) {
            char cr[96];
            snprintf(cr, sizeof cr, "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, from, to, size);
            MHD_add_response_header(resp, "Content-Range", cr);
            status = 206;
        }
        MHD_add_response_header(resp, "Content-Type", mime_for(rel));
    }
    MHD_add_response_header(resp, "ETag", etag);
    MHD_add_response_header(resp, "Accept-Ranges", "bytes");
    MHD_add_response_header(resp, "Cache-Control", cache_control);
    if (is_page) {
        /* Cairn's own pages: no inline script or style, frames only from
         * here (the player's content frame). Package content gets no CSP:
         * third-party SCORM content often needs inline script. */
        MHD_add_response_header(resp, "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; object-src 'none'; "
            "frame-ancestors 'self'; base-uri 'self'; form-action 'self'");
        MHD_add_response_header(resp, "X-Frame-Options", "SAMEORIGIN");
    }
    r->resp = resp;
    r->status = status;
    r->resp_bytes = status == 304 ? 0 : status == 206 ? (int64_t)(to - from + 1) : (int64_t)size;
}

void files_static(cairn_req *r)
{
    static const struct { const char *prefix, *sub; } vendor[] = {
        { "/assets/govuk/", "govuk-frontend/dist/govuk/" },
        { "/assets/scorm-again/", "scorm-again/dist/" },
    };
    const char *p = r->path;
    if (strcmp(p, "/") == 0)
        p = "/index.html";
    if (strcmp(p, "/css/cairn.css") == 0) {
        serve_file(r, cfg.built_dir, "cairn.css", "no-cache", true);
        return;
    }
    /* Pages are built from pages/ and layout.html (core/web/meson.build);
     * the player page and everything else is served as written. */
    size_t len = strlen(p);
    if (len > 5 && strcmp(p + len - 5, ".html") == 0 && !strchr(p + 1, '/')) {
        serve_file(r, cfg.built_dir, p + 1, "no-cache", true);
        if (r->status != 404)
            return;
        MHD_destroy_response(r->resp);
        r->resp = NULL;
    }
    for (size_t i = 0; i < sizeof vendor / sizeof vendor[0]; i++) {
        size_t n = strlen(vendor[i].prefix);
        if (strncmp(p, vendor[i].prefix, n) == 0) {
            char dir[4096];
            snprintf(dir, sizeof dir, "%s/%s", cfg.vendor_dir, vendor[i].sub);
            serve_file(r, dir, p + n, "public, max-age=3600", true);
            return;
        }
    }
    serve_file(r, cfg.web_dir, p + 1, "no-cache", true);
}

void files_page(cairn_req *r, const char *name, unsigned status)
{
    serve_file(r, cfg.built_dir, name, "no-cache", true);
    if (r->status == 200)
        r->status = status;
}

void files_content(cairn_req *r)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/packages/%lld/%lld", cfg.data_dir,
             (long long)r->ids[0], (long long)r->ids[1]);
    serve_file(r, dir, r->rest, "private, no-cache", false);
}

void files_health(cairn_req *r)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(3, (void *)"ok\n", MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(resp, "Content-Type", "text/plain; charset=utf-8");
    r->resp = resp;
    r->status = 200;
    r->resp_bytes = 3;
}
