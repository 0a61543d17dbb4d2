/* test_zip.c: the zip reader's safety rules and the package extractor.
 *
 * Every archive is built here, at test time, with minizip's writer (or by
 * patching its bytes), in a fresh temporary folder: one good package and one
 * archive per way of attacking the reader. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zip.h>
#include <zlib.h>

#include "check.h"
#include "package.h"
#include "zipread.h"

/* check.h's CHECK() evaluates its condition twice (once to pick ok/not ok,
 * once for the location); these conditions open zips and allocate, so
 * evaluate them exactly once. */
#define CHECK1(cond, ...) do {                                            \
        bool check1_ok = (cond);                                          \
        CHECK(check1_ok, __VA_ARGS__);                                    \
    } while (0)

static char tmp[256];

/* One entry for make_zip(). Zero fields mean: deflate, a Unix creator with
 * mode 0644 (0755 for names ending in '/'), no flags, honest sizes. */
struct zspec {
    const char *name;
    const void *data;
    size_t len;
    int method;              /* -1 stored, 0 deflate, else raw with this method */
    unsigned long ext_mode;  /* Unix mode for the external attributes */
    unsigned long flag;      /* general purpose flag bits to force */
    bool lie;                /* declare fake_size as the uncompressed size */
    uint64_t fake_size;
};

static char *path_in_tmp(const char *name)
{
    static char buf[4][512];
    static int next;
    char *p = buf[next++ % 4];
    snprintf(p, sizeof buf[0], "%s/%s", tmp, name);
    return p;
}

