/* plugin_host.c: loading borough plugins, the sandbox, the budgets, the
 * per-thread Lua states and hook dispatch (see plugin_host.h and
 * docs/PLUGIN_API.md).
 *
 * The sandbox, as invariants:
 *  1. A plugin's chunks see only their _ENV: an allow-list of base
 *     functions, string/table/math/utf8, os.time/date/clock/difftime, a
 *     wrapped coroutine table, import() for the plugin's own files, and
 *     the read-only cairn API (plugin_api.c). io, os.execute, debug,
 *     package/require, dofile, collectgarbage and string.dump do not exist.
 *  2. Chunks are text only: every load goes through luaL_loadbufferx with
 *     mode "t", and the load() we give plugins forces "t" and their _ENV.
 *  3. Each plugin has its own lua_State on each thread, so nothing (the
 *     string metatable included, which is also locked with __metatable)
 *     is shared between plugins or threads.
 *  4. Every run of plugin code (init.lua, a hook call, a test case) has an
 *     instruction budget and a wall-clock deadline, enforced by a count
 *     hook every HOOK_STEP instructions. Coroutines inherit the hook (and
 *     coroutine.create/wrap set it explicitly). C functions that do work
 *     proportional to their input charge the budget for it and check the
 *     deadline before they start; pattern functions first refuse a
 *     subject/pattern pair whose worst case is too expensive.
 *  5. A kill is sticky: once a run is killed, the hook fires on every
 *     instruction of the main thread and of the coroutine that was running
 *     (any other coroutine at its next check, within HOOK_STEP
 *     instructions) and raises again, so pcall/xpcall/coroutine.resume
 *     cannot swallow it; xpcall handlers are not called after a kill (an
 *     error raised inside a count hook would otherwise run the handler
 *     with hooks off); and the host treats the run as failed whatever Lua
 *     returns. A killed state is closed, and the next call builds a fresh
 *     one.
 *  6. Memory is counted by the state's allocator against a cap; a refused
 *     allocation kills the run. setmetatable refuses __gc, so no finalizer
 *     can run after a hook returns; results are converted with raw access
 *     only, so no __index/__tostring/__pairs runs in the host.
 *
 * States and threads:
 *   g_set --reload--> new set, generation+1         [plugin_host_reload]
 *   thread sees a new generation --> closes its states, takes the new set
 *                                                    [thread_get]
 *   first call of plugin i on a thread --> pctx_open  [thread_ctx]
 *   a killed call --> pctx_close; rebuilt on the next call
 *   thread exit --> every state closed, set released  [thread_free]
 */
#include "plugin_internal.h"
#include "log.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <lauxlib.h>
#include <lualib.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum {
    HOOK_STEP = 1000,                 /* instructions between budget checks */
    OBSERVER_QUEUE = 1024,
    MANIFEST_BYTES_MAX = 64 * 1024,
    TABLE_SORT_MAX = 200000,          /* elements table.sort sorts in C */
    TABLE_MOVE_MAX = 1000000,
};
/* Worst-case steps a single pattern call may take (see pattern_guard). */
static const double PATTERN_COST_MAX = 2e7;

static const char *const hook_names[HOOK_COUNT] = {
    "registration_check", "booking_eligibility", "required_training", "expiry",
    "local_contacts", "report_columns", "charge", "on_completion", "on_expiry",
    "on_booking_change", "on_attendance",
};

const char *plugin_hook_name(plugin_hook h)
{
    return (unsigned)h < HOOK_COUNT ? hook_names[h] : "?";
}

int plugin_hook_parse(const char *name)
{
    for (int i = 0; i < HOOK_COUNT; i++)
        if (name && strcmp(name, hook_names[i]) == 0)
            return i;
    return -1;
}

plugin_phase plugin_hook_phase(plugin_hook h)
{
    switch (h) {
    case HOOK_REGISTRATION_CHECK:
    case HOOK_BOOKING_ELIGIBILITY:
        return PHASE_DECIDE;
    case HOOK_REQUIRED_TRAINING:
    case HOOK_EXPIRY:
    case HOOK_LOCAL_CONTACTS:
    case HOOK_REPORT_COLUMNS:
    case HOOK_CHARGE:
        return PHASE_QUERY;
    default:
        return PHASE_OBSERVE;
    }
}

plugin_limits plugin_default_limits(void)
{
    return (plugin_limits){
        .call_instructions = 2000000, .call_ms = 200,
        .load_instructions = 20000000, .load_ms = 1000,
        .memory = 32u << 20,
    };
}

int64_t plugin_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void plugin_now_iso(char buf[24])
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(buf, 24, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

plugin_ctx *pctx_of(lua_State *L)
{
    void *ud = NULL;
    lua_getallocf(L, &ud);
    return ud;
}

/* ---- budgets ---- */

static void count_hook(lua_State *L, lua_Debug *ar);

/* Marks the run killed (once: the first reason and place are kept) and
 * arms the hook on every instruction of L and of the main thread. level is
 * the stack level of the Lua code at fault: 0 inside the count hook, 1 in
 * a C function called from Lua, -1 when unknown (the allocator). */
static void kill_run(plugin_ctx *c, lua_State *L, int level, const char *why)
{
    if (!c->killed) {
        c->killed = true;
        snprintf(c->kill_reason, sizeof c->kill_reason, "%s", why);
    }
    if (L && level >= 0 && c->kill_line == 0) {
        lua_Debug ar;
        for (int lv = level; lv < level + 3 && lua_getstack(L, lv, &ar); lv++) {
            if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0) {
                snprintf(c->kill_file, sizeof c->kill_file, "%s", ar.short_src);
                c->kill_line = ar.currentline;
                break;
            }
        }
    }
    /* lua_sethook may be called at any time, even from a signal handler,
     * so doing it from the allocator is fine. */
    if (L)
        lua_sethook(L, count_hook, LUA_MASKCOUNT, 1);
    if (c->L && c->L != L)
        lua_sethook(c->L, count_hook, LUA_MASKCOUNT, 1);
}

static int raise_kill(plugin_ctx *c, lua_State *L)
{
    if (c->kill_line > 0)
        lua_pushfstring(L, "%s:%d: stopped: %s", c->kill_file, c->kill_line, c->kill_reason);
    else
        lua_pushfstring(L, "stopped: %s", c->kill_reason);
    return lua_error(L);
}

static void count_hook(lua_State *L, lua_Debug *ar)
{
    plugin_ctx *c = pctx_of(L);
    if (!c->killed) {
        c->instructions += HOOK_STEP;
        if (c->phase == PHASE_IDLE)
            kill_run(c, L, 0, "plugin code ran outside a hook call");
        else if (c->instructions > c->instruction_limit)
            kill_run(c, L, 0, "the instruction budget ran out (an endless loop?)");
        else if (plugin_mono_us() > c->deadline_us)
            kill_run(c, L, 0, "the time limit ran out");
        else
            return;
    } else {
        kill_run(c, L, 0, NULL);   /* re-arm, and note where if not known */
    }
    raise_kill(c, L);
}

/* Charges units to the budget from a C function and checks the deadline
 * (the clock is read again once 256 units have been charged since the last
 * reading, so a large charge reads it at once); raises the kill (again)
 * when the run is over. */
static void charge(lua_State *L, uint64_t units)
{
    plugin_ctx *c = pctx_of(L);
    if (!c->killed) {
        c->instructions += units;
        if (c->phase == PHASE_IDLE) {
            kill_run(c, L, 1, "plugin code ran outside a hook call");
        } else if (c->instructions > c->instruction_limit) {
            kill_run(c, L, 1, "the instruction budget ran out");
        } else if (c->instructions < c->clock_check_at) {
            return;
        } else {
            c->clock_check_at = c->instructions + 256;
            if (plugin_mono_us() <= c->deadline_us)
                return;
            kill_run(c, L, 1, "the time limit ran out");
        }
    }
    raise_kill(c, L);
}

void pctx_check(lua_State *L)
{
    charge(L, 1);
}

/* The allocator: counts every byte against the cap. When ptr is NULL,
 * osize is a type tag, not a size. Shrinking never fails, as Lua needs. */
static void *counting_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    plugin_ctx *c = ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        c->mem_used -= old;
        return NULL;
    }
    if (nsize > old && c->mem_used - old + nsize > c->limits.memory) {
        if (c->phase != PHASE_IDLE)
            kill_run(c, NULL, -1, "the memory limit was reached");
        return NULL;
    }
    void *n = realloc(ptr, nsize);
    if (!n)
        return NULL;
    c->mem_used = c->mem_used - old + nsize;
    return n;
}

void pctx_begin(plugin_ctx *c, plugin_phase phase, const char *running,
                uint64_t instructions, unsigned ms)
{
    c->phase = phase;
    c->running = running;
    c->instructions = 0;
    c->clock_check_at = 0;
    c->instruction_limit = instructions;
    c->deadline_us = plugin_mono_us() + (int64_t)ms * 1000;
    c->killed = false;
    c->kill_reason[0] = c->kill_file[0] = '\0';
    c->kill_line = 0;
    c->log_lines = 0;
    lua_sethook(c->L, count_hook, LUA_MASKCOUNT, HOOK_STEP);
}

void pctx_end(plugin_ctx *c)
{
    c->phase = PHASE_IDLE;
    c->running = NULL;
}

/* ---- the sandbox: wrapped functions ---- */

/* How a guarded library function is charged before it runs. */
enum { COST_STR, COST_TABLE_N, COST_INSERT, COST_REMOVE, COST_UNPACK, COST_MOVE,
       COST_SORT, COST_PATTERN_FIND, COST_PATTERN_MATCH, COST_PATTERN_GMATCH,
       COST_PATTERN_GSUB };

static uint64_t string_args_bytes(lua_State *L)
{
    uint64_t bytes = 0;
    for (int i = 1, n = lua_gettop(L); i <= n; i++)
        if (lua_type(L, i) == LUA_TSTRING)
            bytes += lua_rawlen(L, i);
    return bytes;
}

static uint64_t table_len(lua_State *L, int i)
{
    return lua_type(L, i) == LUA_TTABLE ? (uint64_t)lua_rawlen(L, i) : 0;
}

static bool is_special(char ch)
{
    return strchr("^$*+?.([%-", ch) != NULL;
}

/* ---- the pattern guard ----
 *
 * Lua patterns backtrack. At one starting position, a quantified item (x*,
 * x+, x-) tries every length up to the longest run of subject characters
 * its class x can match, and the items after it are retried for each; so
 * the work of one attempt is at most
 *     (pattern length + 1) * product over quantified items of (run + 1)
 * times 2 for each '?', where run is the longest run of the subject that
 * the item's class matches (the whole subject for '.', for %b, which
 * scans ahead, and for back-references %1-%9). An unanchored pattern is
 * tried at each of the n + 1 positions. A call whose bound is over
 * PATTERN_COST_MAX is refused before it starts: a catastrophic pattern
 * never runs. The bound is deterministic (the same subject and pattern are
 * always refused or always allowed). Measured against Lua's matcher, the
 * slowest call it allows ("a*b" or ".-b" on 1500 a's) takes about 10 ms.
 * Ordinary patterns on ordinary text stay far below it, because their
 * classes match short runs ("^%s*(.-)%s*$" on a sentence). */

