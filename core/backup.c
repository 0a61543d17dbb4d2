/* backup.c: see backup.h.
 *
 * Invariants:
 *  1. Nothing is ever written into a live data folder: backup writes only
 *     under DEST.partial; restore builds DATA.restoring and renames it.
 *  2. A file is copied and hashed in the same pass; restore compares every
 *     file's size and SHA-256 with the manifest before the folder is put
 *     in place.
 *  3. Paths from a manifest are relative, without "..", or refused. */
#include "backup.h"
#include "cairn_config.h"
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { BACKUP_FORMAT_VERSION = 1 };

/* ---- files ---- */

static int path_join(char *out, size_t len, const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la + lb + 2 > len)
        return -ENAMETOOLONG;
    memcpy(out, a, la);
    out[la] = '/';
    memcpy(out + la + 1, b, lb + 1);
    return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

static void rm_tree(const char *path)
{
    nftw(path, rm_entry, 32, FTW_DEPTH | FTW_PHYS);
}

static int mkdirs(const char *path)
{
    char buf[4096];
    if ((size_t)snprintf(buf, sizeof buf, "%s", path) >= sizeof buf)
        return -ENAMETOOLONG;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0750) != 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    return mkdir(buf, 0750) != 0 && errno != EEXIST ? -errno : 0;
}

static void hex(const unsigned char *b, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = '\0';
}

/* Copies src to dest (created, must not exist; dest NULL: only hashes),
 * syncs it, and gives its size and SHA-256 in hex. */
static int copy_hash(const char *src, const char *dest, uint64_t *ret_bytes, char ret_sha[65])
{
    int in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (in < 0)
        return -errno;
    int out = -1;
    if (dest && (out = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640)) < 0) {
        int e = -errno;
        close(in);
        return e;
    }
    crypto_hash_sha256_state h;
    crypto_hash_sha256_init(&h);
    static __thread unsigned char buf[1 << 16];
    uint64_t total = 0;
    int r = 0;
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            r = -errno;
            break;
        }
        if (n == 0)
            break;
        crypto_hash_sha256_update(&h, buf, (unsigned long long)n);
        total += (uint64_t)n;
        for (ssize_t off = 0; out >= 0 && off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                r = w < 0 ? -errno : -ENOSPC;
                break;
            }
            off += w;
        }
        if (r)
            break;
    }
    if (out >= 0 && !r && fsync(out) != 0)
        r = -errno;
    if (out >= 0 && close(out) != 0 && !r)
        r = -errno;
    close(in);
    if (r)
        return r;
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&h, digest);
    hex(digest, sizeof digest, ret_sha);
    *ret_bytes = total;
    return 0;
}

/* Copies the tree src_root/rel (regular files and folders; links are not
 * followed) to dest_root/rel, adding each file to files. */
static int copy_tree(const char *src_root, const char *dest_root, const char *rel, json_t *files,
                     char *errbuf, size_t errlen)
{
    char src[4096], dest[4096];
    if (path_join(src, sizeof src, src_root, rel) || path_join(dest, sizeof dest, dest_root, rel))
        return -ENAMETOOLONG;
    int r = mkdirs(dest);
    if (r) {
        snprintf(errbuf, errlen, "cannot create %s: %s", dest, strerror(-r));
        return r;
    }
    DIR *d = opendir(src);
    if (!d) {
        snprintf(errbuf, errlen, "cannot read %s: %s", src, strerror(errno));
        return -errno;
    }
    struct dirent *e;
    while (!r && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char sub[4096], full[4096];
        struct stat st;
        if (path_join(sub, sizeof sub, rel, e->d_name) || path_join(full, sizeof full, src_root, sub)) {
            r = -ENAMETOOLONG;
            break;
        }
        if (lstat(full, &st) != 0) {
            r = -errno;
            snprintf(errbuf, errlen, "cannot read %s: %s", full, strerror(errno));
        } else if (S_ISDIR(st.st_mode)) {
            r = copy_tree(src_root, dest_root, sub, files, errbuf, errlen);
        } else if (S_ISREG(st.st_mode)) {
            char to[4096], sha[65];
            uint64_t bytes;
            if (path_join(to, sizeof to, dest_root, sub)) {
                r = -ENAMETOOLONG;
            } else if ((r = copy_hash(full, to, &bytes, sha)) != 0) {
                snprintf(errbuf, errlen, "cannot copy %s: %s", full, strerror(-r));
            } else {
                json_array_append_new(files, json_pack("{ss sI ss}", "path", sub,
                                                       "bytes", (json_int_t)bytes, "sha256", sha));
            }
        }   /* anything else (links, sockets) is not part of a package */
    }
    closedir(d);
    return r;
}

