/* zipread.c: minizip behind the safety rules of zipread.h.
 *
 * minizip does the format work (central directory, zip64, inflate, CRC).
 * Everything it reads comes through our own I/O callbacks (struct zsrc), so
 * an archive can be a file descriptor or a buffer in memory (the fuzzer), and
 * we always know the archive's real size. This file adds what minizip does
 * not: the name rules, the limits, and counting what is really inflated.
 */
#include "zipread.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <unzip.h>

#define ZIP__READ_CHUNK ((size_t)64 << 10)
#define ZIP__NAME_MAX 0xFFFFu        /* the format's 16-bit name length */
#define ZIP__CREATOR_UNIX 3u         /* "version made by" high byte */
#define ZIP__CREATOR_OSX 19u
#define ZIP__FLAG_ENCRYPTED 0x1u
#define ZIP__DOS_DIR 0x10u

/* Where minizip's reads go: a descriptor or a memory buffer. */
struct zsrc {
    int fd;                        /* owned, -1 for memory */
    const unsigned char *mem;      /* borrowed, NULL for a descriptor */
    uint64_t size;                 /* archive bytes */
    uint64_t pos;
    int err;                       /* last I/O errno, for testerror */
};

struct zent {
    cairn_zip_entry pub;
    char *name;                    /* owned; pub.name points here */
    unz64_file_pos pos;            /* where minizip finds it again */
};

struct cairn_zip {
    unzFile uf;
    struct zsrc src;
    cairn_zip_limits lim;
    struct zent *ents;             /* owned, count of them */
    size_t count;
    struct zent **by_name;         /* owned array, borrowed pointers, sorted */
    unsigned char *buf;            /* owned, ZIP__READ_CHUNK bytes */
    uint64_t inflated_total;       /* bytes produced by all reads so far */
};

/* ---- I/O callbacks for minizip ---------------------------------------- */

static voidpf zsrc_open(voidpf opaque, const void *filename, int mode)
{
    (void)filename;
    if ((mode & ZLIB_FILEFUNC_MODE_READWRITEFILTER) != ZLIB_FILEFUNC_MODE_READ)
        return NULL;
    struct zsrc *s = opaque;
    s->pos = 0;
    return s;
}

static uLong zsrc_read(voidpf opaque, voidpf stream, void *buf, uLong size)
{
    (void)opaque;
    struct zsrc *s = stream;
    if (s->pos >= s->size)
        return 0;
    uint64_t left = s->size - s->pos;
    size_t n = size < left ? (size_t)size : (size_t)left;
    if (s->mem) {
        memcpy(buf, s->mem + s->pos, n);
    } else {
        ssize_t got;
        do
            got = pread(s->fd, buf, n, (off_t)s->pos);
        while (got < 0 && errno == EINTR);
        if (got < 0) {
            s->err = errno;
            return 0;
        }
        n = (size_t)got;
    }
    s->pos += n;
    return (uLong)n;
}

static uLong zsrc_write(voidpf opaque, voidpf stream, const void *buf, uLong size)
{
    (void)opaque, (void)stream, (void)buf, (void)size;
    return 0;   /* read-only */
}

static ZPOS64_T zsrc_tell(voidpf opaque, voidpf stream)
{
    (void)opaque;
    return ((struct zsrc *)stream)->pos;
}

static long zsrc_seek(voidpf opaque, voidpf stream, ZPOS64_T off, int origin)
{
    (void)opaque;
    struct zsrc *s = stream;
    uint64_t from;
    switch (origin) {
    case ZLIB_FILEFUNC_SEEK_SET: from = 0; break;
    case ZLIB_FILEFUNC_SEEK_CUR: from = s->pos; break;
    case ZLIB_FILEFUNC_SEEK_END: from = s->size; break;
    default: return -1;
    }
    /* minizip computes offsets from header fields: refuse to wrap, and
     * refuse to go past the end (a read there would only return 0). */
    if (off > s->size || from > s->size - off)
        return -1;
    s->pos = from + off;
    return 0;
}

static int zsrc_close(voidpf opaque, voidpf stream)
{
    (void)opaque, (void)stream;
    return 0;   /* the descriptor belongs to cairn_zip_close() */
}

static int zsrc_error(voidpf opaque, voidpf stream)
{
    (void)opaque;
    return ((struct zsrc *)stream)->err;
}

/* ---- names ------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s, or 0 (overlongs, surrogates and
 * code points past U+10FFFF are invalid). */
