/* test_plugin_sandbox.c: every escape and exhaustion attempt against the
 * plugin host, each its own check, failing if the sandbox leaks.
 *
 * The plugins are written into a temporary folder and loaded through the
 * public host (plugin_host.h), so the checks go through the same path as
 * the server: per-thread states, the budgets, raw conversion of results,
 * the default answers after a failure, and state rebuilding after a kill.
 * Limits are smaller than the server's so that kills are quick. */
#include "check.h"
#include "plugin_internal.h"
#include "store.h"

#include <fcntl.h>
#include <lauxlib.h>
#include <lualib.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char g_root[512];
static char g_plugins[600];
static plugin_limits g_lim;

static void write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        exit(2);
    }
    fwrite(data, 1, len, f);
    fclose(f);
}

/* A plugin for borough NAME with hooks (a JSON list) and init.lua. */
static void add_plugin(const char *name, const char *hooks, const char *init)
{
    char path[900], json[600];
    snprintf(path, sizeof path, "%s/%s", g_plugins, name);
    mkdir(path, 0700);
    snprintf(json, sizeof json, "{\"name\": \"%s\", \"borough\": \"%s\", \"api_version\": 1,"
             " \"hooks\": %s, \"description\": \"test\"}", name, name, hooks);
    snprintf(path, sizeof path, "%s/%s/plugin.json", g_plugins, name);
    write_file(path, json, strlen(json));
    snprintf(path, sizeof path, "%s/%s/init.lua", g_plugins, name);
    write_file(path, init, strlen(init));
}

static void add_file(const char *owner, const char *file, const char *text, size_t len)
{
    char path[900];
    snprintf(path, sizeof path, "%s/%s/%s", g_plugins, owner, file);
    write_file(path, text, len);
}

/* A probe: report_columns(learner) runs BODY, which fills `out` using
 * col(key, value); the host's checked result comes back. */
static void add_probe(const char *name, const char *body)
{
    char init[8192];
    snprintf(init, sizeof init,
             "local function col(k, v) return { key = k, label = k, value = v } end\n"
             "return { report_columns = function(learner)\n"
             "  local out = {}\n"
             "  do\n"
             "%s\n"
             "  end\n"
             "  return out\n"
             "end }\n", body);
    add_plugin(name, "[\"report_columns\"]", init);
}

static json_t *learner(const char *name)
{
    return json_pack("{ss si}", "name", name, "id", 7);
}

static json_t *probe(const char *name)
{
    json_t *l = learner("probe");
    json_t *r = plugin_report_columns(name, l);
    json_decref(l);
    return r;
}

/* The value of column key in a probe's answer; NULL when absent. */
static json_t *col(json_t *cols, const char *key)
{
    size_t i;
    json_t *c;
    json_array_foreach(cols, i, c)
        if (strcmp(json_string_value(json_object_get(c, "key")), key) == 0)
            return json_object_get(c, "value");
    return NULL;
}

static bool col_true(json_t *cols, const char *key)
{
    return json_is_true(col(cols, key));
}

static json_t *plugin_status(const char *name)
{
    json_t *st = plugin_host_status();
    json_t *found = NULL, *p;
    size_t i;
    json_array_foreach(json_object_get(st, "plugins"), i, p)
        if (strcmp(json_string_value(json_object_get(p, "name")), name) == 0)
            found = json_incref(p);
    json_decref(st);
    return found;
}

static long long hook_stat(const char *name, const char *hook, const char *what)
{
    json_t *p = plugin_status(name), *h;
    size_t i;
    long long v = -1;
    json_array_foreach(json_object_get(p, "hooks"), i, h)
        if (strcmp(json_string_value(json_object_get(h, "name")), hook) == 0)
            v = json_integer_value(json_object_get(h, what));
    json_decref(p);
    return v;
}

static const char *last_failure(const char *name, char *buf, size_t len, int *line)
{
    json_t *p = plugin_status(name);
    json_t *f = json_object_get(p, "last_failure");
    snprintf(buf, len, "%s", json_string_value(json_object_get(f, "message")) ?: "");
    if (line)
        *line = (int)json_integer_value(json_object_get(f, "line"));
    json_decref(p);
    return buf;
}

static const char *load_error(const char *name, char *buf, size_t len, int *line)
{
    json_t *p = plugin_status(name);
    json_t *f = json_object_get(p, "error");
    snprintf(buf, len, "%s", json_string_value(json_object_get(f, "message")) ?: "");
    if (line)
        *line = (int)json_integer_value(json_object_get(f, "line"));
    json_decref(p);
    return buf;
}

static int dump_writer(lua_State *L, const void *p, size_t sz, void *ud)
{
    (void)L;
    luaL_Buffer *b = ud;
    luaL_addlstring(b, p, sz);
    return 0;
}