typedef struct cset {
    unsigned char bits[32];
} cset;

static bool cset_has(const cset *s, unsigned c)
{
    return s->bits[c >> 3] & (1u << (c & 7));
}

/* Lua's character classes (lstrlib.c match_class), in the "C" locale. */
static bool class_match(int c, int cl)
{
    bool r;
    switch (tolower(cl)) {
    case 'a': r = isalpha(c); break;
    case 'c': r = iscntrl(c); break;
    case 'd': r = isdigit(c); break;
    case 'g': r = isgraph(c); break;
    case 'l': r = islower(c); break;
    case 'p': r = ispunct(c); break;
    case 's': r = isspace(c); break;
    case 'u': r = isupper(c); break;
    case 'w': r = isalnum(c); break;
    case 'x': r = isxdigit(c); break;
    default: return cl == c;
    }
    return isupper(cl) ? !r : r;
}

/* [set] with p at '[' and ec at its ']' (lstrlib.c matchbracketclass). */
static bool bracket_match(int c, const char *p, const char *ec)
{
    bool sig = true;
    if (p[1] == '^') {
        sig = false;
        p++;
    }
    while (++p < ec) {
        if (*p == '%') {
            p++;
            if (class_match(c, (unsigned char)*p))
                return sig;
        } else if (p[1] == '-' && p + 2 < ec) {
            p += 2;
            if ((unsigned char)p[-2] <= c && c <= (unsigned char)*p)
                return sig;
        } else if ((unsigned char)*p == c) {
            return sig;
        }
    }
    return !sig;
}

/* The characters the single-character class p[i..end) matches. */
static void item_set(const char *p, size_t i, size_t end, cset *out)
{
    memset(out, 0, sizeof *out);
    for (int c = 0; c < 256; c++) {
        bool m;
        if (p[i] == '.')
            m = true;
        else if (p[i] == '%')
            m = class_match(c, (unsigned char)p[i + 1]);
        else if (p[i] == '[')
            m = bracket_match(c, p + i, p + end - 1);
        else
            m = (unsigned char)p[i] == c;
        if (m)
            out->bits[c >> 3] |= (unsigned char)(1u << (c & 7));
    }
}

static size_t longest_run(const unsigned char *s, size_t n, const cset *set)
{
    size_t best = 0, run = 0;
    for (size_t i = 0; i < n; i++) {
        run = cset_has(set, s[i]) ? run + 1 : 0;
        if (run > best)
            best = run;
    }
    return best;
}

/* The index just after the single-character class at p[i] (".", "x",
 * "%a", "[set]"), or lp + 1 when the pattern is malformed (then Lua itself
 * raises the error when the call runs). Mirrors lstrlib.c's classEnd. */
static size_t class_end(const char *p, size_t lp, size_t i)
{
    if (p[i] == '%')
        return i + 2 <= lp ? i + 2 : lp + 1;
    if (p[i] != '[')
        return i + 1;
    size_t j = i + 1;
    if (j < lp && p[j] == '^')
        j++;
    do {
        if (j >= lp)
            return lp + 1;
        if (p[j++] == '%' && j < lp)
            j++;
    } while (j < lp && p[j] != ']');
    return j < lp ? j + 1 : lp + 1;
}

/* The bound above; with exact false every quantified item counts the
 * whole subject (no scan: enough for short subjects). */
static double pattern_cost(const unsigned char *s, size_t ls, const char *p, size_t lp,
                           int kind, bool exact)
{
    double n = (double)ls + 1, cost = (double)lp + 1;
    bool anchored = lp > 0 && p[0] == '^' && kind != COST_PATTERN_GMATCH;
    if (!anchored)
        cost *= n;
    size_t i = anchored ? 1 : 0;
    while (i < lp && cost <= PATTERN_COST_MAX) {
        char ch = p[i];
        if (ch == '(' || ch == ')' || (ch == '$' && i + 1 == lp)) {
            i++;
            continue;
        }
        if (ch == '%' && i + 1 < lp) {
            char e = p[i + 1];
            if (e == 'b') {                     /* %bxy scans ahead */
                cost *= n;
                i += 4;
                continue;
            }
            if (e >= '0' && e <= '9') {         /* back-reference */
                cost *= n;
                i += 2;
                continue;
            }
            if (e == 'f') {                     /* frontier: one step */
                i += 2;
                if (i >= lp || p[i] != '[')
                    break;
                i = class_end(p, lp, i);
                continue;
            }
        }
        size_t end = class_end(p, lp, i);
        if (end > lp)
            break;
        if (end < lp && (p[end] == '*' || p[end] == '+' || p[end] == '-')) {
            if (exact) {
                cset set;
                item_set(p, i, end, &set);
                cost *= (double)longest_run(s, ls, &set) + 1;
            } else {
                cost *= n;
            }
            end++;
        } else if (end < lp && p[end] == '?') {
            cost *= 2;
            end++;
        }
        i = end;
    }
    return cost;
}

static void pattern_guard(lua_State *L, int kind)
{
    size_t ls, lp;
    const unsigned char *s = (const unsigned char *)luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    lua_Integer init = kind == COST_PATTERN_GSUB ? 1 : luaL_optinteger(L, 3, 1);
    if (init < 0)
        init = (lua_Integer)ls + init + 1;
    if (init > 1 && (size_t)init <= ls + 1) {      /* the part actually searched */
        s += init - 1;
        ls -= (size_t)init - 1;
    }
    bool plain = kind == COST_PATTERN_FIND && lua_toboolean(L, 4);
    if (!plain && (kind == COST_PATTERN_FIND || kind == COST_PATTERN_MATCH)) {
        plain = true;           /* no specials: Lua does a plain search */
        for (size_t i = 0; i < lp; i++)
            if (is_special(p[i]))
                plain = false;
    }
    double cost = plain ? ((double)lp + 1) * ((double)ls + 1)
                        : pattern_cost(s, ls, p, lp, kind, false);
    if (!plain && cost > PATTERN_COST_MAX)
        cost = pattern_cost(s, ls, p, lp, kind, true);   /* the scan is charged too */
    if (cost > PATTERN_COST_MAX)
        luaL_error(L, "pattern too complex for a %d-byte subject: it could run for a very "
                   "long time (simplify the pattern or shorten the subject)", (int)ls);
}

static void guard_charge(lua_State *L, int kind)
{
    uint64_t n, units = 1;
    switch (kind) {
    case COST_STR:
        units += string_args_bytes(L) / 16;
        break;
    case COST_TABLE_N:
        units += table_len(L, 1) + string_args_bytes(L) / 16;
        break;
    case COST_INSERT:
        /* insert(t, pos, v) shifts the elements after pos */
        n = table_len(L, 1);
        if (lua_gettop(L) >= 3 && lua_isinteger(L, 2) && lua_tointeger(L, 2) >= 1 &&
            (uint64_t)lua_tointeger(L, 2) <= n)
            units += n - (uint64_t)lua_tointeger(L, 2) + 1;
        break;
    case COST_REMOVE:
        n = table_len(L, 1);
        if (lua_gettop(L) >= 2 && lua_isinteger(L, 2) && lua_tointeger(L, 2) >= 1 &&
            (uint64_t)lua_tointeger(L, 2) <= n)
            units += n - (uint64_t)lua_tointeger(L, 2) + 1;
        break;
    case COST_UNPACK: {
        lua_Integer i = luaL_optinteger(L, 2, 1);
        lua_Integer j = lua_isnoneornil(L, 3) ? (lua_Integer)table_len(L, 1)
                                               : luaL_checkinteger(L, 3);
        if (j >= i)
            units += (uint64_t)j - (uint64_t)i;
        break;
    }
    case COST_MOVE: {
        lua_Integer f = luaL_checkinteger(L, 2), e = luaL_checkinteger(L, 3);
        if (e >= f && (uint64_t)e - (uint64_t)f >= TABLE_MOVE_MAX)
            luaL_error(L, "table.move of more than %d elements is not allowed in plugins",
                       TABLE_MOVE_MAX);
        if (e >= f)
            units += (uint64_t)e - (uint64_t)f;
        break;
    }
    case COST_SORT:
        n = table_len(L, 1);
        if (n > TABLE_SORT_MAX)
            luaL_error(L, "table.sort of more than %d elements is not allowed in plugins",
                       TABLE_SORT_MAX);
        units += n * 4;
        break;
    default:   /* patterns */
        units += string_args_bytes(L) / 16;
        charge(L, units);
        pattern_guard(L, kind);
        return;
    }
    charge(L, units);
}

/* A library C function behind a guard: upvalue 1 is the original, 2 its
 * cost kind. The original is called in this same frame: the string, table,
 * utf8 and os functions use no upvalues of their own. */
static int guarded(lua_State *L)
{
    lua_CFunction f = lua_tocfunction(L, lua_upvalueindex(1));
    guard_charge(L, (int)lua_tointeger(L, lua_upvalueindex(2)));
    return f(L);
}

static void push_guarded(lua_State *L, lua_CFunction f, int kind)
{
    lua_pushcfunction(L, f);
    lua_pushinteger(L, kind);
    lua_pushcclosure(L, guarded, 2);
}

/* setmetatable(t, mt) refusing __gc: finalizers would run plugin code at
 * some later garbage collection, outside any budget. (Lua marks an object
 * for finalization only if __gc is present when setmetatable is called.) */
