/* package.c: a SCORM package zip, checked (inspect) and written (extract).
 *
 * zipread.c has already refused unsafe archives by the time these functions
 * see an entry; this file knows what a SCORM package must hold (a root
 * imsmanifest.xml whose launch files exist) and how to write one to disk
 * without ever leaving the destination folder:
 *   - every folder is entered with openat(O_DIRECTORY | O_NOFOLLOW) from the
 *     destination's descriptor, one segment at a time, so neither a name
 *     nor a symlink planted by an earlier entry can lead elsewhere;
 *   - every file is created with O_CREAT | O_EXCL | O_NOFOLLOW, never opened
 *     if it exists;
 *   - contents stream through cairn_zip_read() in 64 KiB chunks.
 */
#include "package.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "manifest.h"
#include "zipread.h"

const cairn_zip_limits cairn_zip_default_limits = {
    .max_entries = 10000,
    .max_entry_size = (uint64_t)512 << 20,
    .max_total_size = (uint64_t)2 << 30,
    .max_ratio = 200,
    .max_path_len = 1024,
};

/* ---- inspect ----------------------------------------------------------- */

static const char *pk_basename(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static bool pk_is_aicc_file(const char *name)
{
    static const char *const ext[] = { ".au", ".crs", ".des", ".cst" };
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
        size_t e = strlen(ext[i]);
        if (n > e && !strcasecmp(name + n - e, ext[i]))
            return true;
    }
    return false;
}

/* There is no imsmanifest.xml at the root: say what the zip holds instead. */
static int pk_explain_no_manifest(const cairn_zip *z, cairn_err *err)
{
    const char *nested = NULL, *other_case = NULL;
    bool aicc = false;
    char q[128];

    for (size_t i = 0; i < cairn_zip_count(z); i++) {
        const cairn_zip_entry *e = cairn_zip_entry_at(z, i);
        const char *base = pk_basename(e->name);
        if (e->is_dir)
            continue;
        if (!strcasecmp(base, "imsmanifest.xml")) {
            if (base == e->name)
                other_case = e->name;
            else if (!nested || strlen(e->name) < strlen(nested))
                nested = e->name;
        }
        aicc |= pk_is_aicc_file(e->name);
    }
    if (other_case)
        return cairn_err_set(err, -ENOENT, "The manifest must be named 'imsmanifest.xml' in "
                             "lower case, not '%s'.", cairn_zip_quote(other_case, q, sizeof q));
    if (nested) {
        char folder[128];
        size_t len = (size_t)(pk_basename(nested) - nested);
        char *dir = strndup(nested, len);
        cairn_zip_quote(dir ? dir : "a sub-folder", folder, sizeof folder);
        free(dir);
        return cairn_err_set(err, -ENOENT,
            "imsmanifest.xml must be at the top of the zip, not in '%s'", folder);
    }
    if (aicc)
        return cairn_err_set(err, -ENOTSUP,
            "This is an AICC course; Cairn plays SCORM 1.2 and 2004 packages only");
    return cairn_err_set(err, -ENOENT, "The zip has no imsmanifest.xml at its top, so it is "
                         "not a SCORM package.");
}

static int pk_hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decodes s into a new string; NULL when malformed, when it would
 * hold a NUL, or when out of memory. Only used to look names up. */
static char *pk_unescape(const char *s)
{
    char *out = malloc(strlen(s) + 1), *o = out;
    if (!out)
        return NULL;
    for (; *s; s++) {
        int hi, lo;
        if (*s != '%') {
            *o++ = *s;
            continue;
        }
        if ((hi = pk_hex(s[1])) < 0 || (lo = pk_hex(s[2])) < 0 || (hi | lo) == 0) {
            free(out);
            return NULL;
        }
        *o++ = (char)(hi << 4 | lo);
        s += 2;
    }
    *o = '\0';
    return out;
}

/* Looks path up as a file; returns true when found. */
static bool pk_has_file(const cairn_zip *z, const char *path)
{
    long i = cairn_zip_find(z, path);
    return i >= 0 && !cairn_zip_entry_at(z, (size_t)i)->is_dir;
}

