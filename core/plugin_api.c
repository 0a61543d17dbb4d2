/* plugin_api.c: what a plugin's Lua code can ask of the host (the `cairn`
 * table, docs/PLUGIN_API.md "The host API"), and the conversions between
 * Lua values and JSON.
 *
 * The API is read-only towards Cairn: a plugin reads its own borough, the
 * date, and its own storage; it changes nothing but its storage, and only
 * from observers (OpenResty's rule: every function checks the phase it is
 * called in and refuses politely). Storage is namespaced by the plugin's
 * name, which the host supplies: a plugin cannot name another namespace.
 *
 * Every function here charges the run's budget (pctx_check) before doing
 * work, so a loop of API calls is stopped like any other loop. */
#include "plugin_internal.h"
#include "log.h"
#include "store.h"

#include <errno.h>
#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- JSON to Lua ---- */

static void push_json(lua_State *L, json_t *v, int depth)
{
    luaL_checkstack(L, 4, "JSON nesting");
    if (depth > 2 * PLUGIN_JSON_DEPTH_MAX) {
        lua_pushnil(L);
        return;
    }
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        lua_createtable(L, 0, (int)json_object_size(v));
        const char *k;
        json_t *x;
        json_object_foreach(v, k, x) {
            if (json_is_null(x))
                continue;
            lua_pushstring(L, k);
            push_json(L, x, depth + 1);
            lua_rawset(L, -3);
        }
        break;
    }
    case JSON_ARRAY: {
        lua_createtable(L, (int)json_array_size(v), 0);
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) {
            if (json_is_null(x))
                continue;
            push_json(L, x, depth + 1);
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
        break;
    }
    case JSON_STRING:
        lua_pushlstring(L, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        lua_pushinteger(L, (lua_Integer)json_integer_value(v));
        break;
    case JSON_REAL:
        lua_pushnumber(L, json_real_value(v));
        break;
    case JSON_TRUE:
        lua_pushboolean(L, 1);
        break;
    case JSON_FALSE:
        lua_pushboolean(L, 0);
        break;
    default:
        lua_pushnil(L);
    }
}

void papi_push_json(lua_State *L, json_t *v)
{
    if (!v)
        lua_pushnil(L);
    else
        push_json(L, v, 0);
}

/* ---- Lua to JSON, raw ---- */

typedef struct conv {
    int nodes;
    size_t bytes;
    char *err;
    size_t errlen;
} conv;

static json_t *conv_fail(conv *cv, const char *msg)
{
    if (!cv->err[0])
        snprintf(cv->err, cv->errlen, "%s", msg);
    return NULL;
}

/* Never runs Lua code and never allocates in Lua: lua_next, lua_rawgeti
 * and lua_rawlen are raw; numbers are read with lua_tointeger/lua_tonumber,
 * never turned into strings. */