static int sb_setmetatable(lua_State *L)
{
    pctx_check(L);
    if (lua_type(L, 2) == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        if (lua_rawget(L, 2) != LUA_TNIL)
            return luaL_error(L, "__gc metamethods are not allowed in plugins");
        lua_pop(L, 1);
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

/* The message handler every xpcall gets: after a kill the plugin's own
 * handler is not called (it would run with hooks disabled if the kill was
 * raised inside the count hook). */
static int msgh_guard(lua_State *L)
{
    plugin_ctx *c = pctx_of(L);
    if (c->killed)
        return 1;
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

static int finish_call(lua_State *L, int status, lua_KContext base)
{
    (void)status;
    return lua_gettop(L) - (int)base;
}

static int sb_xpcall(lua_State *L)
{
    pctx_check(L);
    int n = lua_gettop(L);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_pushvalue(L, 2);
    lua_pushcclosure(L, msgh_guard, 1);
    lua_replace(L, 2);
    lua_pushvalue(L, lua_upvalueindex(1));   /* the original xpcall */
    lua_insert(L, 1);
    lua_callk(L, n, LUA_MULTRET, 0, finish_call);
    return finish_call(L, LUA_OK, 0);
}

/* load(chunk [, chunkname [, mode [, env]]]): text only, and the plugin's
 * own _ENV unless another table is given (never the real globals). */
static int sb_load(lua_State *L)
{
    pctx_check(L);
    plugin_ctx *c = pctx_of(L);
    bool has_env = !lua_isnone(L, 4);
    lua_settop(L, 4);
    lua_pushvalue(L, lua_upvalueindex(1));   /* 5: the original load */
    lua_pushvalue(L, 1);                     /* 6: the chunk */
    if (lua_isnil(L, 2))
        lua_pushliteral(L, "=(load)");
    else
        lua_pushvalue(L, 2);
    lua_pushliteral(L, "t");
    if (has_env)
        lua_pushvalue(L, 4);
    else
        lua_rawgeti(L, LUA_REGISTRYINDEX, c->env_ref);
    lua_call(L, 4, LUA_MULTRET);
    return lua_gettop(L) - 4;
}

static int sb_co_create(lua_State *L)
{
    pctx_check(L);
    plugin_ctx *c = pctx_of(L);
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_State *co = lua_newthread(L);
    lua_sethook(co, count_hook, LUA_MASKCOUNT, c->killed ? 1 : HOOK_STEP);
    lua_pushvalue(L, 1);
    lua_xmove(L, co, 1);
    return 1;
}

static int wrap_call(lua_State *L)
{
    pctx_check(L);
    lua_State *co = lua_tothread(L, lua_upvalueindex(1));
    int narg = lua_gettop(L), nres;
    if (!lua_checkstack(co, narg))
        return luaL_error(L, "too many arguments to resume");
    lua_xmove(L, co, narg);
    int st = lua_resume(co, L, narg, &nres);
    if (st == LUA_OK || st == LUA_YIELD) {
        if (!lua_checkstack(L, nres + 1)) {
            lua_pop(co, nres);
            return luaL_error(L, "too many results to resume");
        }
        lua_xmove(co, L, nres);
        return nres;
    }
    /* The coroutine died: close its to-be-closed variables, pass the
     * error on. A kill stays sticky (the hook raises again). */
    if (lua_status(co) != LUA_OK && lua_status(co) != LUA_YIELD)
        lua_resetthread(co);
    lua_xmove(co, L, 1);
    return lua_error(L);
}

static int sb_co_wrap(lua_State *L)
{
    sb_co_create(L);
    lua_pushcclosure(L, wrap_call, 1);
    return 1;
}

/* os.time() and os.date() read the fixed clock in cairn plugin test. */
static int sb_os_time(lua_State *L)
{
    plugin_ctx *c = pctx_of(L);
    pctx_check(L);
    if (lua_isnoneornil(L, 1) && c->fixed_now) {
        lua_pushinteger(L, c->fixed_now);
        return 1;
    }
    return ((lua_CFunction)lua_tocfunction(L, lua_upvalueindex(1)))(L);
}

static int sb_os_date(lua_State *L)
{
    plugin_ctx *c = pctx_of(L);
    charge(L, 1 + string_args_bytes(L) / 16);
    if (lua_gettop(L) < 2 && c->fixed_now) {
        if (lua_gettop(L) == 0)
            lua_pushliteral(L, "%c");
        lua_pushinteger(L, c->fixed_now);
    }
    return ((lua_CFunction)lua_tocfunction(L, lua_upvalueindex(1)))(L);
}

/* import("name"): runs name.lua from the plugin's own folder (as read at
 * load time) once, with the plugin's _ENV, and returns what it returned. */
static int sb_import(lua_State *L)
{
    pctx_check(L);
    plugin_ctx *c = pctx_of(L);
    size_t n;
    const char *name = luaL_checklstring(L, 1, &n);
    if (n == 0 || n > 48)
        return luaL_error(L, "import: bad module name");
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)name[i]) && name[i] != '_' && name[i] != '-')
            return luaL_error(L, "import: module names are letters, digits, '_' and '-' "
                              "(a file in the plugin's own folder, without .lua)");
    char file[PLUGIN_FILE_NAME_MAX + 8];
    snprintf(file, sizeof file, "%s.lua", name);
    if (strcmp(file, "init.lua") == 0)
        return luaL_error(L, "import: init.lua cannot be imported");
    lua_rawgeti(L, LUA_REGISTRYINDEX, c->imports_ref);
    lua_pushstring(L, file);
    int t = lua_rawget(L, -2);
    if (t == LUA_TBOOLEAN && !lua_toboolean(L, -1))
        return luaL_error(L, "import: %s imports itself (a cycle)", file);
    if (t != LUA_TNIL)
        return 1;
    lua_pop(L, 1);
    const plugin_file *pf = NULL;
    for (size_t i = 0; i < c->p->nfiles; i++)
        if (strcmp(c->p->files[i].name, file) == 0)
            pf = &c->p->files[i];
    if (!pf)
        return luaL_error(L, "import: the plugin has no file %s", file);
    lua_pushstring(L, file);
    lua_pushboolean(L, 0);              /* loading: a cycle would see false */
    lua_rawset(L, -3);
    lua_rawgeti(L, LUA_REGISTRYINDEX, c->env_ref);
    if (pctx_load(c, file, pf->src, pf->len, lua_gettop(L)) != LUA_OK)
        return lua_error(L);
    lua_call(L, 0, 1);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_pushboolean(L, 1);
    }
    lua_pushstring(L, file);
    lua_pushvalue(L, -2);
    lua_rawset(L, -5);                  /* imports[file] = result */
    return 1;
}

static const char *const base_plain[] = {
    "assert", "error", "getmetatable", "ipairs", "next", "pairs", "pcall", "rawequal",
    "rawget", "rawlen", "rawset", "select", "type", NULL,
};
static const char *const string_guarded[] = {
    "byte", "char", "format", "len", "lower", "rep", "reverse", "sub", "upper", NULL,
};
static const char *const string_removed[] = { "dump", "pack", "packsize", "unpack", NULL };
static const struct { const char *name; int kind; } table_guarded[] = {
    { "concat", COST_TABLE_N }, { "insert", COST_INSERT }, { "move", COST_MOVE },
    { "pack", COST_STR }, { "remove", COST_REMOVE }, { "sort", COST_SORT },
    { "unpack", COST_UNPACK }, { NULL, 0 },
};
static const char *const utf8_guarded[] = { "char", "codepoint", "codes", "len", "offset", NULL };
static const char *const coroutine_plain[] = {
    "close", "isyieldable", "resume", "running", "status", "yield", NULL,
};

/* Copies the C function lib[name] into the table at -1, behind a guard. */
static void copy_guarded(lua_State *L, int lib, const char *name, int kind)
{
    lua_getfield(L, lib, name);
    lua_CFunction f = lua_tocfunction(L, -1);
    lua_pop(L, 1);
    if (!f)
        return;
    push_guarded(L, f, kind);
    lua_setfield(L, -2, name);
}

/* Opens the libraries the sandbox draws from and locks the string
 * library, which every string reaches through its metatable. Runs once per
 * state, protected (see state_setup). */
static void sandbox_prepare(lua_State *L)
{
    luaL_requiref(L, "_G", luaopen_base, 1);
    luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
    luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
    luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1);
    luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 1);
    luaL_requiref(L, LUA_COLIBNAME, luaopen_coroutine, 1);
    luaL_requiref(L, LUA_OSLIBNAME, luaopen_os, 1);
    lua_settop(L, 0);

    /* The string library, as methods see it: no dump/pack, guarded calls. */
    lua_getglobal(L, LUA_STRLIBNAME);
    int s = lua_gettop(L);
    for (int i = 0; string_removed[i]; i++) {
        lua_pushnil(L);
        lua_setfield(L, s, string_removed[i]);
    }
    lua_pushvalue(L, s);                /* guarded copies go into s itself */
    for (int i = 0; string_guarded[i]; i++)
        copy_guarded(L, s, string_guarded[i], COST_STR);
    copy_guarded(L, s, "find", COST_PATTERN_FIND);
    copy_guarded(L, s, "match", COST_PATTERN_MATCH);
    copy_guarded(L, s, "gmatch", COST_PATTERN_GMATCH);
    copy_guarded(L, s, "gsub", COST_PATTERN_GSUB);
    lua_pop(L, 1);
    /* The metatable of strings cannot be read or changed from Lua. */
    lua_pushliteral(L, "");
    if (lua_getmetatable(L, -1)) {
        lua_pushboolean(L, 0);
        lua_setfield(L, -2, "__metatable");
        lua_pop(L, 1);
    }
    lua_settop(L, 0);
}

void pctx_push_env(plugin_ctx *c)
{
    lua_State *L = c->L;
    lua_newtable(L);
    int env = lua_gettop(L);
    lua_pushglobaltable(L);
    int g = lua_gettop(L);
    for (int i = 0; base_plain[i]; i++) {
        lua_getfield(L, g, base_plain[i]);
        lua_setfield(L, env, base_plain[i]);
    }
    lua_pushvalue(L, env);
    copy_guarded(L, g, "tostring", COST_STR);
    copy_guarded(L, g, "tonumber", COST_STR);
    lua_pop(L, 1);
    lua_getfield(L, g, "setmetatable");
    lua_pushcclosure(L, sb_setmetatable, 1);
    lua_setfield(L, env, "setmetatable");
    lua_getfield(L, g, "xpcall");
    lua_pushcclosure(L, sb_xpcall, 1);
    lua_setfield(L, env, "xpcall");
    lua_getfield(L, g, "load");
    lua_pushcclosure(L, sb_load, 1);
    lua_setfield(L, env, "load");
    lua_getfield(L, g, "_VERSION");
    lua_setfield(L, env, "_VERSION");
    lua_pushcfunction(L, sb_import);
    lua_setfield(L, env, "import");
    lua_pushvalue(L, env);
    lua_setfield(L, env, "_G");

    lua_getfield(L, g, LUA_STRLIBNAME);
    lua_setfield(L, env, LUA_STRLIBNAME);

    lua_getfield(L, g, LUA_TABLIBNAME);
    int lib = lua_gettop(L);
    lua_newtable(L);
    for (int i = 0; table_guarded[i].name; i++)
        copy_guarded(L, lib, table_guarded[i].name, table_guarded[i].kind);
    lua_setfield(L, env, LUA_TABLIBNAME);
    lua_pop(L, 1);

    lua_getfield(L, g, LUA_MATHLIBNAME);
    lib = lua_gettop(L);
    lua_newtable(L);
    lua_pushnil(L);
    while (lua_next(L, lib)) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, -4);
    }
    lua_setfield(L, env, LUA_MATHLIBNAME);
    lua_pop(L, 1);

    lua_getfield(L, g, LUA_UTF8LIBNAME);
    lib = lua_gettop(L);
    lua_newtable(L);
    for (int i = 0; utf8_guarded[i]; i++)
        copy_guarded(L, lib, utf8_guarded[i], COST_STR);
    lua_getfield(L, lib, "charpattern");
    lua_setfield(L, -2, "charpattern");
    lua_setfield(L, env, LUA_UTF8LIBNAME);
    lua_pop(L, 1);

    lua_getfield(L, g, LUA_OSLIBNAME);
    lib = lua_gettop(L);
    lua_newtable(L);
    lua_getfield(L, lib, "time");
    lua_pushcclosure(L, sb_os_time, 1);
    lua_setfield(L, -2, "time");
    lua_getfield(L, lib, "date");
    lua_pushcclosure(L, sb_os_date, 1);
    lua_setfield(L, -2, "date");
    copy_guarded(L, lib, "clock", COST_STR);
    copy_guarded(L, lib, "difftime", COST_STR);
    lua_setfield(L, env, LUA_OSLIBNAME);
    lua_pop(L, 1);

    lua_getfield(L, g, LUA_COLIBNAME);
    lib = lua_gettop(L);
    lua_newtable(L);
    for (int i = 0; coroutine_plain[i]; i++) {
        lua_getfield(L, lib, coroutine_plain[i]);
        lua_setfield(L, -2, coroutine_plain[i]);
    }
    lua_pushcfunction(L, sb_co_create);
    lua_setfield(L, -2, "create");
    lua_pushcfunction(L, sb_co_wrap);
    lua_setfield(L, -2, "wrap");
    lua_setfield(L, env, LUA_COLIBNAME);
    lua_pop(L, 1);

    lua_pop(L, 1);                      /* the real globals */
    papi_install(c, env);
}