static int write_json(const char *path, json_t *v)
{
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp)
        return -ENAMETOOLONG;
    if (json_dump_file(v, tmp, JSON_INDENT(1) | JSON_SORT_KEYS) != 0)
        return -EIO;
    int fd = open(tmp, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0) {
        if (fd >= 0)
            close(fd);
        return -EIO;
    }
    close(fd);
    return rename(tmp, path) == 0 ? 0 : -errno;
}

static void sync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* The folder that holds path ("." when none), for syncing a rename. */
static void sync_parent(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    char *slash = strrchr(buf, '/');
    if (slash == buf)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    else
        snprintf(buf, sizeof buf, ".");
    sync_dir(buf);
}

/* ---- backup ---- */

int backup_create(const char *data_dir, const char *dest, char *errbuf, size_t errlen)
{
    errbuf[0] = '\0';
    char db[4096], part[4096], copy_db[4096], path[4096];
    if (path_join(db, sizeof db, data_dir, "cairn.db") ||
        (size_t)snprintf(part, sizeof part, "%s.partial", dest) >= sizeof part ||
        path_join(copy_db, sizeof copy_db, part, "cairn.db")) {
        snprintf(errbuf, errlen, "path too long");
        return -ENAMETOOLONG;
    }
    struct stat st;
    if (stat(db, &st) != 0) {
        snprintf(errbuf, errlen, "no database at %s", db);
        return -ENOENT;
    }
    if (lstat(dest, &st) == 0) {
        snprintf(errbuf, errlen, "%s already exists: name a new folder", dest);
        return -EEXIST;
    }
    rm_tree(part);      /* what an interrupted earlier run left */
    if (mkdir(part, 0750) != 0) {
        snprintf(errbuf, errlen, "cannot create %s: %s", part, strerror(errno));
        return -errno;
    }
    json_t *files = json_array(), *versions = NULL, *manifest = NULL;
    int r = store_backup_file(db, copy_db, errbuf, errlen);
    if (r)
        goto fail;
    char *report = NULL;
    int schema = 0;
    r = store_check_file(copy_db, &report, &schema);
    if (r) {
        snprintf(errbuf, errlen, "the copy fails its integrity check: %s",
                 report ? report : "unreadable");
        free(report);
        goto fail;
    }
    free(report);
    char sha[65];
    uint64_t bytes;
    if ((r = copy_hash(copy_db, NULL, &bytes, sha)) != 0) {
        snprintf(errbuf, errlen, "cannot read %s: %s", copy_db, strerror(-r));
        goto fail;
    }
    json_array_append_new(files, json_pack("{ss sI ss}", "path", "cairn.db",
                                           "bytes", (json_int_t)bytes, "sha256", sha));
    /* The package files of the versions that snapshot records: versions
     * never change once recorded, and one imported after the snapshot is
     * not in it, so copying them now is consistent with the database. */
    if ((r = store_package_versions_file(copy_db, &versions)) != 0) {
        snprintf(errbuf, errlen, "cannot list the packages in the copy");
        goto fail;
    }
    size_t i;
    json_t *v;
    json_array_foreach(versions, i, v) {
        char rel[64];
        snprintf(rel, sizeof rel, "packages/%lld/%lld",
                 (long long)json_integer_value(json_array_get(v, 0)),
                 (long long)json_integer_value(json_array_get(v, 1)));
        if (path_join(path, sizeof path, data_dir, rel) || stat(path, &st) != 0) {
            snprintf(errbuf, errlen, "the files of %s are missing from the data folder", rel);
            r = -ENOENT;
            goto fail;
        }
        if ((r = copy_tree(data_dir, part, rel, files, errbuf, errlen)) != 0)
            goto fail;
    }
    char now[21];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
    manifest = json_pack("{ss si ss si ss sI sO}", "format", "cairn-backup",
                         "format_version", BACKUP_FORMAT_VERSION, "cairn_version", CAIRN_VERSION,
                         "schema_version", schema, "created_at", now,
                         "package_versions", (json_int_t)json_array_size(versions),
                         "files", files);
    if (path_join(path, sizeof path, part, "manifest.json") || (r = write_json(path, manifest))) {
        snprintf(errbuf, errlen, "cannot write the manifest in %s", part);
        r = r ? r : -ENAMETOOLONG;
        goto fail;
    }
    sync_dir(part);
    if (rename(part, dest) != 0) {
        snprintf(errbuf, errlen, "cannot rename %s to %s: %s", part, dest, strerror(errno));
        r = -errno;
        goto fail;
    }
    sync_parent(dest);
    json_decref(manifest);
    json_decref(versions);
    json_decref(files);
    return 0;
fail:
    rm_tree(part);
    json_decref(manifest);
    json_decref(versions);
    json_decref(files);
    return r ? r : -EIO;
}

