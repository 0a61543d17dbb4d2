/* importer.c: see importer.h. */
#define _XOPEN_SOURCE 700
#include "importer.h"
#include "package.h"
#include "store.h"
#include "auth.h"
#include "log.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

int remove_tree(const char *path)
{
    return nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -errno;
}

static int mkdir_p2(const char *a, const char *b)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", a, b) >= (int)sizeof path)
        return -ENAMETOOLONG;
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return -errno;
    return 0;
}

int import_package(const char *data_dir, const char *zip_path, const char *filename,
                   int64_t imported_by, json_t **ret, cairn_err *err)
{
    json_t *manifest = NULL;
    int r = cairn_package_inspect(zip_path, NULL, &manifest, err);
    if (r)
        return -EINVAL;
    const char *identifier = json_string_value(json_object_get(manifest, "identifier"));
    if (!identifier || !identifier[0]) {
        json_decref(manifest);
        return cairn_err_set(err, -EINVAL, "The manifest has no identifier, so Cairn "
                             "could not tell a new version of it from another package.");
    }
    int64_t package_id;
    int version;
    bool replaced;
    if ((r = store_package_reserve(identifier, &package_id, &version, &replaced))) {
        json_decref(manifest);
        return cairn_err_set(err, r, "The package could not be recorded.");
    }

    char pkg_dir[4096], tmp_dir[4096], final_dir[4096], rnd[17];
    auth_random_hex(rnd, 8);
    tmp_dir[0] = '\0';
    if (snprintf(pkg_dir, sizeof pkg_dir, "%s/packages/%lld", data_dir,
                 (long long)package_id) >= (int)sizeof pkg_dir ||
        snprintf(tmp_dir, sizeof tmp_dir, "%s/.import-%s", pkg_dir, rnd) >= (int)sizeof tmp_dir ||
        snprintf(final_dir, sizeof final_dir, "%s/%d", pkg_dir, version) >= (int)sizeof final_dir) {
        r = cairn_err_set(err, -ENAMETOOLONG, "The data folder's path is too long.");
        tmp_dir[0] = '\0';
        goto fail;
    }
    if ((r = mkdir_p2(data_dir, "packages")) ||
        (mkdir(pkg_dir, 0755) != 0 && errno != EEXIST) || mkdir(tmp_dir, 0755) != 0) {
        r = r ? r : -errno;
        cairn_err_set(err, r, "The server could not create the package folder.");
        goto fail;
    }
    if ((r = cairn_package_extract(zip_path, NULL, tmp_dir, err))) {
        r = -EINVAL;
        goto fail;
    }
    /* A folder left by an import that crashed before being recorded. */
    remove_tree(final_dir);
    if (rename(tmp_dir, final_dir) != 0) {
        r = -errno;
        cairn_err_set(err, r, "The server could not move the package into place.");
        goto fail;
    }
    if ((r = store_package_add_version(package_id, version, manifest, filename, imported_by))) {
        remove_tree(final_dir);
        cairn_err_set(err, r, "The package could not be recorded.");
        json_decref(manifest);
        return r;
    }
    json_t *pkg = json_pack("{sI ss sO sO si sI}",
        "id", (json_int_t)package_id, "identifier", identifier,
        "title", json_object_get(manifest, "title"),
        "scorm_version", json_object_get(manifest, "scorm_version"),
        "version", version,
        "sco_count", (json_int_t)json_array_size(json_object_get(manifest, "scos")));
    *ret = json_pack("{so sb}", "package", pkg, "replaced", replaced);
    log_info("import", "package %lld version %d (%s) from %s", (long long)package_id,
             version, identifier, filename ? filename : zip_path);
    json_decref(manifest);
    return 0;
fail:
    if (tmp_dir[0])
        remove_tree(tmp_dir);
    json_decref(manifest);
    return r;
}
