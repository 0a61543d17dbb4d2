/* api_packages.c: the package list, uploads, and officers' learner lists
 * (docs/API.md "Officers and admins"). */
#include "api.h"
#include "importer.h"
#include "log.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

void api_packages_list(cairn_req *r)
{
    json_t *out;
    if (store_packages_json(&out)) {
        reply_error(r, 500, "internal", "The list of modules could not be read.");
        return;
    }
    reply_json(r, 200, out);
}

void api_packages_upload(cairn_req *r)
{
    if (r->upload_fd < 0 || r->upload_len == 0) {
        reply_error(r, 400, "empty", "The upload is empty: choose a SCORM zip file.");
        return;
    }
    if (fsync(r->upload_fd) != 0) {
        reply_error(r, 500, "storage", "The upload could not be stored.");
        return;
    }
    const char *filename = req_query(r, "filename");
    if (filename && strlen(filename) > 255)
        filename = NULL;
    cairn_err err = { 0 };
    json_t *out = NULL;
    int ret = import_package(cfg.data_dir, r->upload_path, filename, r->user->id, &out, &err);
    if (ret == -EINVAL) {
        reply_error(r, 422, "bad_package", "%s", err.msg);
        return;
    }
    if (ret) {
        log_error("import", "%s", err.msg);
        reply_error(r, 500, "internal", "The package could not be imported: %s", err.msg);
        return;
    }
    reply_json(r, 201, out);
}

void api_officer_learners(cairn_req *r)
{
    /* Officers see their own borough; only admins see every borough. */
    int64_t borough = r->user->role == ROLE_ADMIN ? 0 : r->user->borough_id;
    if (r->user->role == ROLE_OFFICER && borough == 0) {
        reply_error(r, 403, "forbidden", "Your officer account has no borough.");
        return;
    }
    json_t *list;
    if (store_officer_learners_json(borough, &list)) {
        reply_error(r, 500, "internal", "The learners could not be read.");
        return;
    }
    json_t *b = borough ? json_pack("{sI ss}", "id", (json_int_t)borough,
                                    "name", r->user->borough_name) : json_null();
    reply_json(r, 200, json_pack("{so so}", "borough", b, "learners", list));
}