int pctx_load(plugin_ctx *c, const char *name, const char *src, size_t len, int env_index)
{
    lua_State *L = c->L;
    env_index = lua_absindex(L, env_index);
    char chunkname[PLUGIN_FILE_NAME_MAX + 2];
    snprintf(chunkname, sizeof chunkname, "=%s", name);
    int st = luaL_loadbufferx(L, src, len, chunkname, "t");
    if (st != LUA_OK)
        return st;
    lua_pushvalue(L, env_index);
    if (!lua_setupvalue(L, -2, 1))
        lua_pop(L, 1);
    return LUA_OK;
}

/* ---- building a state ---- */

/* Checks the table init.lua returned against plugin.json and keeps the
 * hook functions (a plain copy, so later changes by the plugin to its own
 * table change nothing). */
static void take_hooks(lua_State *L, plugin_ctx *c, int t)
{
    if (!lua_istable(L, t))
        luaL_error(L, "init.lua: must return a table of hook functions, e.g. "
                   "return { registration_check = check }");
    lua_newtable(L);
    int copy = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, t)) {
        if (lua_type(L, -2) != LUA_TSTRING)
            luaL_error(L, "init.lua: the returned table must have hook names as keys");
        const char *k = lua_tostring(L, -2);
        int h = plugin_hook_parse(k);
        if (h < 0)
            luaL_error(L, "init.lua: '%s' is not a hook (see docs/PLUGIN_API.md)", k);
        if (!lua_isfunction(L, -1))
            luaL_error(L, "init.lua: hook '%s' must be a function", k);
        if (!(c->p->hooks & (1u << h)))
            luaL_error(L, "init.lua: returns hook '%s' that plugin.json does not list", k);
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, copy);
    }
    for (int h = 0; h < HOOK_COUNT; h++) {
        if (!(c->p->hooks & (1u << h)))
            continue;
        if (lua_getfield(L, copy, hook_names[h]) != LUA_TFUNCTION)
            luaL_error(L, "init.lua: plugin.json lists hook '%s' but init.lua does not "
                       "return it", hook_names[h]);
        lua_pop(L, 1);
    }
    c->hooks_ref = luaL_ref(L, LUA_REGISTRYINDEX);
}

static int state_setup(lua_State *L)
{
    plugin_ctx *c = pctx_of(L);
    sandbox_prepare(L);
    lua_newtable(L);
    c->imports_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    if (c->test_mode) {
        lua_newtable(L);
        c->storage_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    }
    pctx_push_env(c);
    lua_pushvalue(L, -1);
    c->env_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    int env = lua_gettop(L);
    const plugin_file *init = NULL;
    for (size_t i = 0; i < c->p->nfiles; i++)
        if (strcmp(c->p->files[i].name, "init.lua") == 0)
            init = &c->p->files[i];
    if (!init)
        return luaL_error(L, "the plugin has no init.lua");
    if (pctx_load(c, "init.lua", init->src, init->len, env) != LUA_OK)
        return lua_error(L);
    lua_call(L, 0, 1);
    take_hooks(L, c, lua_gettop(L));
    return 0;
}

static void failure_set(plugin_failure *f, const char *hook, const char *msg,
                        const char *file, int line)
{
    f->set = true;
    snprintf(f->hook, sizeof f->hook, "%s", hook ? hook : "");
    snprintf(f->message, sizeof f->message, "%s", msg ? msg : "");
    snprintf(f->file, sizeof f->file, "%s", file ? file : "");
    f->line = line;
    plugin_now_iso(f->at);
}

/* "init.lua:12: message": the file and line of a Lua error message, when
 * it names one of the plugin's files. */
static void parse_where(const char *msg, char *file, size_t filelen, int *line)
{
    const char *colon = strchr(msg, ':');
    if (!colon || colon == msg || (size_t)(colon - msg) >= filelen)
        return;
    const char *d = colon + 1;
    int v = 0;
    while (*d >= '0' && *d <= '9' && v < 10000000)
        v = v * 10 + (*d++ - '0');
    if (d == colon + 1 || *d != ':')
        return;
    size_t n = (size_t)(colon - msg);
    if (n < 5 || memcmp(colon - 4, ".lua", 4) != 0)
        return;
    memcpy(file, msg, n);
    file[n] = '\0';
    *line = v;
}

void pctx_describe(plugin_ctx *c, int status, plugin_failure *ret)
{
    lua_State *L = c->L;
    char msg[400];
    char file[PLUGIN_FILE_NAME_MAX + 1] = "";
    int line = 0;
    if (c->killed) {
        /* Whatever Lua left on the stack (an error, or a value returned
         * after a pcall caught the kill) is not the story: the kill is. */
        char reason[120];
        if (strstr(c->kill_reason, "memory"))
            snprintf(reason, sizeof reason, "the memory limit of %zu MiB was reached",
                     c->limits.memory >> 20);
        else
            snprintf(reason, sizeof reason, "%s", c->kill_reason);
        snprintf(file, sizeof file, "%s", c->kill_file);
        line = c->kill_line;
        if (line > 0)
            snprintf(msg, sizeof msg, "%s:%d: stopped: %s", file, line, reason);
        else
            snprintf(msg, sizeof msg, "stopped: %s", reason);
    } else if (status == LUA_ERRMEM) {
        snprintf(msg, sizeof msg, "out of memory");
    } else if (lua_type(L, -1) == LUA_TSTRING) {
        snprintf(msg, sizeof msg, "%s", lua_tostring(L, -1));
        parse_where(msg, file, sizeof file, &line);
    } else {
        snprintf(msg, sizeof msg, "(error object is a %s value)", luaL_typename(L, -1));
    }
    failure_set(ret, c->running, msg, file, line);
}

plugin_ctx *pctx_open(plugin *p, const plugin_limits *lim, bool test_mode,
                      plugin_failure *ret_err)
{
    plugin_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        failure_set(ret_err, "load", "out of memory", NULL, 0);
        return NULL;
    }
    c->p = p;
    c->limits = *lim;
    c->test_mode = test_mode;
    c->env_ref = c->hooks_ref = c->imports_ref = c->storage_ref = LUA_NOREF;
    c->L = lua_newstate(counting_alloc, c);
    if (!c->L) {
        failure_set(ret_err, "load", "a Lua state could not be created", NULL, 0);
        free(c);
        return NULL;
    }
    /* Uncollected garbage counts against the cap: collect a little more
     * eagerly than Lua's default (pause 200%). */
    lua_gc(c->L, LUA_GCINC, 150, 0, 0);
    pctx_begin(c, PHASE_LOAD, "init.lua", lim->load_instructions, lim->load_ms);
    lua_pushcfunction(c->L, state_setup);
    int st = lua_pcall(c->L, 0, 0, 0);
    if (st != LUA_OK || c->killed) {
        pctx_describe(c, st, ret_err);
        snprintf(ret_err->hook, sizeof ret_err->hook, "load");
        pctx_end(c);
        pctx_close(c);
        return NULL;
    }
    pctx_end(c);
    lua_settop(c->L, 0);
    return c;
}

void pctx_close(plugin_ctx *c)
{
    if (!c)
        return;
    if (c->L) {
        /* Nothing of the plugin may run while the state is torn down. */
        c->phase = PHASE_IDLE;
        c->killed = true;
        snprintf(c->kill_reason, sizeof c->kill_reason, "the state is closing");
        lua_sethook(c->L, count_hook, LUA_MASKCOUNT, 1);
        lua_close(c->L);
    }
    free(c);
}

/* ---- one hook call ---- */

typedef struct call_args {
    plugin_hook h;
    json_t *args;
} call_args;

static int call_trampoline(lua_State *L)
{
    plugin_ctx *c = pctx_of(L);
    const call_args *a = lua_touserdata(L, 1);
    lua_settop(L, 0);
    lua_rawgeti(L, LUA_REGISTRYINDEX, c->hooks_ref);
    lua_getfield(L, -1, hook_names[a->h]);
    lua_remove(L, 1);
    size_t n = json_array_size(a->args);
    luaL_checkstack(L, (int)n + 4, "hook arguments");
    for (size_t i = 0; i < n; i++)
        papi_push_json(L, json_array_get(a->args, i));
    lua_call(L, (int)n, 1);
    return 1;
}

int pctx_call(plugin_ctx *c, plugin_hook h, json_t *args, json_t **ret, plugin_failure *ret_fail)
{
    lua_State *L = c->L;
    if (c->phase != PHASE_IDLE) {
        failure_set(ret_fail, hook_names[h], "a hook was called while another was running",
                    NULL, 0);
        return -1;
    }
    call_args a = { h, args };
    lua_settop(L, 0);
    pctx_begin(c, plugin_hook_phase(h), hook_names[h], c->limits.call_instructions, c->limits.call_ms);
    lua_pushcfunction(L, call_trampoline);
    lua_pushlightuserdata(L, &a);
    int st = lua_pcall(L, 1, 1, 0);
    int r = 0;
    if (st != LUA_OK || c->killed) {
        pctx_describe(c, st, ret_fail);
        r = -1;
    } else {
        char err[300];
        json_t *v = NULL;
        if (papi_to_json(L, -1, &v, err, sizeof err) != 0) {
            char msg[400];
            snprintf(msg, sizeof msg, "%s returned a value the host cannot use: %s",
                     hook_names[h], err);
            failure_set(ret_fail, hook_names[h], msg, NULL, 0);
            r = -1;
        } else {
            *ret = v;
        }
    }
    pctx_end(c);
    lua_settop(L, 0);
    return r;
}