static size_t zip__utf8_len(const unsigned char *s)
{
    unsigned char c = s[0];
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    else
        return 0;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return n;
}

/* Messages end up in JSON error bodies, which must be valid UTF-8: names
 * from a zip are raw bytes, and a cut may fall inside a character. */
const char *cairn_zip_quote(const char *name, char *out, size_t out_size)
{
    const unsigned char *p = (const unsigned char *)name;
    size_t n = 0;
    if (!out_size)
        return "";
    size_t keep = out_size - 1;
    bool cut = strlen(name) > keep;
    if (cut && keep > 3)
        keep -= 3;
    while (*p) {
        size_t len = zip__utf8_len(p);
        bool bad = len == 0 || *p < 0x20 || *p == 0x7f;
        if (bad)
            len = 1;
        if (n + (bad ? 1 : len) > keep) {
            cut = true;
            break;
        }
        if (bad)
            out[n++] = '?';
        else
            memcpy(out + n, p, len), n += len;
        p += len;
    }
    if (cut && n + 3 < out_size) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
    return out;
}

/* One segment between slashes: not empty, ".", "..", or a drive ("C:"). */
static const char *zip__bad_segment(const char *seg, size_t len, bool first)
{
    if (len == 0)
        return "an empty path segment (\"//\")";
    if ((len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
        return "a \".\" or \"..\" path segment";
    if (first && len >= 2 && seg[1] == ':' &&
        ((seg[0] >= 'A' && seg[0] <= 'Z') || (seg[0] >= 'a' && seg[0] <= 'z')))
        return "a drive letter";
    return NULL;
}

/* Why name is unsafe, or NULL. len is the name's length in the zip, which
 * differs from strlen() when the name holds a NUL byte. */
static const char *zip__name_problem(const char *name, size_t len)
{
    if (len == 0)
        return "an empty name";
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)name[i];
        if (ch < 0x20 || ch == 0x7f)
            return "a control character";
        if (ch == '\\')
            return "a backslash";
    }
    if (name[0] == '/')
        return "an absolute path";
    /* A trailing '/' marks a directory; every other segment must be sound. */
    size_t end = name[len - 1] == '/' ? len - 1 : len;
    size_t start = 0;
    for (size_t i = 0; i <= end; i++) {
        if (i == end || name[i] == '/') {
            const char *why = zip__bad_segment(name + start, i - start, start == 0);
            if (why)
                return why;
            start = i + 1;
        }
    }
    return NULL;
}

int cairn_zip_check_name(const char *name, size_t len, size_t max_len,
                         cairn_err *err)
{
    char q[128];
    if (len > max_len)
        return cairn_err_set(err, -E2BIG,
            "The zip holds an entry name of %zu bytes; the limit is %zu.",
            len, max_len);
    const char *why = zip__name_problem(name, len);
    if (why)
        return cairn_err_set(err, -EINVAL,
            "The zip entry '%s' has %s; packages must use plain relative paths.",
            cairn_zip_quote(name, q, sizeof q), why);
    return 0;
}

/* ---- opening ----------------------------------------------------------- */

static bool zip__ratio_exceeded(uint64_t out, uint64_t csize, uint32_t ratio)
{
    uint64_t allowed;
    if (out <= CAIRN_ZIP_RATIO_GRACE)
        return false;
    if (__builtin_mul_overflow(csize, (uint64_t)ratio, &allowed))
        return false;
    return out > allowed;
}

/* Says whether an archive that minizip cannot open is a damaged zip (it
 * starts like one) or something else entirely. */
static int zip__explain_unopenable(struct zsrc *s, cairn_err *err)
{
    unsigned char head[4] = {0};
    if (s->size == 0)
        return cairn_err_set(err, -EBADMSG, "The file is empty.");
    s->pos = 0;
    if (s->size < 4 || zsrc_read(NULL, s, head, 4) != 4 || head[0] != 'P' || head[1] != 'K')
        return cairn_err_set(err, -EBADMSG, "The file is not a zip archive");
    /* minizip cannot open an archive whose end record is at offset 0 */
    if (head[2] == 5 && head[3] == 6)
        return cairn_err_set(err, -EBADMSG, "The zip archive is empty.");
    if (head[2] == 3 && head[3] == 4)
        return cairn_err_set(err, -EBADMSG,
            "The zip archive is damaged or incomplete (was the upload cut short?).");
    return cairn_err_set(err, -EBADMSG, "The file is not a zip archive");
}

