/* manifest.h: imsmanifest.xml to the "Manifest JSON" the server stores.
 *
 * The JSON shape is documented in docs/SCORM-MANIFEST-JSON.md. Parsing is
 * namespace-aware (elements are matched by namespace URI, never by prefix)
 * and defensive: no network, no DTD, no entity expansion. A document with a
 * DOCTYPE is refused outright, and size and element depth are capped.
 *
 * Launch paths are resolved here (xml:base chain + href + item parameters)
 * but are not checked against the zip: cairn_package_inspect() does that.
 */
#ifndef CAIRN_MANIFEST_H
#define CAIRN_MANIFEST_H

#include <jansson.h>
#include <stddef.h>

#include "err.h"

#define CAIRN_MANIFEST_MAX_SIZE ((size_t)16 << 20)   /* bytes of XML */
#define CAIRN_MANIFEST_MAX_DEPTH 64                   /* nested elements */
#define CAIRN_MANIFEST_MAX_ITEMS 10000                /* items in all organizations */

/* Parses len bytes of buf (need not be NUL-terminated). On success returns 0
 * and sets *ret to a new JSON object the caller json_decref()s. On failure
 * returns a negative code (-EBADMSG malformed XML, -EINVAL not a usable SCORM
 * manifest, -EPERM a refused DTD, -EFBIG a limit, -ENOTSUP an unsupported
 * version or feature, -ENOMEM), leaves *ret untouched and fills err.
 * Thread-safe. */
int cairn_manifest_parse(const char *buf, size_t len, json_t **ret, cairn_err *err);

#endif
