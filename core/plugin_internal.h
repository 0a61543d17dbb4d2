/* plugin_internal.h: what plugin_host.c, plugin_api.c and plugin_test.c
 * share, and nothing else includes. The rest of Cairn sees plugin_host.h.
 *
 * Ownership: a plugin_set owns its plugins and their file snapshots and is
 * never changed after it is published; it is freed when the last thread
 * that built states from it lets go (refs). A plugin_ctx (one Lua state)
 * belongs to exactly one thread. Counters in a plugin are shared by every
 * thread and are read and written under plugin.lock. */
#ifndef CAIRN_PLUGIN_INTERNAL_H
#define CAIRN_PLUGIN_INTERNAL_H

#include "plugin_host.h"

#include <lua.h>
#include <pthread.h>
#include <stdatomic.h>

enum {
    PLUGIN_NAME_MAX = 64,
    PLUGIN_FILE_NAME_MAX = 64,
    PLUGIN_FILES_MAX = 64,
    PLUGIN_FILE_BYTES_MAX = 256 * 1024,
    PLUGIN_TOTAL_BYTES_MAX = 1024 * 1024,
    PLUGIN_TESTS_MAX = 64,
    /* Values crossing between Lua and the host */
    PLUGIN_JSON_DEPTH_MAX = 16,
    PLUGIN_JSON_NODES_MAX = 20000,
    PLUGIN_JSON_BYTES_MAX = 1024 * 1024,
    /* Storage */
    PLUGIN_KEY_MAX = 128,
    PLUGIN_VALUE_MAX = 16 * 1024,
    PLUGIN_KEYS_MAX = 10000,
    /* Lines a plugin may log per call */
    PLUGIN_LOG_LINES_MAX = 20,
};

typedef struct plugin_file {
    char name[PLUGIN_FILE_NAME_MAX + 1];  /* "init.lua", relative to the folder */
    char *src;                            /* owned, NUL-terminated */
    size_t len;
} plugin_file;

typedef struct hook_stats {
    uint64_t calls, failures, kills, total_us, max_us;
} hook_stats;

typedef struct plugin_failure {
    bool set;
    char hook[32];
    char message[400];
    char file[PLUGIN_FILE_NAME_MAX + 1];
    int line;                 /* 0 when unknown */
    char at[24];              /* UTC, ISO 8601 */
} plugin_failure;

typedef struct plugin {
    char name[PLUGIN_NAME_MAX + 1];
    char borough[PLUGIN_NAME_MAX + 1];
    char *description;        /* owned */
    char *dir;                /* owned; NULL for plugins built in memory */
    int api_version;
    unsigned hooks;           /* bit (1u << plugin_hook) for each hook in plugin.json */
    plugin_file *files;       /* owned: every .lua at the top of the folder */
    size_t nfiles;
    /* the load result (fixed once the set is published) */
    bool failed;
    plugin_failure load_error;
    /* shared counters, under lock */
    pthread_mutex_t lock;
    hook_stats stats[HOOK_COUNT];
    uint64_t states_built, states_dropped;
    plugin_failure last_failure;
} plugin;

typedef struct plugin_set {
    atomic_int refs;
    uint64_t generation;
    char *dir;                /* owned */
    char loaded_at[24];
    plugin *plugins;          /* owned */
    size_t n;
} plugin_set;

typedef enum {
    PHASE_IDLE,               /* no Lua may run */
    PHASE_LOAD,               /* init.lua and imports: no storage */
    PHASE_DECIDE,             /* permission hooks: storage read-only */
    PHASE_QUERY,              /* informational hooks: storage read-only */
    PHASE_OBSERVE,            /* observers: storage read-write */
    PHASE_TEST,               /* cairn plugin test: everything, storage in memory */
} plugin_phase;

/* One plugin's Lua state on one thread. The allocator's ud is the ctx, so
 * any coroutine's lua_State leads back here (pctx_of). */
