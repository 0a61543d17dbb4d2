/* importer.h: turning an uploaded zip into a playable package.
 *
 * Used by POST /api/packages, `cairn import` and the demo data. The zip is
 * inspected first (scorm/package.h); only a good package is given numbers,
 * extracted into a temporary folder beside its final place and renamed into
 * DATA/packages/<package>/<version>/, then recorded. A failure at any step
 * leaves no files and no rows behind. */
#ifndef CAIRN_IMPORTER_H
#define CAIRN_IMPORTER_H

#include <jansson.h>
#include <stdint.h>

#include "err.h"

/* On success returns 0 and sets *ret to {"package": {...}, "replaced": bool}.
 * On failure returns -EINVAL for a bad package (err says what is wrong, for
 * the uploader) or another negative code for a server fault. */
int import_package(const char *data_dir, const char *zip_path, const char *filename,
                   int64_t imported_by, json_t **ret, cairn_err *err);

/* Removes a folder tree (no symlinks are followed). */
int remove_tree(const char *path);

#endif