static json_t *to_json(lua_State *L, int idx, int depth, conv *cv)
{
    if (++cv->nodes > PLUGIN_JSON_NODES_MAX)
        return conv_fail(cv, "too many values (more than 20000)");
    switch (lua_type(L, idx)) {
    case LUA_TNIL:
        return json_null();
    case LUA_TBOOLEAN:
        return json_boolean(lua_toboolean(L, idx));
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx))
            return json_integer((json_int_t)lua_tointeger(L, idx));
        if (!isfinite(lua_tonumber(L, idx)))
            return conv_fail(cv, "a number that is not finite (nan or inf)");
        return json_real(lua_tonumber(L, idx));
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(L, idx, &n);
        cv->bytes += n;
        if (cv->bytes > PLUGIN_JSON_BYTES_MAX)
            return conv_fail(cv, "more than 1 MiB of text");
        json_t *j = json_stringn(s, n);
        return j ? j : conv_fail(cv, "text that is not valid UTF-8");
    }
    case LUA_TTABLE:
        break;
    default: {
        char msg[80];
        snprintf(msg, sizeof msg, "a %s (only nil, booleans, numbers, text and tables "
                 "can be returned)", lua_typename(L, lua_type(L, idx)));
        return conv_fail(cv, msg);
    }
    }
    if (depth >= PLUGIN_JSON_DEPTH_MAX)
        return conv_fail(cv, "tables nested more than 16 deep (or a table containing itself)");
    if (!lua_checkstack(L, 4))
        return conv_fail(cv, "no stack space");
    lua_Unsigned n = lua_rawlen(L, idx);
    size_t count = 0;
    bool is_array = true;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        count++;
        if (!(lua_type(L, -1) == LUA_TNUMBER && lua_isinteger(L, -1) &&
              lua_tointeger(L, -1) >= 1 && (lua_Unsigned)lua_tointeger(L, -1) <= n))
            is_array = false;
        if (count > PLUGIN_JSON_NODES_MAX) {
            lua_pop(L, 1);
            return conv_fail(cv, "too many values (more than 20000)");
        }
    }
    if (count == 0)
        return json_array();
    if (is_array && count == n) {
        json_t *a = json_array();
        for (lua_Unsigned i = 1; i <= n; i++) {
            lua_rawgeti(L, idx, (lua_Integer)i);
            json_t *x = to_json(L, lua_gettop(L), depth + 1, cv);
            lua_pop(L, 1);
            if (!x) {
                json_decref(a);
                return NULL;
            }
            json_array_append_new(a, x);
        }
        return a;
    }
    json_t *o = json_object();
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_type(L, -2) != LUA_TSTRING) {
            lua_pop(L, 2);
            json_decref(o);
            return conv_fail(cv, "a table with keys that are neither text nor a list 1..n");
        }
        size_t kn;
        const char *k = lua_tolstring(L, -2, &kn);
        cv->bytes += kn;
        json_t *x = strlen(k) == kn ? to_json(L, lua_gettop(L), depth + 1, cv)
                                    : conv_fail(cv, "a key containing a zero byte");
        lua_pop(L, 1);
        if (!x || json_object_set_new(o, k, x) != 0) {
            lua_pop(L, 1);
            json_decref(o);
            return conv_fail(cv, "a key that is not valid UTF-8");
        }
    }
    return o;
}

int papi_to_json(lua_State *L, int idx, json_t **ret, char *err, size_t errlen)
{
    idx = lua_absindex(L, idx);
    err[0] = '\0';
    if (lua_isnil(L, idx) || lua_isnone(L, idx)) {
        *ret = NULL;
        return 0;
    }
    conv cv = { 0, 0, err, errlen };
    json_t *v = to_json(L, idx, 0, &cv);
    if (!v)
        return -1;
    *ret = v;
    return 0;
}

/* ---- dates ---- */

/* Days since 1970-01-01 in the proleptic Gregorian calendar (the classic
 * era-based formula: 400-year eras of 146097 days, years from March). */
