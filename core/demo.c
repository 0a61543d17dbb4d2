/* demo.c: demo data for trying Cairn out (`cairn serve --demo`).
 *
 * Three boroughs with a few organisations each (Eastmere's with the
 * partnership codes its plugin checks at registration), an officer per borough, a
 * learner and an admin, with random passwords printed at first start and
 * kept in DATA/demo-credentials.txt (mode 0600) so later starts can print
 * them again; and every package in the demo packages folder imported. The
 * names are fictional; nothing here is real contact data. */
#include "demo.h"
#include "auth.h"
#include "importer.h"
#include "log.h"
#include "store.h"
#include "store_courses.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { DEMO_BOROUGHS = 3 };

static const struct {
    const char *name, *slug;
    const char *orgs[4];
    const char *codes[4];      /* organisations.code, NULL for none */
} demo_boroughs[DEMO_BOROUGHS] = {
    { "Leicestershire and Rutland", "leicestershire-rutland",
      { "Oakham Community Nursery", "Charnwood Youth Football Club",
        "St Anne's Church Youth Group", "Registered childminders" },
      { NULL } },
    { "Hollowfield (London)", "hollowfield",
      { "Hollowfield Primary School", "Riverside Scouts",
        "Hollowfield Library volunteers", "Registered childminders" },
      { NULL } },
    /* plugins/eastmere/register.lua: EM-0388's membership has lapsed */
    { "Eastmere", "eastmere",
      { "Eastmere Family Centre", "Northgate Childminding Network",
        "Eastmere Sailing Club", "Harbour Youth Theatre" },
      { "EM-0107", "EM-0233", "EM-0412", "EM-0388" } },
};

static const struct {
    const char *email, *name, *job_role;
    cairn_role role;
    int borough;   /* index into demo_boroughs, -1 for none */
    int org;
} demo_users[] = {
    { "officer@leics.example", "Priya Shah", "Training officer", ROLE_OFFICER, 0, -1 },
    { "officer@hollowfield.example", "Tom Okafor", "Training officer", ROLE_OFFICER, 1, -1 },
    { "learner@leics.example", "Sam Green", "Volunteer coach", ROLE_LEARNER, 0, 1 },
    { "admin@cairn.example", "Cairn administrator", "Administrator", ROLE_ADMIN, -1, -1 },
    { "officer@eastmere.example", "Ruth Adeyemi", "Training officer", ROLE_OFFICER, 2, -1 },
};

static void print_credentials(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f))
        fputs(line, stdout);
    fclose(f);
    fflush(stdout);
}

static int seed_borough(int b, int64_t *ret_id, int64_t org_ids[4])
{
    if (store_borough_create(demo_boroughs[b].name, demo_boroughs[b].slug, ret_id))
        return -EIO;
    for (int o = 0; o < 4; o++)
        if (store_organisation_create(*ret_id, demo_boroughs[b].orgs[o],
                                      demo_boroughs[b].codes[o], &org_ids[o]))
            return -EIO;
    return 0;
}

static int seed_accounts(const char *cred_path)
{
    int64_t borough_ids[DEMO_BOROUGHS], org_ids[DEMO_BOROUGHS][4];
    for (int b = 0; b < DEMO_BOROUGHS; b++)
        if (seed_borough(b, &borough_ids[b], org_ids[b]))
            return -EIO;
    int fd = open(cred_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        if (fd >= 0)
            close(fd);
        return -errno;
    }
    fprintf(f, "Demo accounts (also in %s):\n", cred_path);
    for (size_t i = 0; i < sizeof demo_users / sizeof demo_users[0]; i++) {
        char password[25], hash[AUTH_HASH_MAX];
        auth_random_hex(password, 12);
        if (auth_hash_password(password, hash)) {
            fclose(f);
            return -ENOMEM;
        }
        int b = demo_users[i].borough, o = demo_users[i].org;
        cairn_new_user nu = {
            .email = demo_users[i].email, .name = demo_users[i].name,
            .password_hash = hash, .job_role = demo_users[i].job_role,
            .role = demo_users[i].role,
            .borough_id = b >= 0 ? borough_ids[b] : 0,
            .organisation_id = b >= 0 && o >= 0 ? org_ids[b][o] : 0,
        };
        if (store_user_create(&nu, NULL)) {
            fclose(f);
            return -EIO;
        }
        fprintf(f, "  %-8s %-30s password %s\n", cairn_role_name(nu.role), nu.email, password);
    }
    return fclose(f) == 0 ? 0 : -EIO;
}

static void import_folder(const char *data_dir, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        log_info("demo", "no demo packages at %s", dir);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".zip") != 0)
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        cairn_err err = { 0 };
        json_t *out = NULL;
        if (import_package(data_dir, path, e->d_name, 0, &out, &err))
            log_warn("demo", "%s not imported: %s", e->d_name, err.msg);
        json_decref(out);
    }
    closedir(d);
}

int demo_seed(const char *data_dir, const char *packages_dir)
{
    char cred_path[4096];
    snprintf(cred_path, sizeof cred_path, "%s/demo-credentials.txt", data_dir);
    int64_t id;
    if (store_borough_find(demo_boroughs[0].slug, &id) == 0) {
        /* Seeded by an earlier Cairn: add the boroughs added since. */
        for (int b = 1; b < DEMO_BOROUGHS; b++) {
            int64_t bid, oids[4];
            if (store_borough_find(demo_boroughs[b].slug, &bid) != 0 && seed_borough(b, &bid, oids))
                return -EIO;
        }
        if (store_courses_seed())   /* courses came later too; adding is idempotent */
            log_warn("demo", "the framework's course catalogue was not added");
        print_credentials(cred_path);
        return 0;
    }
    int r = seed_accounts(cred_path);
    if (r)
        return r;
    if (store_courses_seed())
        log_warn("demo", "the framework's course catalogue was not added");
    if (packages_dir)
        import_folder(data_dir, packages_dir);
    print_credentials(cred_path);
    return 0;
}
