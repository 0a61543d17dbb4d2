/* plugin_test.c: `cairn plugin test DIR` and `cairn plugin bench DIR`.
 *
 * Tests run in the same sandbox and under the same limits as the server:
 * each tests/<name>.lua file gets a fresh state of the plugin (test mode:
 * storage in memory, a fixed clock), an environment with the sandbox's
 * globals and `t`, and each t.case runs under the load budget. t.call runs
 * a hook as the server does: arguments copied, the per-call budget and the
 * hook's phase, the result converted with raw access and checked. */
#include "plugin_internal.h"

#include <dirent.h>
#include <errno.h>
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* 2025-06-02 09:00 UTC, a Monday: tests see the same "today" every run. */
static const int64_t DEFAULT_NOW = 1748854800;

const char plugin_test_prelude[] =
    "local t, borough = ...\n"
    "local function merge(base, over)\n"
    "  if over ~= nil then\n"
    "    for k, v in pairs(over) do base[k] = v end\n"
    "  end\n"
    "  return base\n"
    "end\n"
    "local function home() return { id = 1, name = borough, slug = borough } end\n"
    "function t.learner(over)\n"
    "  return merge({ id = 1001, name = 'Alex Example', email = 'alex@example.org',\n"
    "    role = 'learner', job_role = 'Volunteer', registered_at = '2025-01-06T09:30:00Z',\n"
    "    borough = home(),\n"
    "    organisation = { id = 11, name = 'Example Youth Club', code = 'EX-0001' },\n"
    "    records = {} }, over)\n"
    "end\n"
    "function t.record(over)\n"
    "  return merge({ kind = 'elearning', item_ref = 'cairn.basic-awareness',\n"
    "    title = 'Introduction to safeguarding: basic awareness',\n"
    "    completed_at = '2025-02-01T19:30:00Z', status = 'passed', score = 90,\n"
    "    time_spent_seconds = 10800 }, over)\n"
    "end\n"
    "function t.registration(over)\n"
    "  return merge({ name = 'Alex Example', email = 'alex@example.org',\n"
    "    job_role = 'Volunteer', borough = home(),\n"
    "    organisation = { id = 11, name = 'Example Youth Club', code = 'EX-0001' } }, over)\n"
    "end\n"
    "function t.session(over)\n"
    "  return merge({ id = 501, course = 'safeguarding-shared-responsibility-a',\n"
    "    title = 'Safeguarding children: a shared responsibility (Group A)', group = 'A',\n"
    "    starts_at = '2025-07-01T09:30:00Z', host_borough = borough, places = 20,\n"
    "    booked = 5 }, over)\n"
    "end\n"
    "function t.borough_info(over)\n"
    "  return merge({ id = 1, name = borough, slug = borough, organisations = {} }, over)\n"
    "end\n"
    "function t.event(over)\n"
    "  return merge({ kind = 'elearning', title = 'Introduction to safeguarding: basic awareness',\n"
    "    status = 'passed', at = '2025-06-02T09:00:00Z' }, over)\n"
    "end\n";

/* ---- t ---- */

static const char CASES_KEY[] = "cairn.test.cases";

static int t_case(lua_State *L)
{
    pctx_check(L);
    luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_pushstring(L, CASES_KEY);
    lua_rawget(L, LUA_REGISTRYINDEX);
    lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
    if (n >= 500)
        return luaL_error(L, "t.case: more than 500 cases in one file");
    lua_createtable(L, 2, 0);
    lua_pushvalue(L, 1);
    lua_rawseti(L, -2, 1);
    lua_pushvalue(L, 2);
    lua_rawseti(L, -2, 2);
    lua_rawseti(L, -2, n + 1);
    return 0;
}

static int t_ok(lua_State *L)
{
    pctx_check(L);
    if (!lua_toboolean(L, 1))
        return luaL_error(L, "%s", luaL_optstring(L, 2, "expected a true value"));
    return 0;
}