int64_t papi_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void papi_civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static int month_days(int y, int m)
{
    static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

int papi_parse_date(const char *s, int *y, int *m, int *d)
{
    if (!s)
        return -EINVAL;
    for (int i = 0; i < 10; i++) {
        bool dash = i == 4 || i == 7;
        if (dash ? s[i] != '-' : (s[i] < '0' || s[i] > '9'))
            return -EINVAL;
    }
    if (s[10] && s[10] != 'T' && s[10] != ' ')
        return -EINVAL;
    int yy = atoi(s), mm = atoi(s + 5), dd = atoi(s + 8);
    if (yy < 1900 || mm < 1 || mm > 12 || dd < 1 || dd > month_days(yy, mm))
        return -EINVAL;
    *y = yy;
    *m = mm;
    *d = dd;
    return 0;
}

static void push_date(lua_State *L, int y, int m, int d)
{
    lua_pushfstring(L, "%d-%s%d-%s%d", y, m < 10 ? "0" : "", m, d < 10 ? "0" : "", d);
}

static int64_t check_days(lua_State *L, int arg)
{
    int y, m, d;
    const char *s = luaL_checkstring(L, arg);
    if (papi_parse_date(s, &y, &m, &d) != 0)
        luaL_argerror(L, arg, "a date like \"2025-03-31\"");
    return papi_days_from_civil(y, m, d);
}

static int64_t now_seconds(plugin_ctx *c)
{
    return c->fixed_now ? c->fixed_now : (int64_t)time(NULL);
}

static int api_now(lua_State *L)
{
    pctx_check(L);
    lua_pushinteger(L, now_seconds(pctx_of(L)));
    return 1;
}

static int api_today(lua_State *L)
{
    pctx_check(L);
    int y, m, d;
    int64_t s = now_seconds(pctx_of(L));
    papi_civil_from_days(s >= 0 ? s / 86400 : (s - 86399) / 86400, &y, &m, &d);
    push_date(L, y, m, d);
    return 1;
}

static int api_date_valid(lua_State *L)
{
    pctx_check(L);
    int y, m, d;
    lua_pushboolean(L, lua_type(L, 1) == LUA_TSTRING &&
                    papi_parse_date(lua_tostring(L, 1), &y, &m, &d) == 0);
    return 1;
}

static int api_date_parse(lua_State *L)
{
    pctx_check(L);
    int y, m, d;
    if (lua_type(L, 1) != LUA_TSTRING || papi_parse_date(lua_tostring(L, 1), &y, &m, &d)) {
        lua_pushnil(L);
        return 1;
    }
    lua_pushinteger(L, y);
    lua_pushinteger(L, m);
    lua_pushinteger(L, d);
    return 3;
}

static lua_Integer opt_field(lua_State *L, int t, const char *k)
{
    lua_pushstring(L, k);
    lua_rawget(L, t);
    lua_Integer v = 0;
    if (!lua_isnil(L, -1)) {
        if (!lua_isinteger(L, -1))
            luaL_error(L, "cairn.date.add: %s must be a whole number", k);
        v = lua_tointeger(L, -1);
        if (v < -100000 || v > 100000)
            luaL_error(L, "cairn.date.add: %s is out of range", k);
    }
    lua_pop(L, 1);
    return v;
}

/* cairn.date.add("2024-02-29", {years = 1}) == "2025-02-28": months and
 * years keep the day, clamped to the month's last; then days are added. */
static int api_date_add(lua_State *L)
{
    pctx_check(L);
    int y, m, d;
    const char *s = luaL_checkstring(L, 1);
    if (papi_parse_date(s, &y, &m, &d) != 0)
        return luaL_argerror(L, 1, "a date like \"2025-03-31\"");
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_Integer months = (lua_Integer)y * 12 + (m - 1) + opt_field(L, 2, "years") * 12 +
                         opt_field(L, 2, "months");
    lua_Integer days = opt_field(L, 2, "days") + opt_field(L, 2, "weeks") * 7;
    if (months < 1900 * 12 || months > 9999 * 12)
        return luaL_error(L, "cairn.date.add: the result is out of range");
    y = (int)(months / 12);
    m = (int)(months % 12) + 1;
    if (d > month_days(y, m))
        d = month_days(y, m);
    papi_civil_from_days(papi_days_from_civil(y, m, d) + days, &y, &m, &d);
    if (y < 1900 || y > 9999)
        return luaL_error(L, "cairn.date.add: the result is out of range");
    push_date(L, y, m, d);
    return 1;
}

static int api_date_diff(lua_State *L)
{
    pctx_check(L);
    lua_pushinteger(L, check_days(L, 2) - check_days(L, 1));
    return 1;
}

static int api_date_compare(lua_State *L)
{
    pctx_check(L);
    int64_t a = check_days(L, 1), b = check_days(L, 2);
    lua_pushinteger(L, a < b ? -1 : a > b);
    return 1;
}

static int api_date_format(lua_State *L)
{
    static const char *const months[] = { "January", "February", "March", "April", "May",
        "June", "July", "August", "September", "October", "November", "December" };
    pctx_check(L);
    int y, m, d;
    if (papi_parse_date(luaL_checkstring(L, 1), &y, &m, &d) != 0)
        return luaL_argerror(L, 1, "a date like \"2025-03-31\"");
    lua_pushfstring(L, "%d %s %d", d, months[m - 1], y);
    return 1;
}

/* ---- decisions ---- */

/* {decision = what, reason = arg 1, field = arg 2}; nargs: how many of the
 * arguments this helper takes. */
static int decision(lua_State *L, const char *what, int nargs)
{
    pctx_check(L);
    lua_settop(L, nargs);
    for (int i = 1; i <= nargs; i++)
        if (!lua_isnil(L, i))
            luaL_checkstring(L, i);
    lua_createtable(L, 0, 3);
    lua_pushstring(L, what);
    lua_setfield(L, -2, "decision");
    if (nargs >= 1 && !lua_isnil(L, 1)) {
        lua_pushvalue(L, 1);
        lua_setfield(L, -2, "reason");
    }
    if (nargs >= 2 && !lua_isnil(L, 2)) {
        lua_pushvalue(L, 2);
        lua_setfield(L, -2, "field");
    }
    return 1;
}

static int api_allow(lua_State *L) { return decision(L, "allow", 0); }
static int api_deny(lua_State *L) { return decision(L, "deny", 2); }
static int api_needs_approval(lua_State *L) { return decision(L, "needs_approval", 1); }

/* ---- logging ---- */

static int api_log(lua_State *L)
{
    pctx_check(L);
    plugin_ctx *c = pctx_of(L);
    if (c->log_lines >= PLUGIN_LOG_LINES_MAX)
        return 0;
    char line[400];
    size_t o = 0;
    for (int i = 1, n = lua_gettop(L); i <= n && o < sizeof line - 1; i++) {
        char part[64];
        const char *s = part;
        size_t len;
        switch (lua_type(L, i)) {
        case LUA_TSTRING:
            s = lua_tolstring(L, i, &len);
            break;
        case LUA_TNUMBER:
            if (lua_isinteger(L, i))
                snprintf(part, sizeof part, "%lld", (long long)lua_tointeger(L, i));
            else
                snprintf(part, sizeof part, "%.14g", lua_tonumber(L, i));
            len = strlen(part);
            break;
        case LUA_TBOOLEAN:
            snprintf(part, sizeof part, "%s", lua_toboolean(L, i) ? "true" : "false");
            len = strlen(part);
            break;
        default:     /* no __tostring: the host never runs plugin metamethods */
            snprintf(part, sizeof part, "<%s>", luaL_typename(L, i));
            len = strlen(part);
        }
        if (i > 1)
            line[o++] = ' ';
        size_t take = len < sizeof line - 1 - o ? len : sizeof line - 1 - o;
        memcpy(line + o, s, take);
        o += take;
    }
    line[o] = '\0';
    for (size_t i = 0; i < o; i++)
        if ((unsigned char)line[i] < ' ')
            line[i] = ' ';
    if (++c->log_lines == PLUGIN_LOG_LINES_MAX)
        snprintf(line, sizeof line, "(more than %d lines in one call: the rest are dropped)",
                 PLUGIN_LOG_LINES_MAX);
    if (c->test_mode)
        printf("# %s: %s\n", c->p->name, line);
    else
        log_info("plugins", "plugin=%s hook=%s says: %s", c->p->name,
                 c->running ? c->running : "-", line);
    return 0;
}

/* ---- phases ---- */

static const char *phase_name(plugin_phase p)
{
    switch (p) {
    case PHASE_LOAD: return "init.lua (loading)";
    case PHASE_DECIDE: return "a permission hook";
    case PHASE_QUERY: return "an informational hook";
    case PHASE_OBSERVE: return "an observer";
    case PHASE_TEST: return "a test";
    default: return "no hook call";
    }
}

static void need_phase(lua_State *L, const char *fn, bool write)
{
    plugin_ctx *c = pctx_of(L);
    bool ok = write ? c->phase == PHASE_OBSERVE || c->phase == PHASE_TEST
                    : c->phase != PHASE_LOAD && c->phase != PHASE_IDLE;
    if (!ok)
        luaL_error(L, "%s is not available in %s%s", fn, phase_name(c->phase),
                   write ? ": storage is written only from observers (on_completion, ...)"
                         : "");
}

/* ---- the plugin's own storage ---- */

static const char *check_key(lua_State *L, int arg)
{
    size_t n;
    const char *k = luaL_checklstring(L, arg, &n);
    if (n == 0 || n > PLUGIN_KEY_MAX || strlen(k) != n)
        luaL_argerror(L, arg, "a key of 1 to 128 bytes");
    return k;
}

static int storage_fail(lua_State *L, int r)
{
    return luaL_error(L, "cairn.storage: the storage is not available (%s)", strerror(-r));
}

static int api_storage_get(lua_State *L)
{
    pctx_check(L);
    need_phase(L, "cairn.storage.get", false);
    plugin_ctx *c = pctx_of(L);
    const char *key = check_key(L, 1);
    json_t *v = NULL;
    if (c->test_mode) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, c->storage_ref);
        lua_pushvalue(L, 1);
        if (lua_rawget(L, -2) == LUA_TSTRING)
            v = json_loads(lua_tostring(L, -1), JSON_DECODE_ANY, NULL);
    } else {
        char *text = NULL;
        int r = store_plugin_kv_get(c->p->name, key, &text);
        if (r && r != -ENOENT)
            return storage_fail(L, r);
        if (text)
            v = json_loads(text, JSON_DECODE_ANY, NULL);
        free(text);
    }
    lua_settop(L, 1);
    papi_push_json(L, v);
    json_decref(v);
    return 1;
}

