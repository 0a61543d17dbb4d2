/* fuzz_manifest.c: libFuzzer harness for cairn_manifest_parse().
 *
 * The input is an imsmanifest.xml. Besides "no crash, no leak, no sanitizer
 * report", a manifest that parses must keep the promises the player relies
 * on, or the harness aborts: every SCO has a relative launch path without
 * "." or ".." segments, a launch query that is empty or starts with '?' or
 * '#', the JSON serializes, and a refusal's message is valid UTF-8. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool bad_path(const char *p)
{
    if (!p || !*p || p[0] == '/')
        return true;
    for (const char *seg = p;; ) {
        size_t n = strcspn(seg, "/");
        if (n == 0 || (n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
            return true;
        if (!seg[n])
            return false;
        seg += n + 1;
    }
}

static void check_manifest(json_t *mf)
{
    json_t *sco;
    size_t i;
    json_array_foreach(json_object_get(mf, "scos"), i, sco) {
        const char *q = json_string_value(json_object_get(sco, "launch_query"));
        if (bad_path(json_string_value(json_object_get(sco, "launch_path"))))
            abort();
        if (!q || (*q && *q != '?' && *q != '#'))
            abort();
    }
    char *text = json_dumps(mf, 0);
    if (!text)
        abort();
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *mf = NULL;
    cairn_err err = {0};
    if (cairn_manifest_parse((const char *)data, size, &mf, &err) == 0) {
        check_manifest(mf);
        json_decref(mf);
    } else {
        /* messages go into JSON error bodies: they must be valid UTF-8 */
        json_t *msg = json_string(err.msg);
        if (!msg)
            abort();
        json_decref(msg);
    }
    return 0;
}