/* Short JSON for messages (raw, like everything the host reads). */
static void describe_value(lua_State *L, int i, char *buf, size_t len)
{
    char err[120];
    json_t *v = NULL;
    if (papi_to_json(L, i, &v, err, sizeof err) != 0) {
        snprintf(buf, len, "<%s>", luaL_typename(L, i));
        return;
    }
    char *s = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    snprintf(buf, len, "%s", s ? s : "nil");
    if (strlen(buf) == len - 1 && len > 4)
        memcpy(buf + len - 4, "...", 4);
    free(s);
    json_decref(v);
}

/* Deep equality where numbers compare by value, as in Lua (6 == 6.0). */
static bool json_same(json_t *a, json_t *b)
{
    if (json_is_number(a) && json_is_number(b)) {
        if (json_is_integer(a) && json_is_integer(b))
            return json_integer_value(a) == json_integer_value(b);
        return json_number_value(a) == json_number_value(b);
    }
    if (json_typeof(a) != json_typeof(b))
        return false;
    if (json_is_array(a)) {
        if (json_array_size(a) != json_array_size(b))
            return false;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!json_same(json_array_get(a, i), json_array_get(b, i)))
                return false;
        return true;
    }
    if (json_is_object(a)) {
        if (json_object_size(a) != json_object_size(b))
            return false;
        const char *k;
        json_t *v;
        json_object_foreach(a, k, v) {
            json_t *w = json_object_get(b, k);
            if (!w || !json_same(v, w))
                return false;
        }
        return true;
    }
    return json_equal(a, b);
}

/* t.eq(actual, expected [, message]): deep equality of plain values. */
static int t_eq(lua_State *L)
{
    pctx_check(L);
    lua_settop(L, 3);
    char err[120];
    json_t *a = NULL, *b = NULL;
    bool same;
    if (papi_to_json(L, 1, &a, err, sizeof err) == 0 &&
        papi_to_json(L, 2, &b, err, sizeof err) == 0)
        same = (!a && !b) || (a && b && json_same(a, b));
    else
        same = lua_rawequal(L, 1, 2);
    json_decref(a);
    json_decref(b);
    if (same)
        return 0;
    char got[300], want[300];
    describe_value(L, 1, got, sizeof got);
    describe_value(L, 2, want, sizeof want);
    return luaL_error(L, "%s%sexpected %s, got %s", luaL_optstring(L, 3, ""),
                      lua_isnil(L, 3) ? "" : ": ", want, got);
}

/* t.call(hook, ...): the hook as the server calls it. Returns the checked
 * result, or nil and the error message. */
static int t_call(lua_State *L)
{
    pctx_check(L);
    plugin_ctx *c = pctx_of(L);
    const char *name = luaL_checkstring(L, 1);
    int h = plugin_hook_parse(name);
    if (h < 0)
        return luaL_error(L, "t.call: '%s' is not a hook", name);
    if (!(c->p->hooks & (1u << h)))
        return luaL_error(L, "t.call: plugin.json does not list '%s'", name);
    int nargs = lua_gettop(L) - 1;
    luaL_checkstack(L, nargs + 4, "t.call");
    int base = lua_gettop(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, c->hooks_ref);
    lua_getfield(L, -1, name);
    lua_remove(L, -2);
    for (int i = 2; i <= nargs + 1; i++) {
        char err[200];
        json_t *v = NULL;
        if (papi_to_json(L, i, &v, err, sizeof err) != 0)
            return luaL_error(L, "t.call: argument %d cannot be passed to a hook: %s", i - 1, err);
        papi_push_json(L, v);
        json_decref(v);
    }
    plugin_phase phase = c->phase;
    const char *running = c->running;
    uint64_t used = c->instructions, limit = c->instruction_limit;
    int64_t deadline = c->deadline_us;
    c->phase = plugin_hook_phase((plugin_hook)h);
    c->running = name;
    c->instructions = 0;
    c->clock_check_at = 0;
    c->instruction_limit = c->limits.call_instructions;
    c->deadline_us = plugin_mono_us() + (int64_t)c->limits.call_ms * 1000;
    int st = lua_pcall(L, nargs, 1, 0);
    c->phase = phase;
    c->running = running;
    c->instructions += used;
    c->clock_check_at = 0;
    c->instruction_limit = limit;
    c->deadline_us = deadline;
    pctx_check(L);        /* a kill inside the hook fails the test case */
    if (st != LUA_OK) {
        if (lua_type(L, -1) != LUA_TSTRING) {
            lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, -1));
            lua_remove(L, -2);
        }
        lua_pushnil(L);
        lua_insert(L, -2);
        return 2;
    }
    char err[300];
    json_t *raw = NULL, *norm = NULL;
    if (papi_to_json(L, -1, &raw, err, sizeof err) != 0) {
        lua_settop(L, base);
        lua_pushnil(L);
        lua_pushfstring(L, "%s returned a value the host cannot use: %s", name, err);
        return 2;
    }
    int r = plugin_normalize((plugin_hook)h, raw, &norm, err, sizeof err);
    json_decref(raw);
    lua_settop(L, base);
    if (r != 0) {
        lua_pushnil(L);
        lua_pushstring(L, err);
        return 2;
    }
    papi_push_json(L, norm);
    json_decref(norm);
    return 1;
}