/* ---- checking what hooks return ---- */

static bool text_ok(json_t *v, size_t max)
{
    return json_is_string(v) && json_string_length(v) <= max;
}

/* A copy of s with control characters turned into spaces and ends trimmed. */
static json_t *clean_text(json_t *v)
{
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++)
        out[o++] = (unsigned char)s[i] < ' ' || s[i] == 0x7f ? ' ' : s[i];
    while (o > 0 && out[o - 1] == ' ')
        o--;
    size_t start = 0;
    while (start < o && out[start] == ' ')
        start++;
    json_t *r = json_stringn(out + start, o - start);
    free(out);
    return r;
}

static bool date_ok(json_t *v)
{
    int y, m, d;
    return json_is_string(v) && json_string_length(v) == 10 &&
           papi_parse_date(json_string_value(v), &y, &m, &d) == 0;
}

/* Copies the optional text member key of from into to when valid. */
static int copy_text(json_t *to, json_t *from, const char *key, size_t max, bool required,
                     char *err, size_t errlen, const char *what)
{
    json_t *v = json_object_get(from, key);
    if (!v || json_is_null(v)) {
        if (required) {
            snprintf(err, errlen, "%s has no \"%s\"", what, key);
            return -1;
        }
        return 0;
    }
    if (!text_ok(v, max) || (required && json_string_length(v) == 0)) {
        snprintf(err, errlen, "%s: \"%s\" must be text of at most %zu bytes", what, key, max);
        return -1;
    }
    json_object_set_new(to, key, clean_text(v));
    return 0;
}

static int norm_decision(plugin_hook h, json_t *v, json_t **ret, char *err, size_t errlen)
{
    if (json_is_true(v)) {
        *ret = json_pack("{ss}", "decision", "allow");
        return 0;
    }
    if (json_is_false(v)) {
        *ret = json_pack("{ss}", "decision", "deny");
        return 0;
    }
    if (!json_is_object(v)) {
        snprintf(err, errlen, "%s must return nil, true, false or a decision such as "
                 "cairn.deny(reason)", hook_names[h]);
        return -1;
    }
    const char *d = json_string_value(json_object_get(v, "decision"));
    if (!d || (strcmp(d, "allow") && strcmp(d, "deny") &&
               (strcmp(d, "needs_approval") || h == HOOK_REGISTRATION_CHECK))) {
        snprintf(err, errlen, "%s: \"decision\" must be %s", hook_names[h],
                 h == HOOK_REGISTRATION_CHECK ? "\"allow\" or \"deny\""
                 : "\"allow\", \"deny\" or \"needs_approval\"");
        return -1;
    }
    json_t *out = json_pack("{ss}", "decision", d);
    if (copy_text(out, v, "reason", 300, false, err, errlen, hook_names[h]) ||
        copy_text(out, v, "field", 32, false, err, errlen, hook_names[h])) {
        json_decref(out);
        return -1;
    }
    *ret = out;
    return 0;
}

static bool empty_list(json_t *v)
{
    return !v || (json_is_object(v) && json_object_size(v) == 0);
}

static int norm_required(json_t *v, json_t **ret, char *err, size_t errlen)
{
    if (empty_list(v)) {
        *ret = json_array();
        return 0;
    }
    if (!json_is_array(v) || json_array_size(v) > 200) {
        snprintf(err, errlen, "required_training must return a list of at most 200 items");
        return -1;
    }
    json_t *out = json_array();
    size_t i;
    json_t *it;
    json_array_foreach(v, i, it) {
        char what[64];
        snprintf(what, sizeof what, "required_training item %zu", i + 1);
        if (!json_is_object(it)) {
            snprintf(err, errlen, "%s is not a table", what);
            goto fail;
        }
        json_t *o = json_object();
        json_array_append_new(out, o);
        const char *kind = json_string_value(json_object_get(it, "kind"));
        if (!kind || (strcmp(kind, "elearning") && strcmp(kind, "course"))) {
            snprintf(err, errlen, "%s: \"kind\" must be \"elearning\" or \"course\"", what);
            goto fail;
        }
        json_object_set_new(o, "kind", json_string(kind));
        if (copy_text(o, it, "id", 100, true, err, errlen, what) ||
            copy_text(o, it, "title", 200, true, err, errlen, what) ||
            copy_text(o, it, "package", 200, false, err, errlen, what) ||
            copy_text(o, it, "group", 32, false, err, errlen, what) ||
            copy_text(o, it, "note", 400, false, err, errlen, what) ||
            copy_text(o, it, "refresher", 200, false, err, errlen, what) ||
            copy_text(o, it, "category", 32, false, err, errlen, what))
            goto fail;
        json_t *lvl = json_object_get(it, "level");
        if (json_is_integer(lvl) && json_integer_value(lvl) >= 0 && json_integer_value(lvl) < 100)
            json_object_set(o, "level", lvl);
        else if (lvl && !json_is_null(lvl)) {
            snprintf(err, errlen, "%s: \"level\" must be a whole number", what);
            goto fail;
        }
        json_t *hours = json_object_get(it, "hours");
        if (json_is_number(hours) && json_number_value(hours) >= 0 &&
            json_number_value(hours) < 1000)
            json_object_set(o, "hours", hours);
        else if (hours && !json_is_null(hours)) {
            snprintf(err, errlen, "%s: \"hours\" must be a number", what);
            goto fail;
        }
        json_t *due = json_object_get(it, "due");
        if (due && !json_is_null(due)) {
            if (!date_ok(due)) {
                snprintf(err, errlen, "%s: \"due\" must be a date like \"2026-09-30\"", what);
                goto fail;
            }
            json_object_set(o, "due", due);
        }
        json_t *after = json_object_get(it, "after");
        if (after && !json_is_null(after)) {
            if (!text_ok(after, 100)) {
                snprintf(err, errlen, "%s: \"after\" must be the id of another item", what);
                goto fail;
            }
            json_object_set(o, "after", after);
        }
    }
    *ret = out;
    return 0;
fail:
    json_decref(out);
    return -1;
}

static int norm_expiry(json_t *v, json_t **ret, char *err, size_t errlen)
{
    if (!v) {
        *ret = NULL;
        return 0;
    }
    json_t *out = json_object();
    if (json_is_string(v)) {
        if (!date_ok(v))
            goto bad_date;
        json_object_set(out, "expires", v);
    } else if (json_is_false(v)) {
        json_object_set_new(out, "expires", json_null());
    } else if (json_is_object(v)) {
        json_t *e = json_object_get(v, "expires");
        if (e && !json_is_null(e) && !json_is_false(e) && !date_ok(e))
            goto bad_date;
        json_object_set_new(out, "expires", date_ok(e) ? json_incref(e) : json_null());
        if (copy_text(out, v, "rule", 200, false, err, errlen, "expiry")) {
            json_decref(out);
            return -1;
        }
        json_t *w = json_object_get(v, "expiring_days");
        if (json_is_integer(w) && json_integer_value(w) >= 0 && json_integer_value(w) <= 366)
            json_object_set(out, "expiring_days", w);
        else if (w && !json_is_null(w)) {
            snprintf(err, errlen, "expiry: \"expiring_days\" must be 0 to 366");
            json_decref(out);
            return -1;
        }
    } else {
        json_decref(out);
        snprintf(err, errlen, "expiry must return nil, false, a date or "
                 "{expires = date, rule = text}");
        return -1;
    }
    if (!json_object_get(out, "expiring_days"))
        json_object_set_new(out, "expiring_days", json_integer(60));
    *ret = out;
    return 0;
bad_date:
    json_decref(out);
    snprintf(err, errlen, "expiry: the date must look like \"2027-03-31\"");
    return -1;
}

static int norm_contacts(json_t *v, json_t **ret, char *err, size_t errlen)
{
    if (!v) {
        *ret = NULL;
        return 0;
    }
    if (!json_is_object(v)) {
        snprintf(err, errlen, "local_contacts must return {contacts = {...}, "
                 "certificate_wording = text}");
        return -1;
    }
    json_t *list = json_object_get(v, "contacts");
    if (empty_list(list))
        list = NULL;
    if (list && (!json_is_array(list) || json_array_size(list) > 30)) {
        snprintf(err, errlen, "local_contacts: \"contacts\" must be a list of at most 30");
        return -1;
    }
    json_t *out = json_pack("{s[]}", "contacts");
    json_t *olist = json_object_get(out, "contacts");
    size_t i;
    json_t *it;
    json_array_foreach(list, i, it) {
        char what[48];
        snprintf(what, sizeof what, "local_contacts contact %zu", i + 1);
        json_t *o = json_object();
        json_array_append_new(olist, o);
        if (!json_is_object(it) ||
            copy_text(o, it, "role", 120, true, err, errlen, what) ||
            copy_text(o, it, "name", 200, true, err, errlen, what) ||
            copy_text(o, it, "phone", 60, false, err, errlen, what) ||
            copy_text(o, it, "email", 200, false, err, errlen, what) ||
            copy_text(o, it, "hours", 200, false, err, errlen, what) ||
            copy_text(o, it, "url", 300, false, err, errlen, what) ||
            copy_text(o, it, "note", 400, false, err, errlen, what)) {
            if (!json_is_object(it))
                snprintf(err, errlen, "%s is not a table", what);
            json_decref(out);
            return -1;
        }
    }
    if (copy_text(out, v, "certificate_wording", 800, false, err, errlen, "local_contacts")) {
        json_decref(out);
        return -1;
    }
    *ret = out;
    return 0;
}

static int norm_columns(json_t *v, json_t **ret, char *err, size_t errlen)
{
    if (empty_list(v)) {
        *ret = json_array();
        return 0;
    }
    if (!json_is_array(v) || json_array_size(v) > 20) {
        snprintf(err, errlen, "report_columns must return a list of at most 20 columns");
        return -1;
    }
    json_t *out = json_array();
    size_t i;
    json_t *it;
    json_array_foreach(v, i, it) {
        char what[48];
        snprintf(what, sizeof what, "report_columns column %zu", i + 1);
        json_t *o = json_object();
        json_array_append_new(out, o);
        json_t *val = json_is_object(it) ? json_object_get(it, "value") : NULL;
        if (!json_is_object(it) ||
            copy_text(o, it, "key", 32, true, err, errlen, what) ||
            copy_text(o, it, "label", 80, true, err, errlen, what) ||
            (val && !json_is_null(val) && !json_is_string(val) && !json_is_number(val) &&
             !json_is_boolean(val))) {
            if (!err[0])
                snprintf(err, errlen, "%s must be {key, label, value}", what);
            json_decref(out);
            return -1;
        }
        json_object_set_new(o, "value", val ? json_incref(val) : json_null());
    }
    *ret = out;
    return 0;
}