/* Rule 2 of zipread.h: the entry's type, encryption and method. */
static int zip__check_kind(const unz_file_info64 *fi, const char *name, bool *ret_dir,
                           cairn_err *err)
{
    char q[128];
    unsigned creator = (unsigned)(fi->version >> 8) & 0xffu;
    unsigned mode = (unsigned)(fi->external_fa >> 16) & 0xffffu;
    bool unix_mode = (creator == ZIP__CREATOR_UNIX || creator == ZIP__CREATOR_OSX) &&
                     (mode & S_IFMT) != 0;
    /* A trailing '/' is the portable mark; else trust the creator's own
     * attributes (Unix mode bits, or the MS-DOS directory bit). */
    bool dir = name[strlen(name) - 1] == '/' ||
               (unix_mode ? S_ISDIR(mode) : (fi->external_fa & ZIP__DOS_DIR) != 0);

    cairn_zip_quote(name, q, sizeof q);
    if (unix_mode && S_ISLNK(mode))
        return cairn_err_set(err, -EINVAL,
            "The zip entry '%s' is a symbolic link; packages may hold only files and folders.", q);
    if (unix_mode && !S_ISREG(mode) && !S_ISDIR(mode))
        return cairn_err_set(err, -EINVAL,
            "The zip entry '%s' is a special file; packages may hold only files and folders.", q);
    if (fi->flag & ZIP__FLAG_ENCRYPTED)
        return cairn_err_set(err, -ENOTSUP,
            "The zip entry '%s' is encrypted; upload the package without a password.", q);
    if (!dir && fi->compression_method != 0 && fi->compression_method != Z_DEFLATED)
        return cairn_err_set(err, -ENOTSUP,
            "The zip entry '%s' uses compression method %lu; only stored and deflate are supported.",
            q, (unsigned long)fi->compression_method);
    *ret_dir = dir;
    return 0;
}

/* Rule 4 of zipread.h for one entry's declared sizes. */
static int zip__check_sizes(const cairn_zip *z, const unz_file_info64 *fi,
                            const char *name, cairn_err *err)
{
    char q[128];
    cairn_zip_quote(name, q, sizeof q);
    if (fi->uncompressed_size > z->lim.max_entry_size)
        return cairn_err_set(err, -EFBIG,
            "The zip entry '%s' is %llu bytes uncompressed; the limit is %llu.", q,
            (unsigned long long)fi->uncompressed_size,
            (unsigned long long)z->lim.max_entry_size);
    if (zip__ratio_exceeded(fi->uncompressed_size, fi->compressed_size, z->lim.max_ratio))
        return cairn_err_set(err, -EFBIG,
            "The zip entry '%s' expands from %llu to %llu bytes, more than %u times; "
            "it looks like a zip bomb.", q, (unsigned long long)fi->compressed_size,
            (unsigned long long)fi->uncompressed_size, (unsigned)z->lim.max_ratio);
    return 0;
}

/* Reads the current central directory record into a new entry. */
static int zip__load_entry(cairn_zip *z, char *namebuf, struct zent *e, cairn_err *err)
{
    unz_file_info64 fi;
    bool dir = false;
    int r;

    if (unzGetCurrentFileInfo64(z->uf, &fi, namebuf, ZIP__NAME_MAX + 1, NULL, 0, NULL, 0) != UNZ_OK)
        return cairn_err_set(err, -EBADMSG,
            "The zip archive is damaged (unreadable central directory).");
    if (fi.size_filename > ZIP__NAME_MAX)
        return cairn_err_set(err, -EBADMSG, "The zip archive is damaged (bad name length).");
    namebuf[fi.size_filename] = '\0';
    r = cairn_zip_check_name(namebuf, fi.size_filename, z->lim.max_path_len, err);
    if (r < 0)
        return r;
    if ((r = zip__check_kind(&fi, namebuf, &dir, err)) < 0 ||
        (!dir && (r = zip__check_sizes(z, &fi, namebuf, err)) < 0))
        return r;
    if (unzGetFilePos64(z->uf, &e->pos) != UNZ_OK)
        return cairn_err_set(err, -EBADMSG, "The zip archive is damaged.");
    size_t len = fi.size_filename;
    if (len > 1 && namebuf[len - 1] == '/')
        len--;
    e->name = strndup(namebuf, len);
    if (!e->name)
        return cairn_err_set(err, -ENOMEM, "Out of memory reading the zip.");
    e->pub.name = e->name;
    e->pub.is_dir = dir;
    e->pub.size = dir ? 0 : fi.uncompressed_size;
    e->pub.csize = dir ? 0 : fi.compressed_size;
    return 0;
}