static char *make_bytecode(size_t *ret_len)
{
    lua_State *L = luaL_newstate();
    luaL_loadstring(L, "return 42");
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    lua_pushvalue(L, 1);
    lua_dump(L, dump_writer, &b, 0);
    lua_pop(L, 1);
    luaL_pushresult(&b);
    size_t n;
    const char *s = lua_tolstring(L, -1, &n);
    char *copy = malloc(n);
    memcpy(copy, s, n);
    *ret_len = n;
    lua_close(L);
    return copy;
}

static char *as_literal(const char *raw, size_t n)
{
    char *lit = malloc(n * 4 + 3), *o = lit;
    *o++ = '"';
    for (size_t i = 0; i < n; i++)
        o += sprintf(o, "\\%d", (unsigned char)raw[i]);
    *o++ = '"';
    *o = '\0';
    return lit;
}

/* Runs f with stderr captured into buf. */
static void capture_stderr(void (*f)(void *), void *arg, char *buf, size_t len)
{
    char path[600];
    snprintf(path, sizeof path, "%s/stderr.txt", g_root);
    fflush(stderr);
    int saved = dup(2);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 2);
    f(arg);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    lseek(fd, 0, SEEK_SET);
    ssize_t n = read(fd, buf, len - 1);
    buf[n > 0 ? n : 0] = '\0';
    for (char *p = buf; *p; p++)      /* one TAP line */
        if (*p == '\n')
            *p = ' ';
    close(fd);
}

static void call_probe(void *name)
{
    json_decref(probe(name));
}