static int storage_count(lua_State *L, plugin_ctx *c, int64_t *ret)
{
    if (!c->test_mode)
        return store_plugin_kv_count(c->p->name, ret);
    int64_t n = 0;
    lua_rawgeti(L, LUA_REGISTRYINDEX, c->storage_ref);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_pop(L, 1);
        n++;
    }
    lua_pop(L, 1);
    *ret = n;
    return 0;
}

static int api_storage_set(lua_State *L)
{
    pctx_check(L);
    need_phase(L, "cairn.storage.set", true);
    plugin_ctx *c = pctx_of(L);
    const char *key = check_key(L, 1);
    lua_settop(L, 2);
    char err[200];
    json_t *v = NULL;
    if (papi_to_json(L, 2, &v, err, sizeof err) != 0)
        return luaL_error(L, "cairn.storage.set: the value cannot be stored: %s", err);
    char *text = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
    json_decref(v);
    if (v && !text)
        return luaL_error(L, "cairn.storage.set: out of memory");
    size_t len = text ? strlen(text) : 0;
    if (len > PLUGIN_VALUE_MAX) {
        free(text);
        return luaL_error(L, "cairn.storage.set: the value is %d bytes as JSON; the limit "
                          "is %d", (int)len, PLUGIN_VALUE_MAX);
    }
    int r = 0;
    if (c->test_mode) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, c->storage_ref);
        lua_pushvalue(L, 1);
        bool exists = lua_rawget(L, -2) != LUA_TNIL;
        lua_pop(L, 1);
        int64_t n = 0;
        if (text && !exists && storage_count(L, c, &n) == 0 && n >= PLUGIN_KEYS_MAX) {
            free(text);
            return luaL_error(L, "cairn.storage.set: more than %d keys", PLUGIN_KEYS_MAX);
        }
        lua_pushvalue(L, 1);
        if (text)
            lua_pushstring(L, text);
        else
            lua_pushnil(L);
        free(text);
        lua_rawset(L, -3);
        return 0;
    }
    if (!text) {
        r = store_plugin_kv_delete(c->p->name, key);
    } else {
        char *old = NULL;
        int64_t n = 0;
        r = store_plugin_kv_get(c->p->name, key, &old);
        free(old);
        if (r == -ENOENT && (r = store_plugin_kv_count(c->p->name, &n)) == 0 &&
            n >= PLUGIN_KEYS_MAX) {
            free(text);
            return luaL_error(L, "cairn.storage.set: more than %d keys", PLUGIN_KEYS_MAX);
        }
        if (r == 0 || r == -ENOENT)
            r = store_plugin_kv_set(c->p->name, key, text);
    }
    free(text);
    if (r)
        return storage_fail(L, r);
    return 0;
}

