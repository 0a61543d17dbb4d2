/* package.h: importing a SCORM package zip, the only entry point core/ uses.
 *
 * A package is checked in two steps so that nothing is written before it is
 * known to be good:
 *   1. cairn_package_inspect(): open the zip under the safety limits, find
 *      imsmanifest.xml at the root, parse it, and check that every launch
 *      file it names is present. Returns the manifest as JSON (see
 *      docs/SCORM-MANIFEST-JSON.md) or a message for the uploader.
 *   2. cairn_package_extract(): write every entry under dest_dir, refusing
 *      anything that would land outside it.
 */
#ifndef CAIRN_PACKAGE_H
#define CAIRN_PACKAGE_H

#include <jansson.h>
#include <stdint.h>

#include "err.h"

typedef struct cairn_zip_limits {
    size_t max_entries;        /* entries in the central directory */
    uint64_t max_entry_size;   /* uncompressed bytes of one entry */
    uint64_t max_total_size;   /* uncompressed bytes of all entries */
    uint32_t max_ratio;        /* uncompressed / compressed, per entry over
                                  1 MiB (CAIRN_ZIP_RATIO_GRACE) */
    size_t max_path_len;       /* bytes in one entry name */
} cairn_zip_limits;

/* Defaults suited to e-learning packages: 10000 entries, 512 MiB an entry,
 * 2 GiB in all, ratio 200, names of 1024 bytes. */
extern const cairn_zip_limits cairn_zip_default_limits;

/* On success returns 0 and sets *ret_manifest (a new reference the caller
 * json_decref()s). On failure returns a negative code, leaves *ret_manifest
 * untouched, and fills err with a message for the uploader. lim may be NULL
 * for the defaults. */
int cairn_package_inspect(const char *zip_path, const cairn_zip_limits *lim,
                          json_t **ret_manifest, cairn_err *err);

/* The same as cairn_package_inspect() for a zip held in memory (len bytes
 * at buf, which only need to stay valid during the call). */
int cairn_package_inspect_mem(const void *buf, size_t len, const cairn_zip_limits *lim,
                              json_t **ret_manifest, cairn_err *err);

/* Extracts the zip into dest_dir, which must exist and be empty. Applies the
 * same limits as inspect. On failure dest_dir may hold part of the package:
 * the caller removes it. */
int cairn_package_extract(const char *zip_path, const cairn_zip_limits *lim,
                          const char *dest_dir, cairn_err *err);

#endif