/* nil or false: no charge; {amount_pence = whole pence, note = text}. */
static int norm_charge(json_t *v, json_t **ret, char *err, size_t errlen)
{
    if (!v || json_is_false(v)) {
        *ret = NULL;
        return 0;
    }
    json_t *amount = json_is_object(v) ? json_object_get(v, "amount_pence") : NULL;
    /* Lua numbers such as 2500.0 arrive as reals: accept whole ones. */
    double a = json_is_integer(amount) ? (double)json_integer_value(amount)
             : json_is_real(amount) ? json_real_value(amount) : -1;
    if (!json_is_object(v) || !(a >= 0 && a <= 1000000) || a != (double)(json_int_t)a) {
        snprintf(err, errlen, "charge must return nil or {amount_pence = whole pence from 0 to "
                 "1000000, note = text}");
        return -1;
    }
    json_t *out = json_pack("{sI}", "amount_pence", (json_int_t)a);
    if (copy_text(out, v, "note", 300, false, err, errlen, "charge")) {
        json_decref(out);
        return -1;
    }
    if (!json_object_get(out, "note"))
        json_object_set_new(out, "note", json_string(""));
    *ret = out;
    return 0;
}

int plugin_normalize(plugin_hook h, json_t *value, json_t **ret, char *err, size_t errlen)
{
    err[0] = '\0';
    *ret = NULL;
    switch (h) {
    case HOOK_REGISTRATION_CHECK:
    case HOOK_BOOKING_ELIGIBILITY:
        return value ? norm_decision(h, value, ret, err, errlen) : 0;
    case HOOK_REQUIRED_TRAINING:
        return norm_required(value, ret, err, errlen);
    case HOOK_EXPIRY:
        return norm_expiry(value, ret, err, errlen);
    case HOOK_LOCAL_CONTACTS:
        return norm_contacts(value, ret, err, errlen);
    case HOOK_REPORT_COLUMNS:
        return norm_columns(value, ret, err, errlen);
    case HOOK_CHARGE:
        return norm_charge(value, ret, err, errlen);
    default:
        return 0;      /* observers: the result is ignored */
    }
}

/* ---- reading a plugin folder ---- */

static bool name_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max || s[0] == '-')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return false;
    return true;
}

static void load_fail(plugin *p, const char *file, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void load_fail(plugin *p, const char *file, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    p->failed = true;
    failure_set(&p->load_error, "load", msg, file, 0);
}

static int read_whole(const char *path, size_t max, char **ret, size_t *ret_len)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return -errno;
    if (!S_ISREG(st.st_mode))
        return -EINVAL;          /* no symlinks out of the folder */
    if ((size_t)st.st_size > max)
        return -EFBIG;
    FILE *f = fopen(path, "rb");
    if (!f)
        return -errno;
    char *buf = malloc((size_t)st.st_size + 1);
    size_t n = buf ? fread(buf, 1, (size_t)st.st_size, f) : 0;
    fclose(f);
    if (!buf)
        return -ENOMEM;
    if (n != (size_t)st.st_size) {
        free(buf);
        return -EIO;
    }
    buf[n] = '\0';
    *ret = buf;
    *ret_len = n;
    return 0;
}

static int file_cmp(const void *a, const void *b)
{
    return strcmp(((const plugin_file *)a)->name, ((const plugin_file *)b)->name);
}

static void read_manifest(plugin *p, const char *path, const char *folder)
{
    char *text = NULL;
    size_t len;
    int r = read_whole(path, MANIFEST_BYTES_MAX, &text, &len);
    if (r) {
        load_fail(p, "plugin.json", "plugin.json cannot be read: %s",
                  r == -EFBIG ? "larger than 64 KiB" : strerror(-r));
        return;
    }
    json_error_t jerr;
    json_t *m = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    free(text);
    if (!json_is_object(m)) {
        load_fail(p, "plugin.json", m ? "plugin.json must be a JSON object"
                  : "plugin.json is not valid JSON (%s at line %d)", jerr.text, jerr.line);
        p->load_error.line = m ? 0 : jerr.line;
        json_decref(m);
        return;
    }
    const char *name = json_string_value(json_object_get(m, "name"));
    const char *borough = json_string_value(json_object_get(m, "borough"));
    json_t *ver = json_object_get(m, "api_version");
    json_t *hooks = json_object_get(m, "hooks");
    const char *desc = json_string_value(json_object_get(m, "description"));
    if (!name || strcmp(name, folder) != 0)
        load_fail(p, "plugin.json", "\"name\" must be the folder's name, \"%s\"", folder);
    else if (!borough || !name_ok(borough, PLUGIN_NAME_MAX))
        load_fail(p, "plugin.json", "\"borough\" must be the borough's slug (a-z, 0-9, -)");
    else if (!json_is_integer(ver) || json_integer_value(ver) != PLUGIN_API_VERSION)
        load_fail(p, "plugin.json", "\"api_version\" must be %d (this Cairn's plugin API)",
                  PLUGIN_API_VERSION);
    else if (!json_is_array(hooks))
        load_fail(p, "plugin.json", "\"hooks\" must be a list of hook names");
    else if (desc && strlen(desc) > 1000)
        load_fail(p, "plugin.json", "\"description\" is longer than 1000 characters");
    if (p->failed) {
        json_decref(m);
        return;
    }
    snprintf(p->borough, sizeof p->borough, "%s", borough);
    p->api_version = (int)json_integer_value(ver);
    p->description = strdup(desc ? desc : "");
    size_t i;
    json_t *h;
    json_array_foreach(hooks, i, h) {
        int k = plugin_hook_parse(json_string_value(h));
        if (k < 0) {
            load_fail(p, "plugin.json", "\"hooks\": %s is not a hook (see docs/PLUGIN_API.md)",
                      json_is_string(h) ? json_string_value(h) : "an entry");
            break;
        }
        p->hooks |= 1u << k;
    }
    json_decref(m);
}

static void read_sources(plugin *p, const char *folder_path)
{
    DIR *d = opendir(folder_path);
    if (!d) {
        load_fail(p, NULL, "the folder cannot be read: %s", strerror(errno));
        return;
    }
    size_t total = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".lua") != 0 || e->d_name[0] == '.')
            continue;
        if (n > PLUGIN_FILE_NAME_MAX) {
            load_fail(p, NULL, "file name too long: %.40s...", e->d_name);
            break;
        }
        if (p->nfiles == PLUGIN_FILES_MAX) {
            load_fail(p, NULL, "more than %d .lua files", PLUGIN_FILES_MAX);
            break;
        }
        plugin_file *nf = realloc(p->files, (p->nfiles + 1) * sizeof *nf);
        if (!nf) {
            load_fail(p, NULL, "out of memory");
            break;
        }
        p->files = nf;
        plugin_file *f = &p->files[p->nfiles];
        memset(f, 0, sizeof *f);
        snprintf(f->name, sizeof f->name, "%s", e->d_name);
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", folder_path, e->d_name);
        int r = read_whole(path, PLUGIN_FILE_BYTES_MAX, &f->src, &f->len);
        if (r) {
            load_fail(p, f->name, "%s cannot be read: %s", f->name,
                      r == -EFBIG ? "larger than 256 KiB" : r == -EINVAL
                      ? "not a regular file (links are not followed)" : strerror(-r));
            break;
        }
        p->nfiles++;
        total += f->len;
        if (total > PLUGIN_TOTAL_BYTES_MAX) {
            load_fail(p, NULL, "the plugin's .lua files are larger than 1 MiB in all");
            break;
        }
    }
    closedir(d);
    if (p->failed)
        return;
    qsort(p->files, p->nfiles, sizeof *p->files, file_cmp);
    bool has_init = false;
    for (size_t i = 0; i < p->nfiles; i++)
        has_init |= strcmp(p->files[i].name, "init.lua") == 0;
    if (!has_init)
        load_fail(p, "init.lua", "the plugin has no init.lua");
}