/* ---- restore ---- */

static bool rel_path_ok(const char *p)
{
    if (!p || !p[0] || p[0] == '/' || strlen(p) > 1024)
        return false;
    for (const char *s = p; s;) {
        if (strncmp(s, "..", 2) == 0 && (s[2] == '/' || s[2] == '\0'))
            return false;
        if (s[0] == '/' || (s[0] == '.' && (s[1] == '/' || s[1] == '\0')))
            return false;
        s = strchr(s, '/');
        if (s)
            s++;
    }
    return true;
}

static bool dir_empty_or_absent(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return errno == ENOENT;
    struct dirent *e;
    bool empty = true;
    while (empty && (e = readdir(d)))
        empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
    closedir(d);
    return empty;
}

int backup_restore(const char *src, const char *data_dir, bool force, int *ret_from_schema,
                   char *errbuf, size_t errlen)
{
    errbuf[0] = '\0';
    char path[4096], staging[4096], to[4096];
    if (path_join(path, sizeof path, src, "manifest.json") ||
        (size_t)snprintf(staging, sizeof staging, "%s.restoring", data_dir) >= sizeof staging) {
        snprintf(errbuf, errlen, "path too long");
        return -ENAMETOOLONG;
    }
    json_error_t jerr;
    json_t *m = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!m) {
        snprintf(errbuf, errlen, "%s is not a Cairn backup: %s", src,
                 access(path, F_OK) == 0 ? jerr.text : "it has no manifest.json");
        return -EINVAL;
    }
    int r = -EINVAL;
    json_t *files = json_object_get(m, "files");
    json_t *schema_j = json_object_get(m, "schema_version");
    const char *format = json_string_value(json_object_get(m, "format"));
    if (!format || strcmp(format, "cairn-backup") != 0 || !json_is_array(files) ||
        !json_is_integer(schema_j)) {
        snprintf(errbuf, errlen, "%s/manifest.json is not a Cairn backup manifest", src);
        goto out;
    }
    if (json_integer_value(json_object_get(m, "format_version")) > BACKUP_FORMAT_VERSION) {
        snprintf(errbuf, errlen, "the backup was made by a newer Cairn (%s): upgrade Cairn",
                 json_string_value(json_object_get(m, "cairn_version")));
        goto out;
    }
    int schema = (int)json_integer_value(schema_j);
    if (schema > store_schema_version()) {
        snprintf(errbuf, errlen, "the backup is at schema %d, newer than this Cairn (%d): "
                 "upgrade Cairn", schema, store_schema_version());
        goto out;
    }
    if (!dir_empty_or_absent(data_dir) && !force) {
        snprintf(errbuf, errlen, "%s is not empty: restore into a new folder, or add --force "
                 "to move it aside first", data_dir);
        r = -EEXIST;
        goto out;
    }
    /* Copy and check everything into the staging folder first. */
    rm_tree(staging);
    if ((r = mkdirs(staging)) != 0) {     /* with its parents, on a new machine */
        snprintf(errbuf, errlen, "cannot create %s: %s", staging, strerror(-r));
        goto out;
    }
    bool have_db = false;
    size_t i;
    json_t *f;
    json_array_foreach(files, i, f) {
        const char *rel = json_string_value(json_object_get(f, "path"));
        const char *want = json_string_value(json_object_get(f, "sha256"));
        json_int_t bytes_want = json_integer_value(json_object_get(f, "bytes"));
        if (!rel_path_ok(rel) || !want) {
            snprintf(errbuf, errlen, "the manifest lists a bad file entry (%s)", rel ? rel : "?");
            r = -EINVAL;
            goto fail;
        }
        have_db |= strcmp(rel, "cairn.db") == 0;
        char from[4096], dir[4096], sha[65];
        uint64_t bytes;
        if (path_join(from, sizeof from, src, rel) || path_join(to, sizeof to, staging, rel)) {
            r = -ENAMETOOLONG;
            goto fail;
        }
        snprintf(dir, sizeof dir, "%s", to);
        *strrchr(dir, '/') = '\0';
        if ((r = mkdirs(dir)) != 0 || (r = copy_hash(from, to, &bytes, sha)) != 0) {
            snprintf(errbuf, errlen, "cannot copy %s: %s", from, strerror(-r));
            goto fail;
        }
        if (strcmp(sha, want) != 0 || (json_int_t)bytes != bytes_want) {
            snprintf(errbuf, errlen, "%s does not match the manifest (damaged or changed "
                     "backup): nothing was restored", from);
            r = -EBADMSG;
            goto fail;
        }
    }
    if (!have_db) {
        snprintf(errbuf, errlen, "the backup has no cairn.db");
        r = -EINVAL;
        goto fail;
    }
    char *report = NULL;
    int found = 0;
    path_join(to, sizeof to, staging, "cairn.db");
    r = store_check_file(to, &report, &found);
    if (r || found != schema) {
        snprintf(errbuf, errlen, "the backup's database fails its check: %s",
                 r ? (report ? report : "unreadable") : "schema differs from the manifest");
        free(report);
        r = r ? r : -EBADMSG;
        goto fail;
    }
    free(report);
    /* Migrate in the staging folder: a failed migration leaves the data
     * folder untouched. */
    static const char *const parts[] = { "packages", "tmp" };   /* as open_data makes them */
    for (size_t k = 0; k < 2; k++) {
        path_join(to, sizeof to, staging, parts[k]);
        if ((r = mkdirs(to)) != 0) {
            snprintf(errbuf, errlen, "cannot create %s: %s", to, strerror(-r));
            goto fail;
        }
    }
    char merr[512];
    path_join(to, sizeof to, staging, "cairn.db");
    if ((r = store_migrate_file(to, store_schema_version(), NULL, 0, merr, sizeof merr)) != 0) {
        snprintf(errbuf, errlen, "the backup could not be brought to schema %d: %s",
                 store_schema_version(), merr);
        goto fail;
    }
    sync_dir(staging);
    if (!dir_empty_or_absent(data_dir)) {
        char aside[4096], now[32];
        time_t t = time(NULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(now, sizeof now, "%Y%m%dT%H%M%SZ", &tm);
        snprintf(aside, sizeof aside, "%s.replaced-%s", data_dir, now);
        if (rename(data_dir, aside) != 0) {
            snprintf(errbuf, errlen, "cannot move %s aside to %s: %s", data_dir, aside,
                     strerror(errno));
            r = -errno;
            goto fail;
        }
        fprintf(stderr, "cairn restore: the previous data folder is now %s\n", aside);
    } else {
        rmdir(data_dir);    /* empty: the staging folder takes its place */
    }
    if (rename(staging, data_dir) != 0) {
        snprintf(errbuf, errlen, "cannot rename %s to %s: %s", staging, data_dir, strerror(errno));
        r = -errno;
        goto fail;
    }
    sync_parent(data_dir);
    *ret_from_schema = schema;
    json_decref(m);
    return 0;
fail:
    rm_tree(staging);
out:
    json_decref(m);
    return r;
}