/* Raw deflate of data (no zlib header), as zip stores it. */
static unsigned char *deflate_raw(const void *data, size_t len, size_t *out_len)
{
    z_stream zs = {0};
    size_t cap = deflateBound(&zs, (uLong)len) + 64;
    unsigned char *out = malloc(cap);
    if (!out || deflateInit2(&zs, 9, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        abort();
    zs.next_in = (Bytef *)data;
    zs.avail_in = (uInt)len;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
        abort();
    *out_len = zs.total_out;
    deflateEnd(&zs);
    return out;
}

static int add_entry(zipFile zf, const struct zspec *e)
{
    zip_fileinfo fi = {0};
    size_t nlen = strlen(e->name);
    bool dir = nlen && e->name[nlen - 1] == '/';
    unsigned long mode = e->ext_mode ? e->ext_mode : dir ? (S_IFDIR | 0755) : (S_IFREG | 0644);
    bool raw = e->lie || e->method > 0;
    int method = e->method < 0 ? 0 : e->method > 0 ? e->method : Z_DEFLATED;
    fi.external_fa = mode << 16 | (dir ? 0x10 : 0);
    if (zipOpenNewFileInZip4_64(zf, e->name, &fi, NULL, 0, NULL, 0, NULL, method, 9, raw,
                                -MAX_WBITS, 8, Z_DEFAULT_STRATEGY, NULL, 0,
                                (3 << 8) | 20, e->flag, 0) != ZIP_OK)
        return -1;
    if (!raw)
        return zipWriteInFileInZip(zf, e->data, (unsigned)e->len) == ZIP_OK &&
               zipCloseFileInZip(zf) == ZIP_OK ? 0 : -1;
    /* Raw: we compress (or not) and declare the sizes ourselves. */
    size_t clen = e->len;
    unsigned char *c = method == Z_DEFLATED ? deflate_raw(e->data, e->len, &clen) : NULL;
    uLong crc = crc32(0, e->data, (uInt)e->len);
    int ok = zipWriteInFileInZip(zf, c ? c : e->data, (unsigned)clen) == ZIP_OK &&
             zipCloseFileInZipRaw64(zf, e->lie ? e->fake_size : e->len, crc) == ZIP_OK;
    free(c);
    return ok ? 0 : -1;
}

static const char *make_zip(const char *name, const struct zspec *e, size_t n)
{
    const char *path = path_in_tmp(name);
    zipFile zf = zipOpen64(path, 0);
    if (!zf)
        abort();
    for (size_t i = 0; i < n; i++)
        if (add_entry(zf, &e[i]) < 0)
            abort();
    if (zipClose(zf, NULL) != ZIP_OK)
        abort();
    return path;
}

static const char *write_file(const char *name, const void *data, size_t len)
{
    const char *path = path_in_tmp(name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
        abort();
    return path;
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
        abort();
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* Opens path with limits lim and returns the error code, 0 on success; the
 * message lands in err. */
static int try_open(const char *path, const cairn_zip_limits *lim, cairn_err *err)
{
    cairn_zip *z = NULL;
    memset(err, 0, sizeof *err);
    int r = cairn_zip_open(path, lim, &z, err);
    cairn_zip_close(z);
    return r;
}

/* Opens path and reads every entry, like an extraction would. */
static int try_read_all(const char *path, const cairn_zip_limits *lim, cairn_err *err)
{
    cairn_zip *z = NULL;
    memset(err, 0, sizeof *err);
    int r = cairn_zip_open(path, lim, &z, err);
    for (size_t i = 0; r == 0 && i < cairn_zip_count(z); i++) {
        char *buf = NULL;
        r = cairn_zip_read_alloc(z, i, (size_t)64 << 20, &buf, NULL, err);
        free(buf);
    }
    cairn_zip_close(z);
    return r;
}

static bool has(const cairn_err *err, const char *needle)
{
    return strstr(err->msg, needle) != NULL;
}

static const char manifest12[] =
    "<?xml version=\"1.0\"?>\n"
    "<manifest identifier=\"m\" xmlns=\"http://www.imsproject.org/xsd/imscp_rootv1p1p2\"\n"
    "  xmlns:adlcp=\"http://www.adlnet.org/xsd/adlcp_rootv1p2\">\n"
    "  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>\n"
    "  <organizations default=\"o\"><organization identifier=\"o\"><title>T</title>\n"
    "    <item identifier=\"i1\" identifierref=\"r1\"><title>One</title></item>\n"
    "  </organization></organizations>\n"
    "  <resources><resource identifier=\"r1\" type=\"webcontent\" adlcp:scormtype=\"sco\"\n"
    "    href=\"content/index.html\"/></resources>\n"
    "</manifest>\n";

static unsigned char big[200000];   /* more than one 64 KiB read chunk */

static const char *make_good(void)
{
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (unsigned char)(i * 7 + i / 251);
    const struct zspec e[] = {
        { .name = "imsmanifest.xml", .data = manifest12, .len = sizeof manifest12 - 1 },
        { .name = "content/" },
        { .name = "content/index.html", .data = "<html>hi</html>", .len = 15 },
        { .name = "content/sub/deep.txt", .data = "deep", .len = 4, .method = -1 },
        { .name = "content/big.bin", .data = big, .len = sizeof big },
    };
    return make_zip("good.zip", e, sizeof e / sizeof e[0]);
}

static void test_good(const char *good)
{
    cairn_err err = {0};
    cairn_zip *z = NULL;
    CHECK1(cairn_zip_open(good, NULL, &z, &err) == 0, "good zip opens (%s)", err.msg);
    if (!z)
        return;
    CHECK1(cairn_zip_count(z) == 5, "good zip has 5 entries");
    long d = cairn_zip_find(z, "content");
    CHECK1(d >= 0 && cairn_zip_entry_at(z, (size_t)d)->is_dir, "directory entry found without its '/'");
    long b = cairn_zip_find(z, "content/big.bin");
    char *buf = NULL;
    size_t len = 0;
    CHECK1(b >= 0 && cairn_zip_read_alloc(z, (size_t)b, sizeof big, &buf, &len, &err) == 0 &&
          len == sizeof big && memcmp(buf, big, len) == 0, "a 200 KB entry reads back intact");
    free(buf);
    buf = NULL;
    CHECK1(b >= 0 && cairn_zip_read_alloc(z, (size_t)b, 1000, &buf, &len, &err) == -EFBIG,
          "read_alloc refuses an entry above its max");
    CHECK1(cairn_zip_find(z, "nope") == -ENOENT, "find reports a missing name");
    cairn_zip_close(z);

    size_t mlen = 0;
    unsigned char *mem = slurp(good, &mlen);
    z = NULL;
    CHECK1(cairn_zip_open_mem(mem, mlen, NULL, &z, &err) == 0 && cairn_zip_count(z) == 5,
          "the same zip opens from memory");
    cairn_zip_close(z);

    json_t *mf = NULL;
    CHECK1(cairn_package_inspect_mem(mem, mlen, NULL, &mf, &err) == 0, "inspect from memory (%s)", err.msg);
    json_decref(mf);
    mf = NULL;
    CHECK1(cairn_package_inspect(good, NULL, &mf, &err) == 0, "good package inspects (%s)", err.msg);
    CHECK1(mf && !strcmp(json_string_value(json_object_get(
              json_array_get(json_object_get(mf, "scos"), 0), "launch_path")), "content/index.html"),
          "launch path of the good package");
    json_decref(mf);
    free(mem);
}

static void test_names(void)
{
    static const struct { const char *name, *why, *label; } bad[] = {
        { "../evil", "\"..\"", "traversal ../evil" },
        { "a/../../evil", "\"..\"", "traversal inside a path" },
        { "/abs", "absolute", "absolute /abs" },
        { "a\\b", "backslash", "backslash a\\b" },
        { "C:/win.txt", "drive letter", "drive letter C:/" },
        { "c:x", "drive letter", "drive letter c:x" },
        { "a//b", "empty path segment", "empty segment a//b" },
        { "./a", "\".\"", "dot segment ./a" },
        { "a\x01" "b", "control character", "control character" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char fname[32];
        cairn_err err;
        snprintf(fname, sizeof fname, "name%zu.zip", i);
        const struct zspec e[] = { { .name = bad[i].name, .data = "x", .len = 1 } };
        const char *p = make_zip(fname, e, 1);
        int r = try_open(p, NULL, &err);
        CHECK1(r == -EINVAL && has(&err, bad[i].why), "refused: %s (%s)", bad[i].label, err.msg);
    }
    cairn_err err;
    char longname[700] = "";
    for (int i = 0; i < 300; i++)
        strcat(longname, "\xc3\xa9");          /* U+00E9, two bytes each */
    strcat(longname, "/../x");
    const char *const raw[] = { "caf\xe9/../x", "\xff\xfe\\x", longname };
    for (size_t i = 0; i < 3; i++) {
        json_t *js = NULL;
        CHECK1(cairn_zip_check_name(raw[i], strlen(raw[i]), 1000, &err) < 0 &&
               (js = json_string(err.msg)) != NULL,
               "message about a non-UTF-8 or long name is valid UTF-8 (%zu)", i);
        json_decref(js);
    }
    CHECK1(cairn_zip_check_name("a\0b", 3, 100, &err) == -EINVAL && has(&err, "control"),
          "a NUL inside a name is refused");
    CHECK1(cairn_zip_check_name("ok/name.html", 12, 100, &err) == 0, "a plain name passes");
    CHECK1(cairn_zip_check_name("dir/", 4, 100, &err) == 0, "a directory name passes");

    cairn_zip_limits lim = cairn_zip_default_limits;
    lim.max_path_len = 10;
    const struct zspec e[] = { { .name = "a-name-longer-than-ten", .data = "x", .len = 1 } };
    CHECK1(try_open(make_zip("longname.zip", e, 1), &lim, &err) == -E2BIG && has(&err, "limit is 10"),
          "a name over max_path_len is refused (%s)", err.msg);
}

/* Finds the central directory record of the only entry and patches the
 * little-endian field of width bytes at offset off (10: method, 20:
 * compressed size). */
static void patch_cd(unsigned char *buf, size_t len, size_t off, int width, uint32_t v)
{
    for (size_t i = 0; i + 46 <= len; i++) {
        if (!memcmp(buf + i, "PK\1\2", 4)) {
            for (int k = 0; k < width; k++)
                buf[i + off + (size_t)k] = (unsigned char)(v >> (8 * k));
            return;
        }
    }
    abort();
}

static void test_kinds(void)
{
    cairn_err err;
    const struct zspec link[] = { { .name = "link", .data = "/etc/passwd", .len = 11,
                                    .ext_mode = S_IFLNK | 0777 } };
    CHECK1(try_open(make_zip("symlink.zip", link, 1), NULL, &err) == -EINVAL &&
          has(&err, "symbolic link"), "symlink entry refused (%s)", err.msg);

    const struct zspec fifo[] = { { .name = "fifo", .data = "", .len = 0, .ext_mode = S_IFIFO | 0644 } };
    CHECK1(try_open(make_zip("fifo.zip", fifo, 1), NULL, &err) == -EINVAL &&
          has(&err, "special file"), "FIFO entry refused (%s)", err.msg);

    const struct zspec enc[] = { { .name = "secret.html", .data = "x", .len = 1, .flag = 1 } };
    CHECK1(try_open(make_zip("encrypted.zip", enc, 1), NULL, &err) == -ENOTSUP &&
          has(&err, "encrypted"), "encrypted entry refused (%s)", err.msg);

    /* minizip will not write bzip2; patch the method field (offset 10). */
    const struct zspec bz[] = { { .name = "a.bz", .data = "xyz", .len = 3, .method = -1 } };
    size_t len;
    unsigned char *buf = slurp(make_zip("bzip2-src.zip", bz, 1), &len);
    patch_cd(buf, len, 10, 2, 12);
    CHECK1(try_open(write_file("bzip2.zip", buf, len), NULL, &err) == -ENOTSUP &&
          has(&err, "method 12"), "unknown compression method refused (%s)", err.msg);
    free(buf);

    const struct zspec dup[] = { { .name = "a.html", .data = "1", .len = 1 },
                                 { .name = "a.html", .data = "2", .len = 1 } };
    CHECK1(try_open(make_zip("dup.zip", dup, 2), NULL, &err) == -EEXIST && has(&err, "twice"),
          "duplicate names refused (%s)", err.msg);

    const struct zspec dupdir[] = { { .name = "a/" }, { .name = "a/" } };
    CHECK1(try_open(make_zip("dupdir.zip", dupdir, 2), NULL, &err) == -EEXIST,
          "duplicate directories refused");

    const struct zspec clash[] = { { .name = "a", .data = "1", .len = 1 },
                                   { .name = "a.txt", .data = "2", .len = 1 },
                                   { .name = "a/b", .data = "3", .len = 1 } };
    CHECK1(try_open(make_zip("clash.zip", clash, 3), NULL, &err) == -EEXIST &&
          has(&err, "folder of that name"), "a file also used as a folder is refused (%s)", err.msg);

    const struct zspec dirs[] = { { .name = "a/" }, { .name = "a/b/" }, { .name = "a/b/c", .data = "c", .len = 1 } };
    CHECK1(try_open(make_zip("dirs.zip", dirs, 3), NULL, &err) == 0, "directories are allowed (%s)", err.msg);
}

static void test_limits(void)
{
    cairn_err err;
    cairn_zip_limits lim = cairn_zip_default_limits;
    lim.max_entries = 3;
    const struct zspec four[] = { { .name = "1", .data = "1", .len = 1 }, { .name = "2", .data = "2", .len = 1 },
                                  { .name = "3", .data = "3", .len = 1 }, { .name = "4", .data = "4", .len = 1 } };
    CHECK1(try_open(make_zip("four.zip", four, 4), &lim, &err) == -E2BIG && has(&err, "4 entries"),
          "too many entries refused (%s)", err.msg);
    CHECK1(try_open(make_zip("three.zip", four, 3), &lim, &err) == 0, "exactly max_entries is fine");

    static char blob[4000];
    memset(blob, 'x', sizeof blob);
    lim = cairn_zip_default_limits;
    lim.max_entry_size = 1000;
    const struct zspec one[] = { { .name = "big.txt", .data = blob, .len = 2000 } };
    CHECK1(try_open(make_zip("oversize.zip", one, 1), &lim, &err) == -EFBIG && has(&err, "limit is 1000"),
          "oversize entry refused (%s)", err.msg);

    lim = cairn_zip_default_limits;
    lim.max_total_size = 3000;
    const struct zspec three[] = { { .name = "a", .data = blob, .len = 1500 },
                                   { .name = "b", .data = blob, .len = 1500 },
                                   { .name = "c", .data = blob, .len = 1500 } };
    CHECK1(try_open(make_zip("total.zip", three, 3), &lim, &err) == -EFBIG && has(&err, "in all"),
          "total size over the limit refused (%s)", err.msg);

    /* 8 MiB of zeros deflate to about 8 KiB: a ratio near 1000. */
    size_t n = (size_t)8 << 20;
    char *zeros = calloc(1, n);
    const struct zspec bomb[] = { { .name = "bomb.bin", .data = zeros, .len = n } };
    CHECK1(try_open(make_zip("bomb.zip", bomb, 1), NULL, &err) == -EFBIG && has(&err, "zip bomb"),
          "zip bomb by ratio refused (%s)", err.msg);
    const struct zspec small[] = { { .name = "zeros.bin", .data = zeros, .len = 100000 } };
    CHECK1(try_open(make_zip("zeros.zip", small, 1), NULL, &err) == 0,
          "a small highly compressible file is allowed (ratio grace)");

    /* The header says 100 bytes; the stream holds 1 MiB. */
    const struct zspec liar[] = { { .name = "liar.bin", .data = zeros, .len = (size_t)1 << 20,
                                    .lie = true, .fake_size = 100 } };
    const char *lp = make_zip("liar.zip", liar, 1);
    CHECK1(try_open(lp, NULL, &err) == 0, "a lying header passes the directory checks");
    CHECK1(try_read_all(lp, NULL, &err) == -EBADMSG && has(&err, "checksum"),
          "a lying uncompressed size is caught while reading (%s)", err.msg);

    /* The header says 5000 bytes; the stream holds 4000. */
    const struct zspec shortie[] = { { .name = "short.bin", .data = blob, .len = sizeof blob,
                                       .lie = true, .fake_size = 5000 } };
    CHECK1(try_read_all(make_zip("short.zip", shortie, 1), NULL, &err) == -EBADMSG &&
          has(&err, "not the 5000 declared"), "an entry shorter than declared is refused (%s)", err.msg);

    /* With a per-entry limit under the true size, the counting stops it. */
    lim = cairn_zip_default_limits;
    lim.max_entry_size = 50;
    CHECK1(try_open(lp, &lim, &err) == -EFBIG, "declared size checked against max_entry_size");
    free(zeros);
}

static void test_damaged(const char *good)
{
    cairn_err err;
    const char *p = write_file("notzip.zip", "hello, this is plain text\n", 26);
    CHECK1(try_open(p, NULL, &err) == -EBADMSG && has(&err, "not a zip archive"),
          "not-a-zip refused (%s)", err.msg);
    CHECK1(try_open(write_file("empty.zip", "", 0), NULL, &err) == -EBADMSG && has(&err, "empty"),
          "empty file refused (%s)", err.msg);
    CHECK1(try_open(make_zip("noentries.zip", NULL, 0), NULL, &err) == -EBADMSG &&
           has(&err, "archive is empty"), "a zip without entries refused (%s)", err.msg);
    CHECK1(try_open(path_in_tmp("does-not-exist.zip"), NULL, &err) == -ENOENT,
          "missing file reported (%s)", err.msg);

    size_t len;
    unsigned char *buf = slurp(good, &len);
    CHECK1(try_open(write_file("truncated.zip", buf, len / 2), NULL, &err) == -EBADMSG &&
          has(&err, "damaged or incomplete"), "truncated zip refused (%s)", err.msg);

    cairn_zip *z = NULL;
    CHECK1(cairn_zip_open_mem(buf, len / 2, NULL, &z, &err) == -EBADMSG && !z,
          "truncated zip refused from memory");
    free(buf);

    const struct zspec one[] = { { .name = "a.txt", .data = "hello hello hello", .len = 17 } };
    buf = slurp(make_zip("cd.zip", one, 1), &len);
    patch_cd(buf, len, 20, 4, 0x7fffffff);
    CHECK1(try_open(write_file("overlap.zip", buf, len), NULL, &err) == -EBADMSG &&
          has(&err, "claim more data"), "compressed sizes beyond the file refused (%s)", err.msg);
    free(buf);
}

/* ---- extraction ---------------------------------------------------------- */

static int n_counted;

static int count_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)path, (void)st, (void)flag, (void)ftw;
    n_counted++;
    return 0;
}

/* Paths under dir, dir included (like `find dir | wc -l`). */
static int count_entries(const char *dir)
{
    n_counted = 0;
    if (nftw(dir, count_one, 16, FTW_PHYS) != 0)
        return -1;
    return n_counted;
}

static bool file_is(const char *path, const void *data, size_t len, mode_t mode)
{
    struct stat st;
    size_t got = 0;
    if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 07777) != mode)
        return false;
    unsigned char *buf = slurp(path, &got);
    bool same = buf && got == len && memcmp(buf, data, len) == 0;
    free(buf);
    return same;
}

static bool dir_is(const char *path, mode_t mode)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == mode;
}