typedef struct plugin_ctx {
    lua_State *L;             /* the main thread */
    plugin *p;
    plugin_limits limits;
    size_t mem_used;
    int env_ref, hooks_ref, imports_ref;   /* registry references */
    /* the run in progress (a hook call, init.lua, a test case) */
    plugin_phase phase;
    const char *running;      /* hook name or file, for messages */
    int64_t deadline_us;
    uint64_t instructions, instruction_limit;
    uint64_t clock_check_at;  /* charge() reads the clock when instructions pass this */
    int log_lines;
    bool killed;              /* sticky until the run ends: see plugin_host.c */
    char kill_reason[80];
    char kill_file[PLUGIN_FILE_NAME_MAX + 1];
    int kill_line;
    /* cairn plugin test */
    bool test_mode;
    int64_t fixed_now;        /* seconds since 1970; 0 for the real clock */
    int storage_ref;          /* test mode: the in-memory storage table */
} plugin_ctx;

/* ---- plugin_host.c ---- */
plugin_ctx *pctx_of(lua_State *L);
/* The phase a hook runs in (what the API allows it to do). */
plugin_phase plugin_hook_phase(plugin_hook h);
int64_t plugin_mono_us(void);
/* A new state for p with the sandbox, init.lua run and the hooks checked.
 * On failure returns NULL and fills ret_err (message, file, line). */
plugin_ctx *pctx_open(plugin *p, const plugin_limits *lim, bool test_mode,
                      plugin_failure *ret_err);
void pctx_close(plugin_ctx *c);
/* Pushes a fresh sandbox environment (what a plugin's chunks see). */
void pctx_push_env(plugin_ctx *c);
/* Loads src as a text chunk named name with the table at env_index as its
 * _ENV; pushes the function, or returns non-zero with the message pushed. */
int pctx_load(plugin_ctx *c, const char *name, const char *src, size_t len, int env_index);
/* Arms and disarms the budget around a run of Lua code. */
void pctx_begin(plugin_ctx *c, plugin_phase phase, const char *running,
                uint64_t instructions, unsigned ms);
void pctx_end(plugin_ctx *c);
/* For C functions called from Lua: raises the kill again if the run was
 * killed or its deadline has passed. */
void pctx_check(lua_State *L);
/* After a failed lua_pcall: the message (raw: no __tostring), file and
 * line, preferring the kill's own location. */
void pctx_describe(plugin_ctx *c, int status, plugin_failure *ret);
/* Calls hook h with args (a JSON array, converted afresh) under the call
 * budget. ret: the result as JSON (NULL for nil). Returns 0, or -1 with
 * ret_fail filled. */
int pctx_call(plugin_ctx *c, plugin_hook h, json_t *args, json_t **ret, plugin_failure *ret_fail);
/* Checks and normalises a hook's result into the shape the host uses
 * (docs/PLUGIN_API.md). value may be NULL (nil). *ret is a new reference
 * or NULL (no opinion). Returns 0, or -1 with a message. */
int plugin_normalize(plugin_hook h, json_t *value, json_t **ret, char *err, size_t errlen);
/* Reads one plugin folder (manifest and files) into p; p->failed says why. */
void plugin_read_dir(plugin *p, const char *dir, const char *name);
void plugin_clear(plugin *p);
/* Records a failure in p's counters and logs it once. */
void plugin_record_failure(plugin *p, plugin_hook h, const plugin_failure *f, bool killed,
                           uint64_t us);
void plugin_record_call(plugin *p, plugin_hook h, uint64_t us);
void plugin_now_iso(char buf[24]);

/* ---- plugin_api.c ---- */
/* Sets env.cairn (a read-only proxy) and env.print for the env at env_index. */
void papi_install(plugin_ctx *c, int env_index);
/* JSON to Lua: objects and arrays become tables, null becomes nil. */
void papi_push_json(lua_State *L, json_t *v);
/* Lua to JSON with raw access only (no metamethod runs), under the depth,
 * node and byte limits. nil becomes NULL with 0 returned. */
int papi_to_json(lua_State *L, int idx, json_t **ret, char *err, size_t errlen);
/* "YYYY-MM-DD" (or an ISO date-time, whose date is taken). */
int papi_parse_date(const char *s, int *y, int *m, int *d);
int64_t papi_days_from_civil(int y, int m, int d);
void papi_civil_from_days(int64_t z, int *y, int *m, int *d);

/* ---- plugin_test.c ---- */
/* The fixtures and assertion helpers as Lua source (run in each test env). */
extern const char plugin_test_prelude[];

#endif