/* ---- the commands ---- */

int backup_main(int argc, char **argv, const char *data_dir)
{
    static const struct option opts[] = {
        { "data", required_argument, NULL, 'd' }, { "help", no_argument, NULL, 'h' }, { 0 },
    };
    const char *usage =
        "Usage: cairn backup [--data DIR] DEST\n"
        "Copies the database (a consistent snapshot, taken while the server runs) and\n"
        "the package files into the new folder DEST, with manifest.json (versions,\n"
        "time, SHA-256 of every file). See docs/OPERATIONS.md.\n";
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'd') {
            data_dir = optarg;
        } else {
            fputs(usage, c == 'h' ? stdout : stderr);
            return c == 'h' ? 0 : 2;
        }
    }
    if (optind != argc - 1) {
        fputs(usage, stderr);
        return 2;
    }
    const char *dest = argv[optind];
    char err[1024];
    int64_t t0 = (int64_t)time(NULL);
    if (backup_create(data_dir, dest, err, sizeof err) != 0) {
        fprintf(stderr, "cairn backup: %s\n", err);
        return 1;
    }
    char manifest[4096];
    snprintf(manifest, sizeof manifest, "%s/manifest.json", dest);
    json_t *m = json_load_file(manifest, 0, NULL);
    printf("backed up %s to %s: schema %lld, %zu files, %lld package versions, %llds\n",
           data_dir, dest, (long long)json_integer_value(json_object_get(m, "schema_version")),
           json_array_size(json_object_get(m, "files")),
           (long long)json_integer_value(json_object_get(m, "package_versions")),
           (long long)((int64_t)time(NULL) - t0));
    json_decref(m);
    return 0;
}