/* Checks the archive-wide totals of rule 4. */
static int zip__check_totals(const cairn_zip *z, cairn_err *err)
{
    uint64_t total = 0, ctotal = 0;
    for (size_t i = 0; i < z->count; i++) {
        if (__builtin_add_overflow(total, z->ents[i].pub.size, &total) ||
            total > z->lim.max_total_size)
            return cairn_err_set(err, -EFBIG,
                "The zip expands to more than %llu bytes in all, the limit.",
                (unsigned long long)z->lim.max_total_size);
        if (__builtin_add_overflow(ctotal, z->ents[i].pub.csize, &ctotal) ||
            ctotal > z->src.size)
            return cairn_err_set(err, -EBADMSG,
                "The zip archive is damaged: its entries claim more data than the file holds.");
    }
    return 0;
}

static int zip__cmp_name(const void *a, const void *b)
{
    const struct zent *x = *(const struct zent *const *)a;
    const struct zent *y = *(const struct zent *const *)b;
    return strcmp(x->name, y->name);
}

/* Rule 3: after sorting, equal names are neighbours, and the entries inside
 * a folder "a/" directly follow "a" or entries "a<c>" with c < '/'. */
static int zip__check_unique(cairn_zip *z, cairn_err *err)
{
    char q[128];
    for (size_t i = 0; i + 1 < z->count; i++) {
        const struct zent *e = z->by_name[i];
        if (strcmp(e->name, z->by_name[i + 1]->name) == 0)
            return cairn_err_set(err, -EEXIST,
                "The zip holds '%s' twice.", cairn_zip_quote(e->name, q, sizeof q));
        if (e->pub.is_dir)
            continue;
        size_t len = strlen(e->name);
        for (size_t j = i + 1; j < z->count; j++) {
            const char *other = z->by_name[j]->name;
            if (strncmp(other, e->name, len) != 0)
                break;
            if (other[len] == '/')
                return cairn_err_set(err, -EEXIST,
                    "The zip holds a file '%s' and also a folder of that name.",
                    cairn_zip_quote(e->name, q, sizeof q));
            if ((unsigned char)other[len] > '/')
                break;
        }
    }
    return 0;
}

static int zip__index(cairn_zip *z, cairn_err *err)
{
    z->by_name = calloc(z->count ? z->count : 1, sizeof *z->by_name);
    if (!z->by_name)
        return cairn_err_set(err, -ENOMEM, "Out of memory reading the zip.");
    for (size_t i = 0; i < z->count; i++)
        z->by_name[i] = &z->ents[i];
    qsort(z->by_name, z->count, sizeof *z->by_name, zip__cmp_name);
    return zip__check_unique(z, err);
}

/* Walks the central directory once, applying rules 1 to 4. */
static int zip__scan(cairn_zip *z, cairn_err *err)
{
    unz_global_info64 gi;
    char *namebuf = NULL;
    int r, step;

    if (unzGetGlobalInfo64(z->uf, &gi) != UNZ_OK)
        return cairn_err_set(err, -EBADMSG, "The zip archive is damaged.");
    if (gi.number_entry > z->lim.max_entries)
        return cairn_err_set(err, -E2BIG, "The zip holds %llu entries; the limit is %zu.",
                             (unsigned long long)gi.number_entry, z->lim.max_entries);
    z->ents = calloc(gi.number_entry ? (size_t)gi.number_entry : 1, sizeof *z->ents);
    namebuf = malloc(ZIP__NAME_MAX + 1);
    if (!z->ents || !namebuf) {
        r = cairn_err_set(err, -ENOMEM, "Out of memory reading the zip.");
        goto out;
    }
    /* minizip reports an error, not the end, when asked for the first of
     * no entries. */
    step = gi.number_entry ? unzGoToFirstFile(z->uf) : UNZ_END_OF_LIST_OF_FILE;
    for (; step == UNZ_OK; step = unzGoToNextFile(z->uf)) {
        /* minizip keeps going past a count of 0xffff; so do not trust it */
        if (z->count >= gi.number_entry) {
            r = cairn_err_set(err, -EBADMSG,
                "The zip archive is damaged (more entries than it declares).");
            goto out;
        }
        r = zip__load_entry(z, namebuf, &z->ents[z->count], err);
        if (r < 0)
            goto out;
        z->count++;
    }
    if (step != UNZ_END_OF_LIST_OF_FILE) {
        r = cairn_err_set(err, -EBADMSG, "The zip archive is damaged (unreadable central directory).");
        goto out;
    }
    if ((r = zip__check_totals(z, err)) < 0)
        goto out;
    r = zip__index(z, err);
out:
    free(namebuf);
    return r;
}