static int api_storage_delete(lua_State *L)
{
    lua_settop(L, 1);
    lua_pushnil(L);
    return api_storage_set(L);
}

static int api_storage_keys(lua_State *L)
{
    pctx_check(L);
    need_phase(L, "cairn.storage.keys", false);
    plugin_ctx *c = pctx_of(L);
    const char *prefix = luaL_optstring(L, 1, "");
    json_t *keys = NULL;
    if (c->test_mode) {
        keys = json_array();
        lua_rawgeti(L, LUA_REGISTRYINDEX, c->storage_ref);
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            lua_pop(L, 1);
            const char *k = lua_tostring(L, -1);
            if (strncmp(k, prefix, strlen(prefix)) == 0 && json_array_size(keys) < 1000)
                json_array_append_new(keys, json_string(k));
        }
        lua_pop(L, 1);
        /* the same order as the database gives */
        size_t n = json_array_size(keys);
        for (size_t i = 1; i < n; i++)
            for (size_t j = i; j > 0 && strcmp(json_string_value(json_array_get(keys, j - 1)),
                                              json_string_value(json_array_get(keys, j))) > 0; j--) {
                json_t *a = json_incref(json_array_get(keys, j - 1));
                json_array_set(keys, j - 1, json_array_get(keys, j));
                json_array_set_new(keys, j, a);
            }
    } else {
        int r = store_plugin_kv_keys(c->p->name, prefix, 1000, &keys);
        if (r)
            return storage_fail(L, r);
    }
    papi_push_json(L, keys);
    json_decref(keys);
    return 1;
}