int restore_main(int argc, char **argv, const char *data_dir)
{
    static const struct option opts[] = {
        { "data", required_argument, NULL, 'd' }, { "force", no_argument, NULL, 'f' },
        { "help", no_argument, NULL, 'h' }, { 0 },
    };
    const char *usage =
        "Usage: cairn restore [--data DIR] [--force] SRC\n"
        "Restores the backup folder SRC (made by cairn backup) into the data folder,\n"
        "which must be absent or empty; --force moves an existing one aside to\n"
        "DIR.replaced-TIME first. Every file's checksum and the database's integrity\n"
        "are checked before anything is put in place; an older schema is migrated.\n"
        "Stop the server that uses DIR first.\n";
    bool force = false;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'd') {
            data_dir = optarg;
        } else if (c == 'f') {
            force = true;
        } else {
            fputs(usage, c == 'h' ? stdout : stderr);
            return c == 'h' ? 0 : 2;
        }
    }
    if (optind != argc - 1) {
        fputs(usage, stderr);
        return 2;
    }
    char err[1024];
    int from = 0;
    if (backup_restore(argv[optind], data_dir, force, &from, err, sizeof err) != 0) {
        fprintf(stderr, "cairn restore: %s\n", err);
        return 1;
    }
    printf("restored %s into %s: schema %d", argv[optind], data_dir, from);
    if (from != store_schema_version())
        printf(", migrated to %d", store_schema_version());
    printf("\n");
    return 0;
}

int db_main(int argc, char **argv, const char *data_dir)
{
    static const struct option opts[] = {
        { "data", required_argument, NULL, 'd' }, { "help", no_argument, NULL, 'h' }, { 0 },
    };
    const char *usage =
        "Usage: cairn db check [--data DIR]\n"
        "Runs SQLite's integrity check on DIR/cairn.db (read-only; the server may\n"
        "run) and prints it with the schema version. Exit status 0 when ok.\n";
    if (argc < 2 || strcmp(argv[1], "check") != 0) {
        bool help = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
        fputs(usage, help ? stdout : stderr);
        return help ? 0 : 2;
    }
    argc--;
    argv++;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'd') {
            data_dir = optarg;
        } else {
            fputs(usage, c == 'h' ? stdout : stderr);
            return c == 'h' ? 0 : 2;
        }
    }
    if (optind != argc) {
        fputs(usage, stderr);
        return 2;
    }
    char db[4096], *report = NULL;
    int version = 0;
    if (path_join(db, sizeof db, data_dir, "cairn.db")) {
        fprintf(stderr, "cairn db check: path too long\n");
        return 2;
    }
    int r = store_check_file(db, &report, &version);
    if (r == -EIO) {
        fprintf(stderr, "cairn db check: %s cannot be read as a Cairn database\n", db);
        return 1;
    }
    printf("integrity: %s\nschema: %d (this Cairn: %d)\n", report, version,
           store_schema_version());
    free(report);
    return r ? 1 : 0;
}
