/* modules.c: see modules.h. */
#include "modules.h"
#include "importer.h"
#include "log.h"
#include "package.h"
#include "store.h"
#include "zipread.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MANIFEST_MAX = 16 << 20 };

/* The zip's imsmanifest.xml, malloc'd; NULL when it cannot be read. */
static char *zip_manifest(const char *zip_path, size_t *ret_len)
{
    cairn_zip *z = NULL;
    cairn_err err = { 0 };
    char *buf = NULL;
    if (cairn_zip_open(zip_path, NULL, &z, &err) == 0) {
        long i = cairn_zip_find(z, "imsmanifest.xml");
        if (i < 0 || cairn_zip_read_alloc(z, (size_t)i, MANIFEST_MAX, &buf, ret_len, &err) != 0)
            buf = NULL;
    }
    cairn_zip_close(z);
    return buf;
}

/* True when DATA/packages/<id>/<version>/imsmanifest.xml holds these bytes. */
static bool same_manifest(const char *data_dir, int64_t package_id, int version,
                          const char *bytes, size_t len)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/packages/%lld/%d/imsmanifest.xml", data_dir,
                 (long long)package_id, version) >= (int)sizeof path)
        return false;
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    bool same = false;
    char *disk = malloc(len + 1);
    if (disk && fread(disk, 1, len + 1, f) == len && memcmp(disk, bytes, len) == 0)
        same = true;
    free(disk);
    fclose(f);
    return same;
}

/* Whether this build of the module is new to the database. */
static bool needs_import(const char *data_dir, const char *zip_path, const char *name)
{
    json_t *manifest = NULL;
    cairn_err err = { 0 };
    if (cairn_package_inspect(zip_path, NULL, &manifest, &err) != 0) {
        log_warn("modules", "%s is not a usable package: %s", name, err.msg);
        return false;
    }
    const char *identifier = json_string_value(json_object_get(manifest, "identifier"));
    int64_t package_id;
    bool result = true;
    if (!identifier || store_package_by_identifier(identifier, &package_id) != 0) {
        json_decref(manifest);
        return true;
    }
    size_t len = 0;
    char *bytes = zip_manifest(zip_path, &len);
    cairn_package_version *current = NULL;
    if (bytes && store_package_current(package_id, &current) == 0) {
        for (int v = current->version; v >= 1 && result; v--)
            if (same_manifest(data_dir, package_id, v, bytes, len))
                result = false;
    }
    if (!result)
        log_info("modules", "%s (%s) is already imported", name, identifier);
    cairn_package_version_free(current);
    free(bytes);
    json_decref(manifest);
    return result;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int is_zip(const struct dirent *e)
{
    size_t n = strlen(e->d_name);
    return n > 4 && e->d_name[0] != '.' && strcmp(e->d_name + n - 4, ".zip") == 0;
}

int modules_import(const char *data_dir, const char *modules_dir)
{
    struct dirent **list = NULL;
    int n = scandir(modules_dir, &list, is_zip, by_name);
    if (n < 0) {
        log_info("modules", "no modules to import at %s: %s", modules_dir, strerror(errno));
        return 0;
    }
    int imported = 0;
    for (int i = 0; i < n; i++) {
        char path[4096];
        const char *name = list[i]->d_name;
        if (snprintf(path, sizeof path, "%s/%s", modules_dir, name) < (int)sizeof path &&
            needs_import(data_dir, path, name)) {
            cairn_err err = { 0 };
            json_t *out = NULL;
            if (import_package(data_dir, path, name, 0, &out, &err) == 0)
                imported++;
            else
                log_warn("modules", "%s not imported: %s", name, err.msg);
            json_decref(out);
        }
        free(list[i]);
    }
    free(list);
    return imported;
}