/* ---- reading Cairn ---- */

/* cairn.borough(): the plugin's own borough and its organisations. */
static int api_borough(lua_State *L)
{
    pctx_check(L);
    need_phase(L, "cairn.borough", false);
    plugin_ctx *c = pctx_of(L);
    if (c->test_mode) {
        lua_pushliteral(L, "cairn.test.borough");
        if (lua_rawget(L, LUA_REGISTRYINDEX) == LUA_TTABLE)
            return 1;
        lua_pop(L, 1);
        lua_createtable(L, 0, 4);
        lua_pushinteger(L, 1);
        lua_setfield(L, -2, "id");
        lua_pushstring(L, c->p->borough);
        lua_setfield(L, -2, "slug");
        lua_pushstring(L, c->p->borough);
        lua_setfield(L, -2, "name");
        lua_newtable(L);
        lua_setfield(L, -2, "organisations");
        return 1;
    }
    int64_t id;
    json_t *b = NULL;
    int r = store_borough_find(c->p->borough, &id);
    if (r == 0)
        r = store_borough_context_json(id, &b);
    if (r == -ENOENT) {
        lua_pushnil(L);
        return 1;
    }
    if (r)
        return luaL_error(L, "cairn.borough: not available (%s)", strerror(-r));
    papi_push_json(L, b);
    json_decref(b);
    return 1;
}

/* ---- read-only tables ---- */

static int ro_newindex(lua_State *L)
{
    return luaL_error(L, "the cairn API is read-only");
}

/* Replaces the table on top with an empty proxy that reads from it and
 * refuses writes; its metatable is hidden. */
static void make_readonly(lua_State *L)
{
    lua_newtable(L);
    lua_createtable(L, 0, 3);
    lua_pushvalue(L, -3);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, ro_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    lua_remove(L, -2);
}

static const luaL_Reg api_funcs[] = {
    { "now", api_now }, { "today", api_today }, { "log", api_log },
    { "allow", api_allow }, { "deny", api_deny }, { "needs_approval", api_needs_approval },
    { "borough", api_borough }, { NULL, NULL },
};
static const luaL_Reg date_funcs[] = {
    { "valid", api_date_valid }, { "parse", api_date_parse }, { "add", api_date_add },
    { "diff_days", api_date_diff }, { "compare", api_date_compare },
    { "format", api_date_format }, { NULL, NULL },
};
static const luaL_Reg storage_funcs[] = {
    { "get", api_storage_get }, { "set", api_storage_set }, { "delete", api_storage_delete },
    { "keys", api_storage_keys }, { NULL, NULL },
};

void papi_install(plugin_ctx *c, int env)
{
    lua_State *L = c->L;
    env = lua_absindex(L, env);
    luaL_newlib(L, api_funcs);
    lua_pushinteger(L, PLUGIN_API_VERSION);
    lua_setfield(L, -2, "api_version");
    lua_createtable(L, 0, 2);
    lua_pushstring(L, c->p->name);
    lua_setfield(L, -2, "name");
    lua_pushstring(L, c->p->borough);
    lua_setfield(L, -2, "borough");
    make_readonly(L);
    lua_setfield(L, -2, "plugin");
    luaL_newlib(L, date_funcs);
    make_readonly(L);
    lua_setfield(L, -2, "date");
    luaL_newlib(L, storage_funcs);
    make_readonly(L);
    lua_setfield(L, -2, "storage");
    make_readonly(L);
    lua_setfield(L, env, "cairn");
    lua_pushcfunction(L, api_log);
    lua_setfield(L, env, "print");
}
