/* fuzz_zip.c: libFuzzer harness for the zip reader and package inspection.
 *
 * The input is a zip archive, read from memory through minizip's custom I/O.
 * Besides "no crash, no leak, no sanitizer report", it checks the promises
 * of zipread.h and aborts when one is broken: every listed name passes the
 * name rules and is found again by cairn_zip_find(), and no read hands out
 * more bytes than the entry declared. Small limits keep each run fast. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "package.h"
#include "zipread.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct counted {
    uint64_t bytes;
};

static int count_sink(void *ctx, const void *buf, size_t len)
{
    (void)buf;
    ((struct counted *)ctx)->bytes += len;
    return 0;
}

static const cairn_zip_limits fuzz_limits = {
    .max_entries = 256,
    .max_entry_size = (uint64_t)1 << 20,
    .max_total_size = (uint64_t)4 << 20,
    .max_ratio = 100,
    .max_path_len = 512,
};

/* Messages go into JSON error bodies: they must be valid UTF-8. */
static void check_message(const cairn_err *err)
{
    json_t *s = json_string(err->msg);
    if (!s)
        abort();
    json_decref(s);
}

static void check_entries(cairn_zip *z)
{
    for (size_t i = 0; i < cairn_zip_count(z); i++) {
        const cairn_zip_entry *e = cairn_zip_entry_at(z, i);
        struct counted c = {0};
        cairn_err err;
        if (cairn_zip_check_name(e->name, strlen(e->name), fuzz_limits.max_path_len, NULL) != 0)
            abort();   /* an unsafe name got through */
        if (cairn_zip_find(z, e->name) != (long)i)
            abort();   /* duplicates got through, or the index is wrong */
        int r = cairn_zip_read(z, i, count_sink, &c, &err);
        if (r == 0 && c.bytes != e->size)
            abort();   /* a read succeeded with the wrong size */
        if (r < 0)
            check_message(&err);
        if (c.bytes > e->size)
            abort();   /* more than declared was handed out */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cairn_zip *z = NULL;
    cairn_err err = {0};
    json_t *manifest = NULL;

    if (cairn_zip_open_mem(data, size, &fuzz_limits, &z, &err) == 0) {
        check_entries(z);
        cairn_zip_close(z);
    } else {
        check_message(&err);
    }
    if (cairn_package_inspect_mem(data, size, &fuzz_limits, &manifest, &err) == 0)
        json_decref(manifest);
    else
        check_message(&err);
    return 0;
}
