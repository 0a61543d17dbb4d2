/* zipread.h: reading an untrusted zip archive under hard limits.
 *
 * A package upload is hostile until proven otherwise. cairn_zip_open*() reads
 * the whole central directory up front and refuses the archive if any entry
 * is unsafe, so that callers never see a bad name:
 *   1. At most lim->max_entries entries; names at most lim->max_path_len
 *      bytes; no empty name, NUL or control character, backslash, leading
 *      '/', drive letter ("C:"), empty, "." or ".." segment.
 *   2. No symlink or other special file (Unix creators' external attributes),
 *      no encrypted entry, no method other than stored or deflate.
 *   3. No two entries with the same name (a directory "a/" counts as "a"),
 *      and no file whose name is also used as a folder ("a" and "a/b").
 *   4. Declared sizes: each entry at most lim->max_entry_size, all entries at
 *      most lim->max_total_size, each entry's uncompressed/compressed ratio at
 *      most lim->max_ratio (entries up to CAIRN_ZIP_RATIO_GRACE bytes are
 *      exempt: tiny files of zeros are legitimate and cannot bomb), and the
 *      compressed sizes together no bigger than the archive (entries that
 *      share data are how "overlapping" bombs work).
 * cairn_zip_read() then counts the bytes actually inflated and aborts as soon
 * as an entry produces more than it declared or than any limit allows, so a
 * header that lies cannot bomb either. An entry whose checksum or size does
 * not match is refused.
 *
 * Error codes: -EBADMSG not a zip or damaged, -E2BIG too many entries or a
 * name too long, -EFBIG a size or ratio limit, -EINVAL an unsafe name or
 * file type, -ENOTSUP encryption or an unknown method, -EEXIST duplicates,
 * -ENOMEM, or the -errno of a failed system call.
 *
 * A cairn_zip is not thread-safe; open one per thread.
 */
#ifndef CAIRN_ZIPREAD_H
#define CAIRN_ZIPREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "package.h"

/* Entries up to this many uncompressed bytes are not held to max_ratio. */
#define CAIRN_ZIP_RATIO_GRACE ((uint64_t)1 << 20)

typedef struct cairn_zip cairn_zip;

typedef struct cairn_zip_entry {
    const char *name;   /* checked as above; a directory's has no trailing '/' */
    uint64_t size;      /* declared uncompressed bytes */
    uint64_t csize;     /* declared compressed bytes */
    bool is_dir;
} cairn_zip_entry;

/* Receives inflated bytes in order. Returns 0, or a negative errno code that
 * stops the read and is returned by cairn_zip_read(). */
typedef int (*cairn_zip_sink)(void *ctx, const void *buf, size_t len);

/* Opens the zip file at path (lim NULL means cairn_zip_default_limits). On
 * success sets *ret_zip, which the caller frees with cairn_zip_close(). */
int cairn_zip_open(const char *path, const cairn_zip_limits *lim,
                   cairn_zip **ret_zip, cairn_err *err);

/* Same, reading from buf, which must stay valid and unchanged until
 * cairn_zip_close(). */
int cairn_zip_open_mem(const void *buf, size_t len, const cairn_zip_limits *lim,
                       cairn_zip **ret_zip, cairn_err *err);

/* Frees z; NULL is allowed. */
void cairn_zip_close(cairn_zip *z);

/* Number of entries, in central directory order. */
size_t cairn_zip_count(const cairn_zip *z);

/* Entry i (i < cairn_zip_count()); borrowed, valid until cairn_zip_close(). */
const cairn_zip_entry *cairn_zip_entry_at(const cairn_zip *z, size_t i);

/* Index of the entry named name (files and directories alike, without a
 * trailing '/'), or -ENOENT. Exact, case-sensitive match. */
long cairn_zip_find(const cairn_zip *z, const char *name);

/* Streams entry i's contents to sink under the limits above. Directories
 * produce nothing. */
int cairn_zip_read(cairn_zip *z, size_t i, cairn_zip_sink sink, void *ctx,
                   cairn_err *err);

/* Reads entry i whole into a new NUL-terminated buffer (the caller free()s
 * *ret_buf) if it is at most max bytes; -EFBIG otherwise. */
int cairn_zip_read_alloc(cairn_zip *z, size_t i, size_t max, char **ret_buf,
                         size_t *ret_len, cairn_err *err);

/* Checks one entry name against rule 1 above; exposed for tests. */
int cairn_zip_check_name(const char *name, size_t len, size_t max_len,
                         cairn_err *err);

/* Writes a printable copy of name into out for use in messages: valid
 * UTF-8 (invalid bytes and control characters become '?'), cut at a
 * character boundary and ending in "..." when longer than out. Returns out. */
const char *cairn_zip_quote(const char *name, char *out, size_t out_size);

#endif
