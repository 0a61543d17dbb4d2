/* api_packages.c: the package list and uploads (docs/API.md "Officers and
 * admins"); officers' learner lists are in api_lists.c. */
#include "api.h"
#include "importer.h"
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

void api_packages_list(cairn_req *r)
{
    json_t *out;
    if (store_packages_json(&out)) {
        reply_error(r, 500, "internal", "The list of modules could not be read.");
        return;
    }
    reply_json(r, 200, out);
}

/* Importing a large package takes seconds: it runs on a job thread while
 * the connection is suspended, so the worker thread keeps serving others.
 * At most IMPORT_JOBS run at once. */
enum { IMPORT_JOBS = 2 };
static atomic_int g_import_jobs;

typedef struct import_job {
    cairn_req *req;
    char *filename;
} import_job;

static void import_job_free(void *p)
{
    import_job *job = p;
    if (job) {
        free(job->filename);
        free(job);
    }
}

static void *import_main(void *arg)
{
    import_job *job = arg;
    cairn_req *r = job->req;
    cairn_err err = { 0 };
    json_t *out = NULL;
    int ret = import_package(cfg.data_dir, r->upload_path, job->filename, r->user->id,
                             &out, &err);
    if (ret == -EINVAL) {
        reply_error(r, 422, "bad_package", "%s", err.msg);
    } else if (ret) {
        log_error("import", "%s", err.msg);
        reply_error(r, 500, "internal", "The package could not be imported: %s", err.msg);
    } else {
        reply_json(r, 201, out);
    }
    store_close();
    atomic_fetch_sub(&g_import_jobs, 1);
    http_resume(r);
    return NULL;
}

void api_packages_upload(cairn_req *r)
{
    if (r->upload_fd < 0 || r->upload_len == 0) {
        reply_error(r, 400, "empty", "The upload is empty: choose a SCORM zip file.");
        return;
    }
    const char *filename = req_query(r, "filename");
    import_job *job = calloc(1, sizeof *job);
    if (!job || (filename && strlen(filename) <= 255 && !(job->filename = strdup(filename)))) {
        free(job);
        reply_error(r, 500, "internal", "Out of memory.");
        return;
    }
    if (atomic_fetch_add(&g_import_jobs, 1) >= IMPORT_JOBS) {
        atomic_fetch_sub(&g_import_jobs, 1);
        import_job_free(job);
        reply_error(r, 503, "busy", "Other packages are being imported; try again in a minute.");
        return;
    }
    job->req = r;
    r->pending = job;
    r->pending_free = import_job_free;
    pthread_attr_t attr;
    pthread_t t;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    http_suspend(r);
    if (pthread_create(&t, &attr, import_main, job) != 0) {
        atomic_fetch_sub(&g_import_jobs, 1);
        reply_error(r, 503, "busy", "The server could not start the import; try again.");
        http_resume(r);
    }
    pthread_attr_destroy(&attr);
}