static void write_plugins(void)
{
    /* ---- what is there and what is not ---- */
    add_probe("absent",
        "out[#out+1] = col('io', io == nil)\n"
        "out[#out+1] = col('os_execute', os.execute == nil and os.getenv == nil and os.exit == nil"
        " and os.remove == nil and os.rename == nil and os.tmpname == nil)\n"
        "out[#out+1] = col('require', require == nil and package == nil)\n"
        "out[#out+1] = col('debug', debug == nil)\n"
        "out[#out+1] = col('dofile', dofile == nil and loadfile == nil and collectgarbage == nil)\n"
        "out[#out+1] = col('dump', string.dump == nil and (''):len() == 0 and ('').dump == nil)\n"
        "out[#out+1] = col('pack', string.pack == nil and string.unpack == nil)\n"
        "out[#out+1] = col('os_time', type(os.time()) == 'number' and type(os.date('*t')) == 'table'"
        " and type(os.clock()) == 'number')\n"
        "out[#out+1] = col('G', _G == _ENV and rawget(_G, 'io') == nil)\n"
        "out[#out+1] = col('load_env', load('return io')() == nil and load('return _G')() == _ENV)\n");
    /* ---- bytecode ---- */
    size_t bn;
    char *bc = make_bytecode(&bn);
    char *lit = as_literal(bc, bn);
    char *body = malloc(strlen(lit) * 4 + 2000);
    sprintf(body,
        "local bc = %s\n"
        "out[#out+1] = col('is_bytecode', bc:sub(1, 4) == '\\27Lua')\n"
        "local f1, e1 = load(bc)\n"
        "local f2, e2 = load(bc, 'x', 'b')\n"
        "local f3, e3 = load(bc, 'x', 'bt', {})\n"
        "out[#out+1] = col('refused', f1 == nil and f2 == nil and f3 == nil)\n"
        "out[#out+1] = col('message', tostring(e2))\n"
        "local parts, i = { bc:sub(1, 3), bc:sub(4) }, 0\n"
        "local f4 = load(function() i = i + 1; return parts[i] end)\n"
        "out[#out+1] = col('reader_refused', f4 == nil)\n", lit);
    add_probe("bytecode", body);
    free(body);
    free(lit);
    add_plugin("bytecode-file", "[\"report_columns\"]", "placeholder");
    add_file("bytecode-file", "init.lua", bc, bn);
    free(bc);
    /* ---- the string metatable ---- */
    add_probe("meta-a",
        "out[#out+1] = col('hidden', getmetatable('') == false)\n"
        "out[#out+1] = col('index_refused', not pcall(function() getmetatable('').__index.upper ="
        " function() return 'pwned' end end))\n"
        "string.upper = function() return 'pwned' end\n"
        "string.find = nil\n"
        "out[#out+1] = col('own', ('x'):upper())\n");
    add_probe("meta-b",
        "out[#out+1] = col('upper', ('x'):upper())\n"
        "out[#out+1] = col('find', ('abc'):find('b'))\n");
    /* ---- loops ---- */
    add_probe("loop", "while true do end");
    add_probe("loop-pcall", "pcall(function() while true do end end)");
    add_probe("loop-pcall-return",
        "local ok = pcall(function() while true do end end)\n"
        "out[#out+1] = col('caught', not ok)\n");
    add_probe("loop-coroutine",
        "local co = coroutine.create(function() while true do end end)\n"
        "local ok = coroutine.resume(co)\n"
        "out[#out+1] = col('resumed', ok)\n");
    add_probe("loop-wrap",
        "pcall(coroutine.wrap(function() while true do end end))\n"
        "out[#out+1] = col('after', true)\n");
    add_probe("loop-xpcall",
        "xpcall(function() while true do end end, function(e) while true do end end)\n"
        "out[#out+1] = col('after', true)\n");
    add_probe("loop-xpcall-error",
        "xpcall(function() error('first') end, function(e) while true do end end)\n"
        "out[#out+1] = col('after', true)\n");
    add_probe("loop-later",
        "if not SAVED then SAVED = coroutine.create(function() coroutine.yield(1); while true do end end)\n"
        "  coroutine.resume(SAVED)\n"
        "  out[#out+1] = col('first', true)\n"
        "else coroutine.resume(SAVED) end");
    /* ---- memory ---- */
    add_probe("mem-rep", "local s = string.rep('x', 1024 * 1024 * 1024)\n"
                         "out[#out+1] = col('len', #s)");
    add_probe("mem-rep-huge", "local s = string.rep('x', 64 * 1024 * 1024 * 1024)\n"
                              "out[#out+1] = col('len', #s)");
    add_probe("mem-rep-pcall", "pcall(string.rep, 'x', 1e9)\n"
                               "out[#out+1] = col('after', true)");
    add_probe("mem-table", "local t, chunk = {}, ('x'):rep(100000)\n"
                           "for i = 1, 1e9 do t[i] = chunk .. i end");
    add_probe("mem-table-small", "local t = {}\n"
                                 "for i = 1, 1e12 do t[i] = i end");
    add_probe("mem-concat", "local t = {}\n"
                            "for i = 1, 1000 do t[i] = ('y'):rep(65536) end\n"
                            "local s = table.concat(t)\n"
                            "out[#out+1] = col('len', #s)");
    /* ---- recursion ---- */
    add_probe("recurse", "local function f(n) return 1 + f(n + 1) end\n"
                         "out[#out+1] = col('r', f(1))");
    add_probe("recurse-c", "local function g(s) return (s:gsub('.', g)) end\n"
                           "out[#out+1] = col('r', g('ab'))");
    add_probe("recurse-pcall", "local function f() return pcall(f) end\n"
                               "local ok = f()\n"
                               "out[#out+1] = col('after', true)");
    /* ---- expensive single C calls ---- */
    add_probe("pattern",
        "local s = ('a'):rep(5000)\n"
        "local ok, err = pcall(string.find, s, 'a*a*a*a*a*a*b')\n"
        "out[#out+1] = col('refused', not ok)\n"
        "out[#out+1] = col('message', tostring(err))\n"
        "local ok2 = pcall(function() return s:match('(.-)(.-)(.-)(.-)$') end)\n"
        "out[#out+1] = col('method_refused', not ok2)\n"
        "out[#out+1] = col('trim', ('  hello world  '):match('^%s*(.-)%s*$'))\n"
        "local long = ('word '):rep(4000) .. 'end'\n"
        "out[#out+1] = col('long_trim', long:match('^%s*(.-)%s*$') == long)\n"
        "out[#out+1] = col('date', ('2025-06-02'):match('^(%d+)-(%d+)-(%d+)$'))\n"
        "out[#out+1] = col('plain', s:find('aaab', 1, true) == nil)\n");
    add_probe("pattern-kill", "local s = ('a'):rep(5000)\n"
                              "s:find('a*a*a*a*a*a*b')");
    add_probe("plain-find-bomb",
        "local s = ('a'):rep(4000000)\n"
        "local n = ('a'):rep(2000000) .. 'b'\n"
        "local ok, err = pcall(string.find, s, n, 1, true)\n"
        "out[#out+1] = col('refused', not ok)");
    add_probe("c-loop", "local s = ('x'):rep(1000000)\n"
                        "for i = 1, 1e9 do s:upper() end");
    add_probe("table-move", "local ok, err = pcall(table.move, {}, 1, 1e12, 2)\n"
                            "out[#out+1] = col('refused', not ok)");
    add_probe("table-insert", "local t = {}\n"
                              "for i = 1, 300000 do t[i] = i end\n"
                              "for i = 1, 1e9 do table.insert(t, 1, i) end");
    /* ---- finalizers ---- */
    add_probe("gc",
        "local ok, err = pcall(setmetatable, {}, { __gc = function() end })\n"
        "out[#out+1] = col('refused', not ok)\n"
        "out[#out+1] = col('message', tostring(err))\n"
        "local ok2 = pcall(setmetatable, {}, { __gc = false })\n"
        "out[#out+1] = col('placeholder_refused', not ok2)");
    /* ---- metamethods on returned values ---- */
    add_probe("metamethods",
        "local loop = function() while true do end end\n"
        "local mt = { __index = function() loop() end, __tostring = loop, __pairs = loop,\n"
        "             __len = loop, __eq = loop, __name = 'x', __newindex = loop }\n"
        "out[#out+1] = setmetatable({ key = 'k', label = 'l', value = 1 }, mt)\n"
        "out[#out+1] = setmetatable({ key = 'h', label = 'h' }, { __index = { value = 2 } })\n"
        "return setmetatable(out, mt)");
    add_probe("cycle", "local t = { key = 'k', label = 'l' }\nt.value = t\nout[1] = t");
    add_probe("bad-return", "return { function() end }");
    /* ---- errors ---- */
    add_probe("error-line", "local x = nil\n"
                            "  local y = x.field");
    add_probe("error-table", "error(setmetatable({}, { __tostring = function() while true do end end }))");
    add_probe("flaky",
        "if learner.name == 'loop' then while true do end end\n"
        "COUNT = (COUNT or 0) + 1\n"
        "out[#out+1] = col('count', COUNT)");
    /* ---- permission hooks fail closed ---- */
    add_plugin("closed", "[\"registration_check\"]",
               "return { registration_check = function(reg) while true do end end }\n");
    add_plugin("denies", "[\"registration_check\", \"booking_eligibility\"]",
               "return {\n"
               "  registration_check = function(reg) return cairn.deny('No: ' .. reg.name, 'organisation_id') end,\n"
               "  booking_eligibility = function(l, s) return cairn.needs_approval('ask first') end }\n");
    add_plugin("bad-decision", "[\"registration_check\"]",
               "return { registration_check = function(reg) return 'yes' end }\n");
    /* ---- loading ---- */
    add_plugin("syntax", "[\"report_columns\"]", "local x = \nreturn {");
    add_plugin("missing-hook", "[\"report_columns\", \"expiry\"]",
               "return { report_columns = function() return {} end }");
    add_plugin("extra-hook", "[\"report_columns\"]",
               "return { report_columns = function() return {} end, expiry = function() end }");
    add_plugin("load-loop", "[\"report_columns\"]", "while true do end");
    add_plugin("Bad_Name", "[\"report_columns\"]", "return {}");
    add_probe("imports",
        "local h = import('helper')\n"
        "out[#out+1] = col('helper', h.answer)\n"
        "out[#out+1] = col('cached', import('helper') == h)\n"
        "out[#out+1] = col('dotdot', not pcall(import, '../absent/init'))\n"
        "out[#out+1] = col('missing', not pcall(import, 'nothere'))\n"
        "out[#out+1] = col('init', not pcall(import, 'init'))\n");
    add_file("imports", "helper.lua", "return { answer = 42 }", 22);
    /* ---- storage and phases ---- */
    add_plugin("store-a", "[\"on_completion\", \"report_columns\"]",
               "return {\n"
               "  on_completion = function(e, l) cairn.storage.set('secret', { v = 'A' }) end,\n"
               "  report_columns = function(l)\n"
               "    local ok = pcall(cairn.storage.set, 'x', 1)\n"
               "    return { { key = 'read', label = 'r', value = cairn.storage.get('secret').v },\n"
               "             { key = 'write_refused', label = 'w', value = not ok } }\n"
               "  end }\n");
    add_plugin("store-b", "[\"report_columns\"]",
               "return { report_columns = function(l)\n"
               "  return { { key = 'other', label = 'o', value = cairn.storage.get('secret') == nil },\n"
               "           { key = 'keys', label = 'k', value = #cairn.storage.keys() } } end }\n");
    add_plugin("store-load", "[\"report_columns\"]",
               "local ok = pcall(cairn.storage.get, 'x')\n"
               "LOAD_REFUSED = not ok\n"
               "return { report_columns = function(l)\n"
               "  return { { key = 'load_refused', label = 'l', value = LOAD_REFUSED } } end }\n");
    add_probe("api-readonly",
        "out[#out+1] = col('write', not pcall(function() cairn.today = function() return 'x' end end))\n"
        "out[#out+1] = col('meta', getmetatable(cairn) == false)\n"
        "out[#out+1] = col('date', cairn.date.add('2024-02-29', { years = 1 }))\n"
        "out[#out+1] = col('name', cairn.plugin.name)\n");
}