/* Every launchable item's file must be in the zip. A launch path written
 * percent-encoded in the manifest ("My%20Course/a.html") is replaced by the
 * file's real name when only that exists. */
static int pk_check_launch(const cairn_zip *z, json_t *manifest, cairn_err *err)
{
    json_t *scos = json_object_get(manifest, "scos"), *sco;
    size_t i;
    char q[128], qi[128];

    json_array_foreach(scos, i, sco) {
        const char *path = json_string_value(json_object_get(sco, "launch_path"));
        if (!path)
            return cairn_err_set(err, -EINVAL, "An item has no launch path.");
        if (pk_has_file(z, path))
            continue;
        char *plain = strchr(path, '%') ? pk_unescape(path) : NULL;
        if (plain && pk_has_file(z, plain)) {
            if (json_object_set_new(sco, "launch_path", json_string(plain))) {
                free(plain);
                return cairn_err_set(err, -ENOMEM, "Out of memory checking the package.");
            }
            free(plain);
            continue;
        }
        free(plain);
        return cairn_err_set(err, -ENOENT, "The launch file '%s' of item '%s' is not in the zip.",
            cairn_zip_quote(path, q, sizeof q),
            cairn_zip_quote(json_string_value(json_object_get(sco, "id")), qi, sizeof qi));
    }
    return 0;
}

static int pk_inspect(cairn_zip *z, json_t **ret_manifest, cairn_err *err)
{
    json_t *manifest = NULL;
    char *xml = NULL;
    size_t len = 0;
    long idx = cairn_zip_find(z, "imsmanifest.xml");
    int r;

    if (idx < 0 || cairn_zip_entry_at(z, (size_t)idx)->is_dir)
        return pk_explain_no_manifest(z, err);
    r = cairn_zip_read_alloc(z, (size_t)idx, CAIRN_MANIFEST_MAX_SIZE, &xml, &len, err);
    if (r < 0)
        return r;
    r = cairn_manifest_parse(xml, len, &manifest, err);
    free(xml);
    if (r < 0)
        return r;
    r = pk_check_launch(z, manifest, err);
    if (r < 0) {
        json_decref(manifest);
        return r;
    }
    *ret_manifest = manifest;
    return 0;
}

int cairn_package_inspect(const char *zip_path, const cairn_zip_limits *lim,
                          json_t **ret_manifest, cairn_err *err)
{
    cairn_zip *z = NULL;
    int r = cairn_zip_open(zip_path, lim, &z, err);
    if (r < 0)
        return r;
    r = pk_inspect(z, ret_manifest, err);
    cairn_zip_close(z);
    return r;
}

int cairn_package_inspect_mem(const void *buf, size_t len, const cairn_zip_limits *lim,
                              json_t **ret_manifest, cairn_err *err)
{
    cairn_zip *z = NULL;
    int r = cairn_zip_open_mem(buf, len, lim, &z, err);
    if (r < 0)
        return r;
    r = pk_inspect(z, ret_manifest, err);
    cairn_zip_close(z);
    return r;
}

/* ---- extract ----------------------------------------------------------- */