static int zip__open_src(cairn_zip *z, const cairn_zip_limits *lim, cairn_zip **ret_zip,
                         cairn_err *err)
{
    zlib_filefunc64_def io = {
        .zopen64_file = zsrc_open,
        .zread_file = zsrc_read,
        .zwrite_file = zsrc_write,
        .ztell64_file = zsrc_tell,
        .zseek64_file = zsrc_seek,
        .zclose_file = zsrc_close,
        .zerror_file = zsrc_error,
        .opaque = &z->src,
    };
    int r;

    z->lim = lim ? *lim : cairn_zip_default_limits;
    z->buf = malloc(ZIP__READ_CHUNK);
    if (!z->buf) {
        r = cairn_err_set(err, -ENOMEM, "Out of memory reading the zip.");
        goto fail;
    }
    z->uf = unzOpen2_64(&z->src, &io);
    if (!z->uf) {
        r = zip__explain_unopenable(&z->src, err);
        goto fail;
    }
    if ((r = zip__scan(z, err)) < 0)
        goto fail;
    *ret_zip = z;
    return 0;
fail:
    cairn_zip_close(z);
    return r;
}

static cairn_zip *zip__new(void)
{
    cairn_zip *z = calloc(1, sizeof *z);
    if (z)
        z->src.fd = -1;
    return z;
}