static void test_extract(const char *good)
{
    cairn_err err = {0};
    char dest[512], p[600];
    snprintf(dest, sizeof dest, "%s/out", tmp);
    mkdir(dest, 0700);
    mode_t old = umask(077);   /* the extractor must not depend on the umask */
    int r = cairn_package_extract(good, NULL, dest, &err);
    umask(old);
    CHECK1(r == 0, "good package extracts (%s)", err.msg);
    snprintf(p, sizeof p, "%s/content/big.bin", dest);
    CHECK1(file_is(p, big, sizeof big, 0644), "big file written intact with mode 0644");
    snprintf(p, sizeof p, "%s/content/sub/deep.txt", dest);
    CHECK1(file_is(p, "deep", 4, 0644), "file in an implied folder written");
    snprintf(p, sizeof p, "%s/content/sub", dest);
    CHECK1(dir_is(p, 0755), "implied folder created with mode 0755");
    snprintf(p, sizeof p, "%s/imsmanifest.xml", dest);
    CHECK1(file_is(p, manifest12, sizeof manifest12 - 1, 0644), "manifest written");
    CHECK1(count_entries(dest) == 7, "nothing else written (%d paths)", count_entries(dest));

    r = cairn_package_extract(good, NULL, dest, &err);
    CHECK1(r == -ENOTEMPTY, "extracting into a non-empty folder is refused (%s)", err.msg);

    int before = count_entries(tmp);
    const struct zspec evil[] = { { .name = "ok.txt", .data = "ok", .len = 2 },
                                  { .name = "../evil.txt", .data = "evil", .len = 4 } };
    const char *ep = make_zip("evil.zip", evil, 2);
    before++;   /* evil.zip itself */
    snprintf(dest, sizeof dest, "%s/out2", tmp);
    mkdir(dest, 0700);
    before++;
    r = cairn_package_extract(ep, NULL, dest, &err);
    CHECK1(r == -EINVAL, "extracting a traversal zip is refused (%s)", err.msg);
    CHECK1(count_entries(dest) == 1, "nothing written into dest for a refused zip");
    CHECK1(count_entries(tmp) == before, "nothing written outside dest");
    snprintf(p, sizeof p, "%s/evil.txt", tmp);
    CHECK1(access(p, F_OK) != 0, "../evil.txt does not exist");

    const struct zspec link[] = { { .name = "l", .data = "/tmp", .len = 4, .ext_mode = S_IFLNK | 0777 },
                                  { .name = "l/x.txt", .data = "x", .len = 1 } };
    r = cairn_package_extract(make_zip("linkdir.zip", link, 2), NULL, dest, &err);
    CHECK1(r < 0 && count_entries(dest) == 1, "a symlink then a file through it: nothing written");

    snprintf(dest, sizeof dest, "%s/missing-dir", tmp);
    CHECK1(cairn_package_extract(good, NULL, dest, &err) == -ENOENT, "missing destination reported");
}