/* Observers get their learner from here (the server reads the store). */
static json_t *test_learner(int64_t user_id)
{
    return json_pack("{sI ss s{ss}}", "id", (json_int_t)user_id, "name", "Obs", "borough",
                     "slug", "store-a");
}

int main(void)
{
    snprintf(g_root, sizeof g_root, "/tmp/cairn-sandbox-XXXXXX");
    if (!mkdtemp(g_root)) {
        perror("mkdtemp");
        return 2;
    }
    snprintf(g_plugins, sizeof g_plugins, "%s/plugins", g_root);
    mkdir(g_plugins, 0700);
    char err[512];
    if (store_open(g_root, err, sizeof err) != 0) {
        fprintf(stderr, "store_open: %s\n", err);
        return 2;
    }
    write_plugins();
    g_lim = (plugin_limits){ .call_instructions = 1000000, .call_ms = 200,
                             .load_instructions = 5000000, .load_ms = 1000,
                             .memory = 16u << 20 };
    plugin_host_set_learner_source(test_learner);
    int r = plugin_host_start(g_plugins, &g_lim);
    CHECK(r == 0, "the host starts with a folder holding broken plugins too");
    {
        static const char *const broken[] = { "bytecode-file", "syntax", "missing-hook",
                                              "extra-hook", "load-loop", "Bad_Name", NULL };
        json_t *st = plugin_host_status(), *p;
        size_t i;
        int bad = 0, failed = 0;
        json_array_foreach(json_object_get(st, "plugins"), i, p) {
            const char *name = json_string_value(json_object_get(p, "name"));
            bool want_broken = false;
            for (int k = 0; broken[k]; k++)
                want_broken |= strcmp(broken[k], name) == 0;
            bool is_failed = strcmp(json_string_value(json_object_get(p, "state")), "failed") == 0;
            failed += is_failed;
            if (is_failed != want_broken) {
                bad++;
                printf("# %s: %s\n", name, json_dumps(json_object_get(p, "error"), 0));
            }
        }
        CHECK(bad == 0 && failed == 6, "every test plugin loads, except the %d broken on purpose", failed);
        json_decref(st);
    }
    char msg[512];
    int line = 0;
    json_t *c;

    /* ---- absent ---- */
    c = probe("absent");
    CHECK(c != NULL, "a probe runs and answers");
    CHECK(col_true(c, "io"), "io is absent");
    CHECK(col_true(c, "os_execute"), "os.execute, getenv, exit, remove, rename, tmpname are absent");
    CHECK(col_true(c, "require"), "require and package are absent");
    CHECK(col_true(c, "debug"), "debug is absent");
    CHECK(col_true(c, "dofile"), "dofile, loadfile and collectgarbage are absent");
    CHECK(col_true(c, "dump"), "string.dump is absent, also through a string's methods");
    CHECK(col_true(c, "pack"), "string.pack/unpack are absent");
    CHECK(col_true(c, "os_time"), "os.time, os.date and os.clock work");
    CHECK(col_true(c, "G"), "_G is the plugin's own environment");
    CHECK(col_true(c, "load_env"), "load() without env gets the plugin's environment, not the globals");
    json_decref(c);

    /* ---- bytecode ---- */
    c = probe("bytecode");
    CHECK(col_true(c, "is_bytecode"), "the test really hands the plugin a bytecode chunk");
    CHECK(col_true(c, "refused"), "load() refuses bytecode whatever mode or env is asked");
    CHECK(strstr(json_string_value(col(c, "message")) ?: "", "binary chunk") != NULL,
          "the refusal says binary chunks are not loaded (%s)",
          json_string_value(col(c, "message")));
    CHECK(col_true(c, "reader_refused"), "load() with a reader function refuses bytecode too");
    json_decref(c);
    load_error("bytecode-file", msg, sizeof msg, NULL);
    CHECK(strstr(msg, "binary chunk") != NULL, "a plugin whose init.lua is bytecode fails to load (%s)",
          msg);

    /* ---- the string metatable ---- */
    c = probe("meta-a");
    CHECK(col_true(c, "hidden"), "getmetatable('') is hidden (__metatable)");
    CHECK(col_true(c, "index_refused"), "the string metatable's __index cannot be reached to change it");
    CHECK(json_is_string(col(c, "own")) && strcmp(json_string_value(col(c, "own")), "pwned") == 0,
          "a plugin may change its own string library (only its own)");
    json_decref(c);
    c = probe("meta-b");
    CHECK(json_is_string(col(c, "upper")) && strcmp(json_string_value(col(c, "upper")), "X") == 0,
          "another plugin on the same thread still sees the real string.upper");
    CHECK(json_integer_value(col(c, "find")) == 2, "and string.find, which the first one removed");
    json_decref(c);

    /* ---- loops ---- */
    int64_t t0 = plugin_mono_us();
    c = probe("loop");
    int64_t took = plugin_mono_us() - t0;
    CHECK(c == NULL, "an endless loop is stopped and the informational hook answers nothing");
    CHECK(took < 2000000, "and stopped within the budget (%lld ms)", (long long)took / 1000);
    CHECK(hook_stat("loop", "report_columns", "kills") == 1, "the kill is counted");
    last_failure("loop", msg, sizeof msg, &line);
    CHECK(strstr(msg, "stopped") && line == 5, "the failure says where: line %d: %s", line, msg);
    c = probe("loop-pcall");
    CHECK(c == NULL, "an endless loop inside pcall is still stopped");
    c = probe("loop-pcall-return");
    CHECK(c == NULL, "a kill caught by pcall is still a failure, whatever the plugin returns after");
    CHECK(hook_stat("loop-pcall-return", "report_columns", "kills") == 1,
          "and it is counted as a kill");
    c = probe("loop-coroutine");
    CHECK(c == NULL, "an endless loop inside a coroutine is stopped (coroutine.resume cannot hide it)");
    c = probe("loop-wrap");
    CHECK(c == NULL, "an endless loop inside coroutine.wrap is stopped");
    t0 = plugin_mono_us();
    c = probe("loop-xpcall");
    took = plugin_mono_us() - t0;
    CHECK(c == NULL && took < 2000000, "xpcall with a looping handler cannot outlive a kill (%lld ms)",
          (long long)took / 1000);
    c = probe("loop-xpcall-error");
    CHECK(c == NULL, "a looping xpcall handler after an ordinary error is stopped too");
    c = probe("loop-later");
    CHECK(col_true(c, "first"), "a coroutine can be kept for a later call");
    json_decref(c);
    c = probe("loop-later");
    CHECK(c == NULL, "and when it loops in the later call, it is stopped there");

    /* ---- memory ---- */
    c = probe("mem-rep-huge");
    CHECK(c == NULL, "string.rep of 64 GiB is refused (Lua's own size limit)");
    c = probe("mem-rep");
    CHECK(c == NULL, "string.rep of 1 GiB is stopped");
    last_failure("mem-rep", msg, sizeof msg, NULL);
    CHECK(strstr(msg, "memory limit") != NULL, "by the memory cap: %s", msg);
    c = probe("mem-rep-pcall");
    CHECK(c == NULL, "a refused allocation caught by pcall is still a kill");
    t0 = plugin_mono_us();
    c = probe("mem-table");
    CHECK(c == NULL, "a growing table is stopped (%lld ms)", (long long)(plugin_mono_us() - t0) / 1000);
    last_failure("mem-table", msg, sizeof msg, NULL);
    CHECK(strstr(msg, "memory limit") != NULL, "by the memory cap: %s", msg);
    c = probe("mem-table-small");
    CHECK(c == NULL, "a table of small values is stopped too (budget or memory)");
    c = probe("mem-concat");
    CHECK(c == NULL, "table.concat of 64 MiB is stopped by the memory cap");

    /* ---- recursion ---- */
    c = probe("recurse");
    CHECK(c == NULL, "deep Lua recursion is stopped");
    last_failure("recurse", msg, sizeof msg, NULL);
    CHECK(msg[0] != '\0', "with a reason: %s", msg);
    c = probe("recurse-c");
    CHECK(c == NULL, "recursion through C (gsub calling gsub) is stopped");
    c = probe("recurse-pcall");
    CHECK(c == NULL || col_true(c, "after"), "pcall recursion ends (C stack limit) without harm");
    json_decref(c);

    /* ---- expensive single C calls ---- */
    t0 = plugin_mono_us();
    c = probe("pattern");
    took = plugin_mono_us() - t0;
    CHECK(col_true(c, "refused"), "a catastrophic pattern is refused before it runs");
    CHECK(strstr(json_string_value(col(c, "message")) ?: "", "pattern too complex") != NULL,
          "with a clear message: %s", json_string_value(col(c, "message")));
    CHECK(col_true(c, "method_refused"), "also when called as a string method");
    CHECK(took < 200000, "quickly (%lld ms)", (long long)took / 1000);
    CHECK(json_is_string(col(c, "trim")) && !strcmp(json_string_value(col(c, "trim")), "hello world"),
          "ordinary patterns still work");
    CHECK(json_is_string(col(c, "date")), "a date pattern works");
    CHECK(col_true(c, "long_trim"), "trimming 20 000 characters of ordinary text is allowed "
          "(the guard counts the runs each class can match)");
    CHECK(col_true(c, "plain"), "a plain find works");
    json_decref(c);
    c = probe("pattern-kill");
    CHECK(c == NULL, "an uncaught refused pattern fails the call");
    c = probe("plain-find-bomb");
    CHECK(col_true(c, "refused"), "a quadratic plain find (long needle, long subject) is refused");
    json_decref(c);
    t0 = plugin_mono_us();
    c = probe("c-loop");
    took = plugin_mono_us() - t0;
    CHECK(c == NULL && took < 2000000, "a loop of large C calls is charged and stopped (%lld ms)",
          (long long)took / 1000);
    c = probe("table-move");
    CHECK(col_true(c, "refused"), "table.move of a huge range is refused");
    json_decref(c);
    t0 = plugin_mono_us();
    c = probe("table-insert");
    took = plugin_mono_us() - t0;
    CHECK(c == NULL && took < 2000000, "table.insert at the front of a big table is charged (%lld ms)",
          (long long)took / 1000);

    /* ---- finalizers ---- */
    c = probe("gc");
    CHECK(col_true(c, "refused"), "setmetatable with __gc is refused");
    CHECK(col_true(c, "placeholder_refused"), "even a placeholder __gc, to be filled in later");
    json_decref(c);

    /* A __gc added after setmetatable is never called (Lua marks objects
     * for finalization only at setmetatable): collect, and look. */
    {
        plugin p;
        memset(&p, 0, sizeof p);
        pthread_mutex_init(&p.lock, NULL);
        snprintf(p.name, sizeof p.name, "gc-later");
        snprintf(p.borough, sizeof p.borough, "gc-later");
        p.hooks = 1u << HOOK_REPORT_COLUMNS;
        p.files = calloc(1, sizeof *p.files);
        p.nfiles = 1;
        snprintf(p.files[0].name, sizeof p.files[0].name, "init.lua");
        p.files[0].src = strdup(
            "return { report_columns = function()\n"
            "  for i = 1, 100 do\n"
            "    local mt = {}\n"
            "    local obj = setmetatable({}, mt)\n"
            "    rawset(mt, '__gc', function() FINALIZED = true; while true do end end)\n"
            "  end\n"
            "  return {}\n"
            "end }\n");
        p.files[0].len = strlen(p.files[0].src);
        plugin_failure f = { 0 };
        plugin_ctx *pc = pctx_open(&p, &g_lim, false, &f);
        json_t *args = json_pack("[{}]"), *ret = NULL;
        int st = pc ? pctx_call(pc, HOOK_REPORT_COLUMNS, args, &ret, &f) : -1;
        CHECK(st == 0, "a plugin may add __gc to a metatable after the fact (%s)", f.message);
        int64_t g0 = plugin_mono_us();
        if (pc)
            lua_gc(pc->L, LUA_GCCOLLECT);
        bool ran = true;
        if (pc) {
            lua_rawgeti(pc->L, LUA_REGISTRYINDEX, pc->env_ref);
            ran = lua_getfield(pc->L, -1, "FINALIZED") != LUA_TNIL;
            lua_settop(pc->L, 0);
        }
        CHECK(!ran && plugin_mono_us() - g0 < 100000,
              "but no finalizer runs at a later collection");
        json_decref(ret);
        json_decref(args);
        pctx_close(pc);
        plugin_clear(&p);
    }

    /* ---- metamethods on returned values ---- */
    t0 = plugin_mono_us();
    c = probe("metamethods");
    took = plugin_mono_us() - t0;
    CHECK(c != NULL && json_array_size(c) == 2, "a result with looping metamethods converts without "
          "calling them (%lld ms)", (long long)took / 1000);
    CHECK(json_integer_value(col(c, "k")) == 1, "raw fields are read");
    CHECK(json_is_null(col(c, "h")), "fields behind __index are not");
    CHECK(hook_stat("metamethods", "report_columns", "kills") == 0, "and nothing was killed");
    json_decref(c);
    c = probe("cycle");
    CHECK(c == NULL, "a table containing itself is refused, not followed forever");
    c = probe("bad-return");
    CHECK(c == NULL, "a function cannot be returned");

    /* ---- errors ---- */
    char logbuf[8192];
    capture_stderr(call_probe, "error-line", logbuf, sizeof logbuf);
    last_failure("error-line", msg, sizeof msg, &line);
    CHECK(line == 6, "an error in a hook is recorded with its line (%d): %s", line, msg);
    CHECK(strstr(logbuf, "plugin=error-line") && strstr(logbuf, "line=6") &&
          strstr(logbuf, "attempt to index"), "and logged once with the plugin and line: %s", logbuf);
    const char *second = strstr(logbuf, "plugin=error-line");
    CHECK(second && !strstr(second + 1, "plugin=error-line"), "exactly once");
    c = probe("error-table");
    CHECK(c == NULL && hook_stat("error-table", "report_columns", "kills") == 0,
          "an error object with __tostring is reported without calling it");
    json_t *fl = learner("loop");
    c = plugin_report_columns("flaky", fl);
    json_decref(fl);
    CHECK(c == NULL, "a call that is killed ...");
    c = probe("flaky");
    CHECK(c && json_integer_value(col(c, "count")) == 1,
          "... is followed by a call that works normally, on a fresh state");
    json_decref(c);
    c = probe("flaky");
    CHECK(c && json_integer_value(col(c, "count")) == 2, "and that state is kept while it behaves");
    json_decref(c);
    json_t *pst = plugin_status("flaky");
    CHECK(json_integer_value(json_object_get(pst, "states_dropped")) == 1,
          "the killed state was dropped once");
    json_decref(pst);

    /* ---- permission hooks ---- */
    plugin_decision d;
    json_t *reg = json_pack("{ss}", "name", "Sam");
    t0 = plugin_mono_us();
    plugin_registration_check("closed", reg, &d);
    CHECK(d.verdict == PLUGIN_DENY && d.failed, "a permission hook that is killed fails closed");
    CHECK(strstr(d.reason, "cannot be checked") != NULL, "with a neutral reason: %s", d.reason);
    CHECK(plugin_mono_us() - t0 < 2000000, "within the budget");
    plugin_registration_check("denies", reg, &d);
    CHECK(d.verdict == PLUGIN_DENY && !d.failed && !strcmp(d.reason, "No: Sam") &&
          !strcmp(d.field, "organisation_id"), "a plugin's own refusal keeps its reason and field");
    plugin_registration_check("bad-decision", reg, &d);
    CHECK(d.verdict == PLUGIN_DENY && d.failed, "a malformed decision fails closed");
    plugin_registration_check("nobody", reg, &d);
    CHECK(d.verdict == PLUGIN_ALLOW, "a borough without plugins allows");
    json_t *l = learner("x"), *s = json_pack("{ss}", "group", "A");
    plugin_booking_eligibility("denies", l, s, &d);
    CHECK(d.verdict == PLUGIN_NEEDS_APPROVAL && !strcmp(d.reason, "ask first"),
          "booking eligibility can answer needs approval");
    json_decref(l);
    json_decref(s);
    json_decref(reg);

    /* ---- loading ---- */
    load_error("syntax", msg, sizeof msg, &line);
    CHECK(strstr(msg, "init.lua:2") && line == 2, "a syntax error is listed with file and line: %s", msg);
    load_error("missing-hook", msg, sizeof msg, NULL);
    CHECK(strstr(msg, "lists hook 'expiry'"), "a hook listed but not defined fails the load: %s", msg);
    load_error("extra-hook", msg, sizeof msg, NULL);
    CHECK(strstr(msg, "does not list"), "a hook defined but not listed fails the load: %s", msg);
    load_error("load-loop", msg, sizeof msg, NULL);
    CHECK(strstr(msg, "stopped"), "an endless loop at load time is stopped: %s", msg);
    load_error("Bad_Name", msg, sizeof msg, NULL);
    CHECK(msg[0] != '\0', "a badly named folder is listed as failed: %s", msg);
    c = probe("imports");
    CHECK(json_integer_value(col(c, "helper")) == 42 && col_true(c, "cached"),
          "import() loads the plugin's own file once");
    CHECK(col_true(c, "dotdot"), "import() cannot leave the plugin's folder");
    CHECK(col_true(c, "missing") && col_true(c, "init"), "nor load missing files or init.lua again");
    json_decref(c);

    /* ---- storage ---- */
    plugin_observe(HOOK_ON_COMPLETION, 1, json_pack("{ss}", "title", "x"));
    plugin_observe_flush();
    c = probe("store-a");
    CHECK(c && json_is_string(col(c, "read")) && !strcmp(json_string_value(col(c, "read")), "A"),
          "an observer (on the observer thread) writes the plugin's storage; its hooks read it");
    CHECK(c && col_true(c, "write_refused"), "an informational hook cannot write storage");
    json_decref(c);
    c = probe("store-b");
    CHECK(c && col_true(c, "other"), "a plugin sees nothing of another plugin's storage");
    json_decref(c);
    c = probe("store-load");
    CHECK(col_true(c, "load_refused"), "storage cannot be used while loading");
    json_decref(c);
    c = probe("api-readonly");
    CHECK(col_true(c, "write"), "the cairn API cannot be changed");
    CHECK(col_true(c, "meta"), "its metatable is hidden");
    CHECK(json_is_string(col(c, "date")) && !strcmp(json_string_value(col(c, "date")), "2025-02-28"),
          "cairn.date.add clamps 29 February");
    CHECK(json_is_string(col(c, "name")) && !strcmp(json_string_value(col(c, "name")), "api-readonly"),
          "cairn.plugin.name is the plugin's");
    json_decref(c);

    /* ---- the host keeps working after all of this ---- */
    c = probe("absent");
    CHECK(c != NULL, "after every attack above, plugins still answer");
    json_decref(c);
    CHECK(plugin_host_reload() >= 0, "a reload works");
    c = probe("meta-b");
    CHECK(c != NULL, "and states are rebuilt after it");
    json_decref(c);

    plugin_host_stop();
    store_close();
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_root);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", g_root);
    return check_done();
}