static int pk_write_all(void *ctx, const void *buf, size_t len)
{
    int fd = *(int *)ctx;
    const char *p = buf;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Opens folder seg inside dirfd, creating it (0755) when missing. A symlink
 * or a file there fails with ELOOP or ENOTDIR. */
static int pk_subdir(int dirfd, const char *seg, int *ret_fd)
{
    bool created = mkdirat(dirfd, seg, 0755) == 0;
    if (!created && errno != EEXIST)
        return -errno;
    int fd = openat(dirfd, seg, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    /* the umask may have narrowed the mode */
    if (created && fchmod(fd, 0755) != 0) {
        int r = -errno;
        close(fd);
        return r;
    }
    *ret_fd = fd;
    return 0;
}

/* Defence in depth: zipread.c already refused these names. */
static bool pk_segment_ok(const char *seg)
{
    return *seg && strcmp(seg, ".") && strcmp(seg, "..") && !strchr(seg, '\\');
}

/* Walks (creating) the folders of path below root. With keep_leaf the last
 * segment is left for the caller in *ret_leaf (a pointer into path, which is
 * modified). On success *ret_fd is the innermost folder, to be closed. */
static int pk_walk(int root, char *path, bool keep_leaf, int *ret_fd, char **ret_leaf)
{
    int fd = fcntl(root, F_DUPFD_CLOEXEC, 0);
    char *seg = path;
    if (fd < 0)
        return -errno;
    for (;;) {
        char *slash = strchr(seg, '/');
        if (slash)
            *slash = '\0';
        int next = -1, r = pk_segment_ok(seg) ? 0 : -EINVAL;
        if (r == 0 && !slash && keep_leaf) {
            *ret_fd = fd;
            *ret_leaf = seg;
            return 0;
        }
        if (r == 0)
            r = pk_subdir(fd, seg, &next);
        close(fd);
        if (r < 0)
            return r;
        fd = next;
        if (!slash)
            break;
        seg = slash + 1;
    }
    *ret_fd = fd;
    return 0;
}

static int pk_extract_file(cairn_zip *z, size_t i, int parent, const char *leaf,
                           cairn_err *err)
{
    char q[128];
    const char *name = cairn_zip_entry_at(z, i)->name;
    int fd = openat(parent, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    int r = fd < 0 ? -errno : 0;
    if (r == 0 && fchmod(fd, 0644) != 0)
        r = -errno;
    if (r < 0) {
        if (fd >= 0)
            close(fd);
        return cairn_err_set(err, r, "Cannot create '%s' in the package folder: %s.",
                             cairn_zip_quote(name, q, sizeof q), strerror(-r));
    }
    r = cairn_zip_read(z, i, pk_write_all, &fd, err);
    if (close(fd) != 0 && r == 0)
        r = cairn_err_set(err, -errno, "Cannot write '%s' in the package folder: %s.",
                          cairn_zip_quote(name, q, sizeof q), strerror(errno));
    return r;
}

static int pk_extract_entry(cairn_zip *z, size_t i, int root, cairn_err *err)
{
    const cairn_zip_entry *e = cairn_zip_entry_at(z, i);
    char q[128], *leaf = NULL;
    int fd = -1;
    char *path = strdup(e->name);
    if (!path)
        return cairn_err_set(err, -ENOMEM, "Out of memory extracting the package.");
    int r = pk_walk(root, path, !e->is_dir, &fd, &leaf);
    if (r < 0)
        r = cairn_err_set(err, r, "Cannot create the folders of '%s' in the package folder: %s.",
                          cairn_zip_quote(e->name, q, sizeof q), strerror(-r));
    else if (!e->is_dir)
        r = pk_extract_file(z, i, fd, leaf, err);
    if (fd >= 0)
        close(fd);
    free(path);
    return r;
}

/* Opens dest_dir and checks that it is empty. */
static int pk_open_dest(const char *dest_dir, int *ret_fd, cairn_err *err)
{
    int fd = open(dest_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return cairn_err_set(err, -errno, "Cannot open the package folder: %s.", strerror(errno));
    int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
    if (!d) {
        int r = -errno;
        if (dup_fd >= 0)
            close(dup_fd);
        close(fd);
        return cairn_err_set(err, r, "Cannot read the package folder: %s.", strerror(-r));
    }
    bool empty = true;
    struct dirent *de;
    while (empty && (de = readdir(d)))
        empty = !strcmp(de->d_name, ".") || !strcmp(de->d_name, "..");
    closedir(d);
    if (!empty) {
        close(fd);
        return cairn_err_set(err, -ENOTEMPTY, "The package folder is not empty.");
    }
    *ret_fd = fd;
    return 0;
}

int cairn_package_extract(const char *zip_path, const cairn_zip_limits *lim,
                          const char *dest_dir, cairn_err *err)
{
    cairn_zip *z = NULL;
    int root = -1;
    int r = cairn_zip_open(zip_path, lim, &z, err);
    if (r < 0)
        return r;
    if ((r = pk_open_dest(dest_dir, &root, err)) < 0)
        goto out;
    for (size_t i = 0; i < cairn_zip_count(z) && r == 0; i++)
        r = pk_extract_entry(z, i, root, err);
out:
    if (root >= 0)
        close(root);
    cairn_zip_close(z);
    return r;
}