/* cairn_package_inspect() with a fresh err, so messages are never stale. */
static int inspect(const char *path, json_t **mf, cairn_err *err)
{
    memset(err, 0, sizeof *err);
    return cairn_package_inspect(path, NULL, mf, err);
}

static void test_inspect_messages(void)
{
    cairn_err err = {0};
    json_t *mf = NULL;
    const struct zspec nolaunch[] = { { .name = "imsmanifest.xml", .data = manifest12,
                                        .len = sizeof manifest12 - 1 } };
    CHECK1(inspect(make_zip("nolaunch.zip", nolaunch, 1), &mf, &err) == -ENOENT &&
          has(&err, "'content/index.html'") && has(&err, "'i1'"),
          "a missing launch file is named (%s)", err.msg);

    static const char pct[] =
        "<manifest identifier=\"m\" xmlns=\"http://www.imsproject.org/xsd/imscp_rootv1p1p2\""
        " xmlns:adlcp=\"http://www.adlnet.org/xsd/adlcp_rootv1p2\"><organizations default=\"o\">"
        "<organization identifier=\"o\"><item identifier=\"i\" identifierref=\"r\"/></organization>"
        "</organizations><resources><resource identifier=\"r\" type=\"webcontent\""
        " adlcp:scormtype=\"sco\" href=\"My%20Course/start%21.html\"/></resources></manifest>";
    const struct zspec pe[] = { { .name = "imsmanifest.xml", .data = pct, .len = sizeof pct - 1 },
                                { .name = "My Course/start!.html", .data = "x", .len = 1 } };
    CHECK1(inspect(make_zip("pct.zip", pe, 2), &mf, &err) == 0 &&
          !strcmp(json_string_value(json_object_get(json_array_get(json_object_get(mf, "scos"), 0),
                                                    "launch_path")), "My Course/start!.html"),
          "a percent-encoded launch path is matched to the real file (%s)", err.msg);
    json_decref(mf);
    mf = NULL;

    const struct zspec upper[] = { { .name = "IMSManifest.xml", .data = manifest12, .len = 10 } };
    CHECK1(inspect(make_zip("upper.zip", upper, 1), &mf, &err) < 0 &&
          has(&err, "lower case"), "a manifest in the wrong case is explained (%s)", err.msg);

    const struct zspec sub[] = { { .name = "sub/folder/imsmanifest.xml", .data = manifest12, .len = 10 } };
    CHECK1(inspect(make_zip("sub.zip", sub, 1), &mf, &err) < 0 &&
          !strcmp(err.msg, "imsmanifest.xml must be at the top of the zip, not in 'sub/folder/'"),
          "a manifest in a sub-folder is explained (%s)", err.msg);

    const struct zspec aicc[] = { { .name = "course.crs", .data = "x", .len = 1 },
                                  { .name = "course.AU", .data = "x", .len = 1 } };
    CHECK1(inspect(make_zip("aicc.zip", aicc, 2), &mf, &err) == -ENOTSUP &&
          has(&err, "AICC"), "an AICC course is explained (%s)", err.msg);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

int main(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmp, sizeof tmp, "%s/cairn-test-zip-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tmp)) {
        perror("mkdtemp");
        return 1;
    }
    char *good = strdup(make_good());   /* path_in_tmp() buffers rotate */
    test_good(good);
    test_names();
    test_kinds();
    test_limits();
    test_damaged(good);
    test_extract(good);
    test_inspect_messages();
    nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(good);
    return check_done();
}