int cairn_zip_open(const char *path, const cairn_zip_limits *lim,
                   cairn_zip **ret_zip, cairn_err *err)
{
    struct stat st;
    cairn_zip *z = zip__new();
    if (!z)
        return cairn_err_set(err, -ENOMEM, "Out of memory reading the zip.");
    z->src.fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (z->src.fd < 0) {
        int r = -errno;
        cairn_zip_close(z);
        return cairn_err_set(err, r, "Cannot open the uploaded file: %s.", strerror(-r));
    }
    if (fstat(z->src.fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        cairn_zip_close(z);
        return cairn_err_set(err, -EINVAL, "The upload is not a regular file.");
    }
    z->src.size = (uint64_t)st.st_size;
    return zip__open_src(z, lim, ret_zip, err);
}

int cairn_zip_open_mem(const void *buf, size_t len, const cairn_zip_limits *lim,
                       cairn_zip **ret_zip, cairn_err *err)
{
    static const unsigned char empty[1];
    cairn_zip *z = zip__new();
    if (!z)
        return cairn_err_set(err, -ENOMEM, "Out of memory reading the zip.");
    z->src.mem = buf ? buf : empty;
    z->src.size = buf ? len : 0;
    return zip__open_src(z, lim, ret_zip, err);
}

void cairn_zip_close(cairn_zip *z)
{
    if (!z)
        return;
    if (z->uf)
        unzClose(z->uf);
    for (size_t i = 0; i < z->count; i++)
        free(z->ents[i].name);
    free(z->ents);
    free(z->by_name);
    free(z->buf);
    if (z->src.fd >= 0)
        close(z->src.fd);
    free(z);
}

size_t cairn_zip_count(const cairn_zip *z)
{
    return z->count;
}

const cairn_zip_entry *cairn_zip_entry_at(const cairn_zip *z, size_t i)
{
    return i < z->count ? &z->ents[i].pub : NULL;
}

long cairn_zip_find(const cairn_zip *z, const char *name)
{
    struct zent key = { .name = (char *)name };
    struct zent *kp = &key;
    struct zent **hit = bsearch(&kp, z->by_name, z->count, sizeof *z->by_name, zip__cmp_name);
    return hit ? (long)(*hit - z->ents) : -ENOENT;
}

/* ---- reading ----------------------------------------------------------- */

/* Checks n more inflated bytes of entry e (done so far) against its
 * declaration and the limits, before they are handed on. */
static int zip__count(cairn_zip *z, const struct zent *e, uint64_t done, size_t n,
                      cairn_err *err)
{
    char q[128];
    uint64_t now = done + n;
    cairn_zip_quote(e->name, q, sizeof q);
    if (now > e->pub.size)
        return cairn_err_set(err, -EFBIG,
            "The zip entry '%s' inflates to more than the %llu bytes its header declares.",
            q, (unsigned long long)e->pub.size);
    if (now > z->lim.max_entry_size ||
        zip__ratio_exceeded(now, e->pub.csize, z->lim.max_ratio))
        return cairn_err_set(err, -EFBIG, "The zip entry '%s' inflates beyond the limits.", q);
    if (z->inflated_total + n > z->lim.max_total_size)
        return cairn_err_set(err, -EFBIG,
            "The zip expands to more than %llu bytes in all, the limit.",
            (unsigned long long)z->lim.max_total_size);
    z->inflated_total += n;
    return 0;
}

/* Pumps the open entry e into sink; returns bytes produced or an error. */
static int zip__pump(cairn_zip *z, const struct zent *e, cairn_zip_sink sink, void *ctx,
                     uint64_t *ret_done, cairn_err *err)
{
    char q[128];
    uint64_t done = 0;
    int got, r;

    while ((got = unzReadCurrentFile(z->uf, z->buf, (unsigned)ZIP__READ_CHUNK)) > 0) {
        if ((r = zip__count(z, e, done, (size_t)got, err)) < 0)
            return r;
        if ((r = sink(ctx, z->buf, (size_t)got)) < 0)
            return cairn_err_set(err, r, "Cannot store the zip entry '%s': %s.",
                                 cairn_zip_quote(e->name, q, sizeof q), strerror(-r));
        done += (size_t)got;
    }
    if (got < 0)
        return cairn_err_set(err, -EBADMSG, "The zip entry '%s' is damaged and cannot be read.",
                             cairn_zip_quote(e->name, q, sizeof q));
    *ret_done = done;
    return 0;
}

int cairn_zip_read(cairn_zip *z, size_t i, cairn_zip_sink sink, void *ctx, cairn_err *err)
{
    char q[128];
    uint64_t done = 0;
    int r;

    if (i >= z->count)
        return cairn_err_set(err, -ENOENT, "No such zip entry.");
    const struct zent *e = &z->ents[i];
    if (e->pub.is_dir)
        return 0;
    cairn_zip_quote(e->name, q, sizeof q);
    if (unzGoToFilePos64(z->uf, &e->pos) != UNZ_OK || unzOpenCurrentFile(z->uf) != UNZ_OK)
        return cairn_err_set(err, -EBADMSG, "The zip entry '%s' is damaged and cannot be read.", q);
    r = zip__pump(z, e, sink, ctx, &done, err);
    /* Close even after an error; its CRC verdict only matters on success. */
    int closed = unzCloseCurrentFile(z->uf);
    if (r < 0)
        return r;
    if (done != e->pub.size)
        return cairn_err_set(err, -EBADMSG,
            "The zip entry '%s' is damaged: it holds %llu bytes, not the %llu declared.", q,
            (unsigned long long)done, (unsigned long long)e->pub.size);
    if (closed != UNZ_OK)
        return cairn_err_set(err, -EBADMSG,
            "The zip entry '%s' is damaged: its checksum does not match.", q);
    return 0;
}

struct zip__membuf {
    char *data;
    size_t len;
    size_t cap;
};

static int zip__mem_sink(void *ctx, const void *buf, size_t len)
{
    struct zip__membuf *m = ctx;
    if (len > m->cap - m->len)
        return -EFBIG;
    memcpy(m->data + m->len, buf, len);
    m->len += len;
    return 0;
}

int cairn_zip_read_alloc(cairn_zip *z, size_t i, size_t max, char **ret_buf,
                         size_t *ret_len, cairn_err *err)
{
    char q[128];
    if (i >= z->count)
        return cairn_err_set(err, -ENOENT, "No such zip entry.");
    const struct zent *e = &z->ents[i];
    if (e->pub.size > max)
        return cairn_err_set(err, -EFBIG, "The zip entry '%s' is %llu bytes; the limit is %zu.",
                             cairn_zip_quote(e->name, q, sizeof q),
                             (unsigned long long)e->pub.size, max);
    /* The declared size is a promise checked while reading, so it is a safe
     * capacity: a longer stream is refused, not written past the end. */
    struct zip__membuf m = { .data = malloc((size_t)e->pub.size + 1), .cap = (size_t)e->pub.size };
    if (!m.data)
        return cairn_err_set(err, -ENOMEM, "Out of memory reading the zip.");
    int r = cairn_zip_read(z, i, zip__mem_sink, &m, err);
    if (r < 0) {
        free(m.data);
        return r;
    }
    m.data[m.len] = '\0';
    *ret_buf = m.data;
    if (ret_len)
        *ret_len = m.len;
    return 0;
}