static int t_set_today(lua_State *L)
{
    pctx_check(L);
    int y, m, d;
    if (papi_parse_date(luaL_checkstring(L, 1), &y, &m, &d) != 0)
        return luaL_argerror(L, 1, "a date like \"2025-03-31\"");
    pctx_of(L)->fixed_now = papi_days_from_civil(y, m, d) * 86400 + 9 * 3600;
    return 0;
}

static int t_set_borough(lua_State *L)
{
    pctx_check(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_pushliteral(L, "cairn.test.borough");
    lua_pushvalue(L, 1);
    lua_rawset(L, LUA_REGISTRYINDEX);
    return 0;
}

static const luaL_Reg t_funcs[] = {
    { "case", t_case }, { "ok", t_ok }, { "eq", t_eq }, { "call", t_call },
    { "set_today", t_set_today }, { "set_borough", t_set_borough }, { NULL, NULL },
};

/* Builds the test environment (sandbox globals + t) and runs the prelude
 * in it. Protected: called through lua_pcall. */
static int test_env_setup(lua_State *L)
{
    plugin_ctx *c = pctx_of(L);
    lua_newtable(L);
    lua_pushstring(L, CASES_KEY);
    lua_pushvalue(L, -2);
    lua_rawset(L, LUA_REGISTRYINDEX);
    lua_pop(L, 1);
    pctx_push_env(c);
    int env = lua_gettop(L);
    luaL_newlib(L, t_funcs);
    int t = lua_gettop(L);
    lua_pushvalue(L, t);
    lua_setfield(L, env, "t");
    if (pctx_load(c, "prelude", plugin_test_prelude, strlen(plugin_test_prelude), env) != LUA_OK)
        return lua_error(L);
    lua_pushvalue(L, t);
    lua_pushstring(L, c->p->borough);
    lua_call(L, 2, 0);
    lua_settop(L, env);
    return 1;
}

/* ---- reading ---- */

static int read_text(const char *path, char **ret, size_t *ret_len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -errno;
    char *buf = malloc(PLUGIN_FILE_BYTES_MAX + 1);
    size_t n = buf ? fread(buf, 1, PLUGIN_FILE_BYTES_MAX + 1, f) : 0;
    fclose(f);
    if (!buf)
        return -ENOMEM;
    if (n > PLUGIN_FILE_BYTES_MAX) {
        free(buf);
        return -EFBIG;
    }
    buf[n] = '\0';
    *ret = buf;
    *ret_len = n;
    return 0;
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Splits "plugins/eastmere/" into "plugins" and "eastmere". */
static void split_dir(const char *dir, char *parent, size_t plen, char *name, size_t nlen)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", dir);
    size_t n = strlen(buf);
    while (n > 1 && buf[n - 1] == '/')
        buf[--n] = '\0';
    char *slash = strrchr(buf, '/');
    if (!slash) {
        snprintf(parent, plen, ".");
        snprintf(name, nlen, "%s", buf);
    } else {
        snprintf(name, nlen, "%s", slash + 1);
        if (slash == buf)
            snprintf(parent, plen, "/");
        else {
            *slash = '\0';
            snprintf(parent, plen, "%s", buf);
        }
    }
}

static int load_plugin(const char *dir, plugin *p)
{
    char parent[4096], name[256];
    split_dir(dir, parent, sizeof parent, name, sizeof name);
    plugin_read_dir(p, parent, name);
    return p->failed ? -1 : 0;
}

static void print_failure(const plugin_failure *f)
{
    printf("#   %s\n", f->message);
    if (f->file[0] && f->line > 0 && !strstr(f->message, f->file))
        printf("#   at %s:%d\n", f->file, f->line);
}

/* ---- cairn plugin test ---- */

int plugin_test_main(const char *dir)
{
    plugin p;
    int n = 0, failed = 0;
    if (load_plugin(dir, &p) != 0) {
        printf("not ok 1 - %s loads\n", p.name);
        print_failure(&p.load_error);
        printf("1..1\n# 0 passed, 1 failed\n");
        plugin_clear(&p);
        return 1;
    }
    plugin_limits lim = plugin_default_limits();
    char tdir[4096];
    snprintf(tdir, sizeof tdir, "%s/tests", p.dir);
    char **files = NULL;
    size_t nfiles = 0;
    DIR *d = opendir(tdir);
    struct dirent *e;
    while (d && (e = readdir(d)) && nfiles < PLUGIN_TESTS_MAX) {
        size_t len = strlen(e->d_name);
        if (len < 5 || e->d_name[0] == '.' || strcmp(e->d_name + len - 4, ".lua") != 0)
            continue;
        char **nf = realloc(files, (nfiles + 1) * sizeof *nf);
        if (!nf)
            break;
        files = nf;
        files[nfiles++] = strdup(e->d_name);
    }
    if (d)
        closedir(d);
    qsort(files, nfiles, sizeof *files, str_cmp);
    printf("# plugin %s (borough %s): %zu test file%s in %s\n", p.name, p.borough, nfiles,
           nfiles == 1 ? "" : "s", tdir);
    if (nfiles == 0) {
        printf("not ok 1 - %s has tests (put them in tests/<name>.lua)\n1..1\n# 0 passed, 1 failed\n",
               p.name);
        plugin_clear(&p);
        return 1;
    }
    for (size_t i = 0; i < nfiles; i++) {
        char path[4096 + 256], *src = NULL;
        size_t len = 0;
        snprintf(path, sizeof path, "%s/%s", tdir, files[i]);
        plugin_failure f = { 0 };
        plugin_ctx *c = NULL;
        int r = read_text(path, &src, &len);
        if (r) {
            printf("not ok %d - %s cannot be read: %s\n", ++n, files[i], strerror(-r));
            failed++;
            goto next;
        }
        c = pctx_open(&p, &lim, true, &f);
        if (!c) {
            printf("not ok %d - %s: the plugin does not load\n", ++n, files[i]);
            print_failure(&f);
            failed++;
            goto next;
        }
        c->fixed_now = DEFAULT_NOW;
        lua_State *L = c->L;
        /* The file itself: builds the environment and registers cases. */
        pctx_begin(c, PHASE_TEST, files[i], lim.load_instructions, lim.load_ms);
        lua_pushcfunction(L, test_env_setup);
        int st = lua_pcall(L, 0, 1, 0);
        if (st == LUA_OK && !c->killed) {
            int env = lua_gettop(L);
            st = pctx_load(c, files[i], src, len, env);
            if (st == LUA_OK)
                st = lua_pcall(L, 0, 0, 0);
        }
        if (st != LUA_OK || c->killed) {
            pctx_describe(c, st, &f);
            printf("not ok %d - %s does not run\n", ++n, files[i]);
            print_failure(&f);
            failed++;
            pctx_end(c);
            goto next;
        }
        pctx_end(c);
        lua_settop(L, 0);
        lua_pushstring(L, CASES_KEY);
        lua_rawget(L, LUA_REGISTRYINDEX);
        lua_Integer ncases = (lua_Integer)lua_rawlen(L, 1);
        if (ncases == 0) {
            printf("not ok %d - %s defines no t.case\n", ++n, files[i]);
            failed++;
        }
        for (lua_Integer k = 1; k <= ncases; k++) {
            lua_rawgeti(L, 1, k);
            lua_rawgeti(L, -1, 1);
            char cname[200];
            snprintf(cname, sizeof cname, "%s", lua_tostring(L, -1));
            lua_pop(L, 1);
            lua_rawgeti(L, -1, 2);
            lua_remove(L, -2);
            c->fixed_now = DEFAULT_NOW;
            pctx_begin(c, PHASE_TEST, cname, lim.load_instructions, lim.load_ms);
            st = lua_pcall(L, 0, 0, 0);
            if (st == LUA_OK && !c->killed) {
                printf("ok %d - %s: %s\n", ++n, files[i], cname);
            } else {
                pctx_describe(c, st, &f);
                printf("not ok %d - %s: %s\n", ++n, files[i], cname);
                print_failure(&f);
                failed++;
                lua_pop(L, 1);
            }
            pctx_end(c);
            if (c->killed) {
                /* A killed state is not used again: the remaining cases of
                 * this file are not run. */
                for (lua_Integer rest = k + 1; rest <= ncases; rest++) {
                    printf("not ok %d - %s: case %lld not run (the state was stopped)\n", ++n,
                           files[i], (long long)rest);
                    failed++;
                }
                break;
            }
        }
next:
        pctx_close(c);
        free(src);
        free(files[i]);
    }
    free(files);
    printf("1..%d\n# %d passed, %d failed\n", n, n - failed, failed);
    plugin_clear(&p);
    return failed ? 1 : 0;
}

/* ---- cairn plugin bench ---- */

static json_t *bench_learner(const char *borough)
{
    return json_pack("{sI ss ss ss ss ss s{sI ss ss} s{sI ss ss} s[{ss ss ss ss ss sf sI}]}",
        "id", (json_int_t)1001, "name", "Alex Example", "email", "alex@example.org",
        "role", "learner", "job_role", "Childminder", "registered_at", "2025-01-06T09:30:00Z",
        "borough", "id", (json_int_t)1, "name", borough, "slug", borough,
        "organisation", "id", (json_int_t)11, "name", "Example Youth Club", "code", "EX-0001",
        "records", "kind", "elearning", "item_ref", "cairn.basic-awareness",
        "title", "Introduction to safeguarding: basic awareness",
        "completed_at", "2024-11-02T19:30:00Z", "status", "passed", "score", 90.0,
        "time_spent_seconds", (json_int_t)10800);
}

static json_t *bench_args(plugin_hook h, const char *borough)
{
    json_t *learner = bench_learner(borough);
    json_t *record = json_incref(json_array_get(json_object_get(learner, "records"), 0));
    json_t *args;
    switch (h) {
    case HOOK_REGISTRATION_CHECK:
        args = json_pack("[{ss ss ss sO sO}]", "name", "Alex Example", "email",
                         "alex@example.org", "job_role", "Childminder",
                         "borough", json_object_get(learner, "borough"),
                         "organisation", json_object_get(learner, "organisation"));
        break;
    case HOOK_BOOKING_ELIGIBILITY:
        args = json_pack("[O {sI ss ss ss ss}]", learner, "id", (json_int_t)501, "course",
                         "safeguarding-shared-responsibility-a", "group", "A", "starts_at",
                         "2025-07-01T09:30:00Z", "host_borough", borough);
        break;
    case HOOK_EXPIRY:
        args = json_pack("[O n O]", record, learner);
        break;
    case HOOK_CHARGE:
        args = json_pack("[{ss s{sI ss ss ss ss} si} O]", "reason", "late_cancellation",
                         "session", "id", (json_int_t)501, "title", "Safeguarding children",
                         "group", "A", "starts_at", "2025-07-01T09:30:00Z", "host_borough",
                         borough, "notice_hours", 20, learner);
        break;
    case HOOK_LOCAL_CONTACTS:
        args = json_pack("[{sI ss ss s[]}]", "id", (json_int_t)1, "name", borough, "slug",
                         borough, "organisations");
        break;
    case HOOK_REQUIRED_TRAINING:
    case HOOK_REPORT_COLUMNS:
        args = json_pack("[O]", learner);
        break;
    default:
        args = json_pack("[{ss ss ss} O]", "kind", "elearning", "title", "Basic awareness",
                         "status", "passed", learner);
    }
    json_decref(record);
    json_decref(learner);
    return args;
}

static void bench_plugin(plugin *p, long calls)
{
    plugin_limits lim = plugin_default_limits();
    plugin_failure f = { 0 };
    int64_t t0 = plugin_mono_us();
    plugin_ctx *c = pctx_open(p, &lim, true, &f);
    int64_t built = plugin_mono_us() - t0;
    if (!c) {
        printf("%s: does not load: %s\n", p->name, f.message);
        return;
    }
    printf("%s: building its Lua state (sandbox + init.lua) takes %.0f us; state size %zu KiB\n",
           p->name, (double)built, c->mem_used / 1024);
    for (int h = 0; h < HOOK_COUNT; h++) {
        if (!(p->hooks & (1u << h)))
            continue;
        json_t *args = bench_args((plugin_hook)h, p->borough);
        int fails = 0;
        /* warm up, then measure */
        for (long i = 0; i < calls / 10 + 1; i++) {
            json_t *r = NULL, *norm = NULL;
            char err[200];
            if (pctx_call(c, (plugin_hook)h, args, &r, &f) == 0)
                plugin_normalize((plugin_hook)h, r, &norm, err, sizeof err);
            json_decref(r);
            json_decref(norm);
        }
        t0 = plugin_mono_us();
        for (long i = 0; i < calls; i++) {
            json_t *r = NULL, *norm = NULL;
            char err[200];
            if (pctx_call(c, (plugin_hook)h, args, &r, &f) != 0 ||
                plugin_normalize((plugin_hook)h, r, &norm, err, sizeof err) != 0)
                fails++;
            json_decref(r);
            json_decref(norm);
        }
        double us = (double)(plugin_mono_us() - t0) / (double)calls;
        printf("  %-20s %8ld calls  %8.2f us/call  (%.0f calls/s on one thread)%s\n",
               plugin_hook_name((plugin_hook)h), calls, us, us > 0 ? 1e6 / us : 0.0,
               fails ? "  SOME FAILED" : "");
        if (fails)
            printf("    last failure: %s\n", f.message);
        json_decref(args);
    }
    pctx_close(c);
}

int plugin_bench_main(const char *dir, long calls)
{
    plugin p;
    if (load_plugin(dir, &p) != 0) {
        printf("%s does not load: %s\n", p.name, p.load_error.message);
        plugin_clear(&p);
        return 1;
    }
    printf("# what one hook call costs: JSON arguments to Lua, the call under the budget\n"
           "# hook, the result back to JSON (raw) and checked; one thread, test-mode storage\n");
    /* The floor: a hook that does nothing, so the host's own share shows. */
    plugin noop;
    memset(&noop, 0, sizeof noop);
    pthread_mutex_init(&noop.lock, NULL);
    snprintf(noop.name, sizeof noop.name, "noop");
    snprintf(noop.borough, sizeof noop.borough, "%s", p.borough);
    noop.api_version = PLUGIN_API_VERSION;
    noop.hooks = 1u << HOOK_REQUIRED_TRAINING;
    noop.files = calloc(1, sizeof *noop.files);
    noop.nfiles = 1;
    snprintf(noop.files[0].name, sizeof noop.files[0].name, "init.lua");
    noop.files[0].src = strdup("return { required_training = function(learner) return nil end }");
    noop.files[0].len = strlen(noop.files[0].src);
    bench_plugin(&noop, calls);
    bench_plugin(&p, calls);
    plugin_clear(&noop);
    plugin_clear(&p);
    return 0;
}