void plugin_read_dir(plugin *p, const char *dir, const char *name)
{
    memset(p, 0, sizeof *p);
    pthread_mutex_init(&p->lock, NULL);
    snprintf(p->name, sizeof p->name, "%s", name);
    if (!name_ok(name, PLUGIN_NAME_MAX)) {
        load_fail(p, NULL, "folder names are lower-case letters, digits and '-'");
        return;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    p->dir = strdup(path);
    snprintf(path, sizeof path, "%s/%s/plugin.json", dir, name);
    read_manifest(p, path, name);
    if (!p->failed)
        read_sources(p, p->dir);
}

void plugin_clear(plugin *p)
{
    for (size_t i = 0; i < p->nfiles; i++)
        free(p->files[i].src);
    free(p->files);
    free(p->description);
    free(p->dir);
    pthread_mutex_destroy(&p->lock);
    memset(p, 0, sizeof *p);
}

/* ---- counters and failures ---- */

void plugin_record_call(plugin *p, plugin_hook h, uint64_t us)
{
    pthread_mutex_lock(&p->lock);
    hook_stats *s = &p->stats[h];
    s->calls++;
    s->total_us += us;
    if (us > s->max_us)
        s->max_us = us;
    pthread_mutex_unlock(&p->lock);
}

void plugin_record_failure(plugin *p, plugin_hook h, const plugin_failure *f, bool killed,
                           uint64_t us)
{
    pthread_mutex_lock(&p->lock);
    hook_stats *s = &p->stats[h];
    s->calls++;
    s->failures++;
    if (killed)
        s->kills++;
    s->total_us += us;
    if (us > s->max_us)
        s->max_us = us;
    p->last_failure = *f;
    snprintf(p->last_failure.hook, sizeof p->last_failure.hook, "%s", hook_names[h]);
    pthread_mutex_unlock(&p->lock);
    log_warn("plugins", "plugin=%s hook=%s file=%s line=%d %s: %s", p->name, hook_names[h],
             f->file[0] ? f->file : "-", f->line, killed ? "killed" : "failed", f->message);
}

/* ---- plugin sets and per-thread states ---- */

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t g_reload_lock = PTHREAD_MUTEX_INITIALIZER;
static plugin_set *g_set;                  /* under g_lock; holds one ref */
static atomic_uint_fast64_t g_generation;
static uint64_t g_next_generation;         /* under g_reload_lock */
static char *g_dir;
static plugin_limits g_limits;
static bool g_started;

static void set_unref(plugin_set *s)
{
    if (!s || atomic_fetch_sub(&s->refs, 1) != 1)
        return;
    for (size_t i = 0; i < s->n; i++)
        plugin_clear(&s->plugins[i]);
    free(s->plugins);
    free(s->dir);
    free(s);
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads every plugin folder under dir and checks each by building a state
 * on this thread (then thrown away). */
static int set_read(const char *dir, plugin_set **ret)
{
    plugin_set *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    atomic_init(&s->refs, 1);
    s->dir = strdup(dir);
    plugin_now_iso(s->loaded_at);
    DIR *d = opendir(dir);
    if (!d) {
        int r = -errno;
        *ret = s;
        return r;
    }
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 256) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
            continue;
        char **nn = realloc(names, (n + 1) * sizeof *nn);
        if (!nn)
            break;
        names = nn;
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, name_cmp);
    s->plugins = calloc(n ? n : 1, sizeof *s->plugins);
    for (size_t i = 0; i < n && s->plugins; i++) {
        plugin *p = &s->plugins[s->n++];
        plugin_read_dir(p, dir, names[i]);
        if (!p->failed) {
            plugin_ctx *c = pctx_open(p, &g_limits, false, &p->load_error);
            if (!c)
                p->failed = true;
            pctx_close(c);
        }
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    *ret = s;
    return 0;
}

typedef struct thread_states {
    plugin_set *set;           /* one ref, or NULL */
    plugin_ctx **ctx;          /* set->n, NULL until the plugin's first call here */
} thread_states;

static pthread_key_t g_tkey;
static pthread_once_t g_tonce = PTHREAD_ONCE_INIT;

static void thread_drop(thread_states *ts)
{
    if (ts->set) {
        for (size_t i = 0; i < ts->set->n; i++)
            pctx_close(ts->ctx[i]);
        set_unref(ts->set);
    }
    free(ts->ctx);
    ts->ctx = NULL;
    ts->set = NULL;
}

static void thread_free(void *v)
{
    thread_states *ts = v;
    if (!ts)
        return;
    thread_drop(ts);
    free(ts);
}

static void tkey_init(void)
{
    pthread_key_create(&g_tkey, thread_free);
}

static thread_states *thread_get(void)
{
    pthread_once(&g_tonce, tkey_init);
    thread_states *ts = pthread_getspecific(g_tkey);
    if (!ts) {
        ts = calloc(1, sizeof *ts);
        if (!ts)
            return NULL;
        pthread_setspecific(g_tkey, ts);
    }
    if (ts->set && ts->set->generation == atomic_load(&g_generation))
        return ts;
    thread_drop(ts);
    pthread_mutex_lock(&g_lock);
    ts->set = g_set;
    if (ts->set)
        atomic_fetch_add(&ts->set->refs, 1);
    pthread_mutex_unlock(&g_lock);
    if (ts->set) {
        ts->ctx = calloc(ts->set->n ? ts->set->n : 1, sizeof *ts->ctx);
        if (!ts->ctx) {
            set_unref(ts->set);
            ts->set = NULL;
        }
    }
    return ts;
}

void plugin_host_thread_release(void)
{
    pthread_once(&g_tonce, tkey_init);
    thread_states *ts = pthread_getspecific(g_tkey);
    if (ts) {
        pthread_setspecific(g_tkey, NULL);
        thread_free(ts);
    }
}

static plugin_ctx *thread_ctx(thread_states *ts, size_t i, plugin_failure *ret_err)
{
    if (ts->ctx[i])
        return ts->ctx[i];
    plugin *p = &ts->set->plugins[i];
    ts->ctx[i] = pctx_open(p, &g_limits, false, ret_err);
    pthread_mutex_lock(&p->lock);
    if (ts->ctx[i])
        p->states_built++;
    pthread_mutex_unlock(&p->lock);
    return ts->ctx[i];
}

typedef void (*result_fn)(const plugin *p, int status, json_t *value, void *ud);

/* Runs hook h of every plugin of borough on this thread's states; calls
 * fn with each normalised result (value NULL: nil, or on failure). */
static int run_hook(const char *borough, plugin_hook h, json_t *args, result_fn fn, void *ud)
{
    if (!borough || !g_started)
        return 0;
    thread_states *ts = thread_get();
    if (!ts || !ts->set)
        return 0;
    int ran = 0;
    for (size_t i = 0; i < ts->set->n; i++) {
        plugin *p = &ts->set->plugins[i];
        if (p->failed || !(p->hooks & (1u << h)) || strcmp(p->borough, borough) != 0)
            continue;
        ran++;
        int64_t t0 = plugin_mono_us();
        plugin_failure f = { 0 };
        json_t *raw = NULL, *norm = NULL;
        plugin_ctx *c = thread_ctx(ts, i, &f);
        int st = c ? pctx_call(c, h, args, &raw, &f) : -1;
        if (st == 0) {
            char err[300];
            if (plugin_normalize(h, raw, &norm, err, sizeof err) != 0) {
                failure_set(&f, hook_names[h], err, NULL, 0);
                st = -1;
            }
        }
        uint64_t us = (uint64_t)(plugin_mono_us() - t0);
        bool killed = c && c->killed;
        if (st) {
            plugin_record_failure(p, h, &f, killed, us);
            if (killed) {
                /* A killed state may be half-way through anything: the
                 * next call gets a fresh one. */
                pctx_close(c);
                ts->ctx[i] = NULL;
                pthread_mutex_lock(&p->lock);
                p->states_dropped++;
                pthread_mutex_unlock(&p->lock);
            }
        } else {
            plugin_record_call(p, h, us);
        }
        fn(p, st, st ? NULL : norm, ud);
        json_decref(raw);
        json_decref(norm);
    }
    return ran;
}

bool plugin_host_has_hook(const char *borough, plugin_hook h)
{
    bool has = false;
    pthread_mutex_lock(&g_lock);
    for (size_t i = 0; g_set && borough && i < g_set->n; i++) {
        const plugin *p = &g_set->plugins[i];
        if (!p->failed && (p->hooks & (1u << h)) && strcmp(p->borough, borough) == 0)
            has = true;
    }
    pthread_mutex_unlock(&g_lock);
    return has;
}

uint64_t plugin_host_generation(void)
{
    return atomic_load(&g_generation);
}

/* FNV-1a, 64 bits: to notice a change, not to resist an adversary. */
static uint64_t fnv_add(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 1099511628211u;
    return h;
}

void plugin_host_fingerprint(char out[17])
{
    uint64_t h = 14695981039346656037u;
    pthread_mutex_lock(&g_lock);
    for (size_t i = 0; g_set && i < g_set->n; i++) {
        const plugin *p = &g_set->plugins[i];
        h = fnv_add(h, p->name, strlen(p->name) + 1);
        h = fnv_add(h, p->borough, strlen(p->borough) + 1);
        h = fnv_add(h, &p->hooks, sizeof p->hooks);
        h = fnv_add(h, &p->failed, sizeof p->failed);
        for (size_t f = 0; f < p->nfiles; f++) {
            h = fnv_add(h, p->files[f].name, strlen(p->files[f].name) + 1);
            h = fnv_add(h, p->files[f].src, p->files[f].len);
        }
    }
    pthread_mutex_unlock(&g_lock);
    snprintf(out, 17, "%016llx", (unsigned long long)h);
}

/* ---- the hooks, as the rest of Cairn calls them ---- */

static const char *const NEUTRAL_REGISTRATION =
    "Registration for this borough cannot be checked at the moment. Please try again "
    "later, or ask your organisation's safeguarding lead.";
static const char *const NEUTRAL_BOOKING =
    "This booking cannot be checked at the moment. Please try again later, or ask your "
    "training officer.";

typedef struct decide_state {
    plugin_decision *d;
    const char *neutral;
} decide_state;

static void on_decision(const plugin *p, int status, json_t *v, void *ud)
{
    decide_state *ds = ud;
    plugin_decision *d = ds->d;
    if (status != 0) {
        /* Fail closed; a real refusal already given keeps its reason. */
        if (d->verdict != PLUGIN_DENY || d->failed) {
            d->verdict = PLUGIN_DENY;
            d->failed = true;
            snprintf(d->reason, sizeof d->reason, "%s", ds->neutral);
            d->field[0] = '\0';
            snprintf(d->plugin, sizeof d->plugin, "%s", p->name);
        }
        return;
    }
    const char *dec = json_string_value(json_object_get(v, "decision"));
    if (!dec || strcmp(dec, "allow") == 0)
        return;
    const char *reason = json_string_value(json_object_get(v, "reason"));
    const char *field = json_string_value(json_object_get(v, "field"));
    if (strcmp(dec, "deny") == 0 && (d->verdict != PLUGIN_DENY || d->failed)) {
        d->verdict = PLUGIN_DENY;
        d->failed = false;
        snprintf(d->reason, sizeof d->reason, "%s", reason && reason[0] ? reason
                 : "Your borough's rules do not allow this.");
        snprintf(d->field, sizeof d->field, "%s", field ? field : "");
        snprintf(d->plugin, sizeof d->plugin, "%s", p->name);
    } else if (strcmp(dec, "needs_approval") == 0 && d->verdict == PLUGIN_ALLOW) {
        d->verdict = PLUGIN_NEEDS_APPROVAL;
        snprintf(d->reason, sizeof d->reason, "%s", reason && reason[0] ? reason
                 : "A training officer needs to approve this.");
        snprintf(d->plugin, sizeof d->plugin, "%s", p->name);
    }
}

static void decide(const char *borough, plugin_hook h, json_t *args, const char *neutral,
                   plugin_decision *ret)
{
    memset(ret, 0, sizeof *ret);
    ret->verdict = PLUGIN_ALLOW;
    decide_state ds = { ret, neutral };
    if (!args) {
        ret->verdict = PLUGIN_DENY;
        ret->failed = true;
        snprintf(ret->reason, sizeof ret->reason, "%s", neutral);
        return;
    }
    run_hook(borough, h, args, on_decision, &ds);
    json_decref(args);
}

void plugin_registration_check(const char *borough, json_t *registration,
                               plugin_decision *ret)
{
    decide(borough, HOOK_REGISTRATION_CHECK, json_pack("[O]", registration),
           NEUTRAL_REGISTRATION, ret);
}

void plugin_booking_eligibility(const char *borough, json_t *learner, json_t *session,
                                plugin_decision *ret)
{
    decide(borough, HOOK_BOOKING_ELIGIBILITY, json_pack("[OO]", learner, session),
           NEUTRAL_BOOKING, ret);
}

typedef struct gather {
    json_t *out;               /* NULL until a plugin answers */
    bool first_only;
    bool concat;
} gather;

static void on_value(const plugin *p, int status, json_t *v, void *ud)
{
    gather *g = ud;
    if (status != 0 || !v)
        return;
    if (g->concat) {
        if (!g->out)
            g->out = json_array();
        json_array_extend(g->out, v);
        return;
    }
    if (!g->out)
        g->out = json_incref(v);
}

static json_t *gather_run(const char *borough, plugin_hook h, json_t *args, bool concat)
{
    gather g = { NULL, !concat, concat };
    if (args)
        run_hook(borough, h, args, on_value, &g);
    json_decref(args);
    return g.out;
}

json_t *plugin_required_training(const char *borough, json_t *learner)
{
    return gather_run(borough, HOOK_REQUIRED_TRAINING, json_pack("[O]", learner), true);
}

json_t *plugin_expiry(const char *borough, json_t *record, json_t *item, json_t *learner)
{
    return gather_run(borough, HOOK_EXPIRY, json_pack("[OOO]", record,
                      item ? item : json_null(), learner), false);
}

json_t *plugin_local_contacts(const char *borough, json_t *borough_info)
{
    return gather_run(borough, HOOK_LOCAL_CONTACTS, json_pack("[O]", borough_info), false);
}

json_t *plugin_report_columns(const char *borough, json_t *learner)
{
    return gather_run(borough, HOOK_REPORT_COLUMNS, json_pack("[O]", learner), true);
}

typedef struct charge_answer {
    json_t *out;               /* the first amount named */
    bool failed;
} charge_answer;

static void on_charge(const plugin *p, int status, json_t *v, void *ud)
{
    charge_answer *ca = ud;
    if (status != 0)
        ca->failed = true;
    else if (v && !ca->out)
        ca->out = json_incref(v);
}

json_t *plugin_charge(const char *borough, json_t *event, json_t *learner, bool *ret_failed)
{
    charge_answer ca = { NULL, false };
    json_t *args = json_pack("[OO]", event, learner ? learner : json_null());
    if (args)
        run_hook(borough, HOOK_CHARGE, args, on_charge, &ca);
    else
        ca.failed = true;
    json_decref(args);
    *ret_failed = ca.failed;
    return ca.out;
}

/* ---- observers: a queue and a thread of their own ---- */

typedef struct obs_event {
    plugin_hook h;
    int64_t user_id;
    json_t *event;
} obs_event;

static obs_event g_queue[OBSERVER_QUEUE];
static size_t g_qhead, g_qlen;
static bool g_qbusy, g_qstop, g_qrunning;
static uint64_t g_qdropped, g_qdone;
static pthread_mutex_t g_qlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_qcond = PTHREAD_COND_INITIALIZER;
static pthread_cond_t g_qidle = PTHREAD_COND_INITIALIZER;
static pthread_t g_qthread;
static plugin_learner_fn g_learner_source;

void plugin_host_set_learner_source(plugin_learner_fn fn)
{
    g_learner_source = fn;
}

static void ignore_result(const plugin *p, int status, json_t *v, void *ud)
{
    (void)p, (void)status, (void)v, (void)ud;
}

static void *observer_main(void *unused)
{
    (void)unused;
    for (;;) {
        pthread_mutex_lock(&g_qlock);
        while (g_qlen == 0 && !g_qstop)
            pthread_cond_wait(&g_qcond, &g_qlock);
        if (g_qlen == 0 && g_qstop) {
            pthread_mutex_unlock(&g_qlock);
            break;
        }
        obs_event e = g_queue[g_qhead];
        g_qhead = (g_qhead + 1) % OBSERVER_QUEUE;
        g_qlen--;
        g_qbusy = true;
        pthread_mutex_unlock(&g_qlock);

        json_t *learner = g_learner_source ? g_learner_source(e.user_id) : NULL;
        const char *borough = json_string_value(
            json_object_get(json_object_get(learner, "borough"), "slug"));
        json_t *args = learner && borough ? json_pack("[OO]", e.event, learner) : NULL;
        if (args)
            run_hook(borough, e.h, args, ignore_result, NULL);
        json_decref(args);
        json_decref(learner);
        json_decref(e.event);

        pthread_mutex_lock(&g_qlock);
        g_qbusy = false;
        g_qdone++;
        if (g_qlen == 0)
            pthread_cond_broadcast(&g_qidle);
        pthread_mutex_unlock(&g_qlock);
    }
    plugin_host_thread_release();
    return NULL;
}

void plugin_observe(plugin_hook h, int64_t user_id, json_t *event)
{
    if (!event)
        return;
    pthread_mutex_lock(&g_qlock);
    if (!g_qrunning || g_qstop || g_qlen == OBSERVER_QUEUE) {
        g_qdropped++;
        pthread_mutex_unlock(&g_qlock);
        json_decref(event);
        return;
    }
    g_queue[(g_qhead + g_qlen) % OBSERVER_QUEUE] = (obs_event){ h, user_id, event };
    g_qlen++;
    pthread_cond_signal(&g_qcond);
    pthread_mutex_unlock(&g_qlock);
}

void plugin_observe_flush(void)
{
    pthread_mutex_lock(&g_qlock);
    while (g_qrunning && (g_qlen > 0 || g_qbusy))
        pthread_cond_wait(&g_qidle, &g_qlock);
    pthread_mutex_unlock(&g_qlock);
}

/* ---- start, reload, stop, status ---- */

int plugin_host_start(const char *dir, const plugin_limits *limits)
{
    g_limits = limits ? *limits : plugin_default_limits();
    free(g_dir);
    g_dir = strdup(dir);
    g_started = true;
    int r = plugin_host_reload();
    pthread_mutex_lock(&g_qlock);
    g_qstop = false;
    if (!g_qrunning && pthread_create(&g_qthread, NULL, observer_main, NULL) == 0)
        g_qrunning = true;
    pthread_mutex_unlock(&g_qlock);
    return r < 0 ? r : 0;
}

int plugin_host_set_dir(const char *dir)
{
    char *copy = strdup(dir);
    if (!copy)
        return -ENOMEM;
    pthread_mutex_lock(&g_reload_lock);
    char *old = g_dir;
    g_dir = copy;
    pthread_mutex_unlock(&g_reload_lock);
    free(old);
    return 0;
}

int plugin_host_reload(void)
{
    if (!g_dir)
        return -EINVAL;
    pthread_mutex_lock(&g_reload_lock);
    plugin_set *s = NULL;
    int r = set_read(g_dir, &s);
    if (!s) {
        pthread_mutex_unlock(&g_reload_lock);
        return -ENOMEM;
    }
    s->generation = ++g_next_generation;
    int failed = 0;
    if (r)
        log_warn("plugins", "no plugins: %s cannot be read (%s)", g_dir, strerror(-r));
    for (size_t i = 0; i < s->n; i++) {
        const plugin *p = &s->plugins[i];
        if (p->failed) {
            failed++;
            log_error("plugins", "plugin=%s failed to load: file=%s line=%d %s", p->name,
                      p->load_error.file[0] ? p->load_error.file : "-", p->load_error.line,
                      p->load_error.message);
        } else {
            log_info("plugins", "plugin=%s borough=%s loaded (%zu files)", p->name, p->borough,
                     p->nfiles);
        }
    }
    pthread_mutex_lock(&g_lock);
    plugin_set *old = g_set;
    g_set = s;
    atomic_store(&g_generation, s->generation);
    pthread_mutex_unlock(&g_lock);
    set_unref(old);
    pthread_mutex_unlock(&g_reload_lock);
    return r < 0 ? r : failed;
}

void plugin_host_stop(void)
{
    pthread_mutex_lock(&g_qlock);
    bool running = g_qrunning;
    g_qstop = true;
    pthread_cond_broadcast(&g_qcond);
    pthread_mutex_unlock(&g_qlock);
    if (running)
        pthread_join(g_qthread, NULL);
    pthread_mutex_lock(&g_qlock);
    g_qrunning = false;
    pthread_cond_broadcast(&g_qidle);
    pthread_mutex_unlock(&g_qlock);
    plugin_host_thread_release();
    pthread_mutex_lock(&g_lock);
    plugin_set *old = g_set;
    g_set = NULL;
    atomic_store(&g_generation, 0);
    pthread_mutex_unlock(&g_lock);
    set_unref(old);
    g_started = false;
    free(g_dir);
    g_dir = NULL;
}

static json_t *failure_json(const plugin_failure *f)
{
    if (!f->set)
        return json_null();
    json_t *o = json_pack("{ss ss ss}", "hook", f->hook, "message", f->message, "at", f->at);
    json_object_set_new(o, "file", f->file[0] ? json_string(f->file) : json_null());
    json_object_set_new(o, "line", f->line > 0 ? json_integer(f->line) : json_null());
    return o;
}

json_t *plugin_host_status(void)
{
    pthread_mutex_lock(&g_lock);
    plugin_set *s = g_set;
    if (s)
        atomic_fetch_add(&s->refs, 1);
    pthread_mutex_unlock(&g_lock);
    json_t *list = json_array();
    for (size_t i = 0; s && i < s->n; i++) {
        plugin *p = &s->plugins[i];
        json_t *hooks = json_array();
        pthread_mutex_lock(&p->lock);
        for (int h = 0; h < HOOK_COUNT; h++) {
            if (!(p->hooks & (1u << h)))
                continue;
            const hook_stats *st = &p->stats[h];
            json_array_append_new(hooks, json_pack("{ss sI sI sI sI sf sI}",
                "name", hook_names[h], "calls", (json_int_t)st->calls,
                "failures", (json_int_t)st->failures, "kills", (json_int_t)st->kills,
                "total_us", (json_int_t)st->total_us,
                "mean_us", st->calls ? (double)st->total_us / (double)st->calls : 0.0,
                "max_us", (json_int_t)st->max_us));
        }
        json_t *o = json_pack("{ss ss ss si ss so so so sI sI}",
            "name", p->name, "borough", p->borough,
            "description", p->description ? p->description : "",
            "api_version", p->api_version, "state", p->failed ? "failed" : "loaded",
            "hooks", hooks, "error", p->failed ? failure_json(&p->load_error) : json_null(),
            "last_failure", failure_json(&p->last_failure),
            "states_built", (json_int_t)p->states_built,
            "states_dropped", (json_int_t)p->states_dropped);
        json_t *files = json_array();
        for (size_t k = 0; k < p->nfiles; k++)
            json_array_append_new(files, json_string(p->files[k].name));
        json_object_set_new(o, "files", files);
        pthread_mutex_unlock(&p->lock);
        json_array_append_new(list, o);
    }
    pthread_mutex_lock(&g_qlock);
    json_t *obs = json_pack("{sI sI sI}", "queued", (json_int_t)g_qlen,
                            "done", (json_int_t)g_qdone, "dropped", (json_int_t)g_qdropped);
    pthread_mutex_unlock(&g_qlock);
    json_t *out = json_pack("{ss? sI ss? so so s{sI si sI si sI}}",
        "dir", s ? s->dir : g_dir, "generation", (json_int_t)(s ? s->generation : 0),
        "loaded_at", s ? s->loaded_at : NULL, "plugins", list, "observers", obs,
        "limits", "call_instructions", (json_int_t)g_limits.call_instructions,
        "call_ms", (int)g_limits.call_ms,
        "load_instructions", (json_int_t)g_limits.load_instructions,
        "load_ms", (int)g_limits.load_ms, "memory_bytes", (json_int_t)g_limits.memory);
    set_unref(s);
    return out;
}
