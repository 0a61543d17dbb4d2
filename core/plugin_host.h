/* plugin_host.h: borough rules as Lua 5.4 plugins (docs/PLUGIN_API.md).
 *
 * A plugin is a folder plugins/<name>/ with plugin.json, init.lua, more
 * .lua files it may import, and tests/<name>.lua. The host reads every plugin's
 * files once (at start, on SIGHUP, on POST /api/admin/plugins/reload) into
 * an immutable "plugin set"; each thread that calls a hook builds its own
 * Lua state per plugin from that set, lazily, and rebuilds it when the set
 * changes (a generation counter). A state is never used by two threads.
 *
 * Every hook call runs in a sandbox (an allow-list of safe functions, text
 * chunks only, no io/os.execute/debug/require), under an instruction
 * budget, a wall-clock deadline and a memory cap. A call that errors or is
 * killed is logged once with the plugin, hook and Lua line, counted, and
 * answered with the hook's default: permission hooks fail closed (deny with
 * a neutral reason), informational hooks give nothing.
 *
 * Borough slugs choose the plugins: a hook for a learner runs the plugins
 * whose manifest names the learner's borough, in folder-name order.
 *
 * Functions here never log for the caller and never block on Lua for longer
 * than the limits below; they are safe to call from any thread. */
#ifndef CAIRN_PLUGIN_HOST_H
#define CAIRN_PLUGIN_HOST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PLUGIN_API_VERSION 1

typedef enum plugin_hook {
    HOOK_REGISTRATION_CHECK,    /* permission: allow | deny */
    HOOK_BOOKING_ELIGIBILITY,   /* permission: allow | deny | needs_approval */
    HOOK_REQUIRED_TRAINING,     /* informational: items with due dates */
    HOOK_EXPIRY,                /* informational: when a record expires */
    HOOK_LOCAL_CONTACTS,        /* informational: contacts, certificate wording */
    HOOK_REPORT_COLUMNS,        /* informational: extra columns for officers */
    HOOK_CHARGE,                /* informational: a no-show's or late cancellation's charge */
    HOOK_ON_COMPLETION,         /* observers: their result is ignored */
    HOOK_ON_EXPIRY,
    HOOK_ON_BOOKING_CHANGE,
    HOOK_ON_ATTENDANCE,
    HOOK_COUNT
} plugin_hook;

const char *plugin_hook_name(plugin_hook h);
/* -1 when name is not a hook. */
int plugin_hook_parse(const char *name);

typedef struct plugin_limits {
    uint64_t call_instructions;   /* per hook call */
    unsigned call_ms;             /* wall clock per hook call */
    uint64_t load_instructions;   /* running init.lua (and each test case) */
    unsigned load_ms;
    size_t memory;                /* bytes per Lua state (plugin x thread) */
} plugin_limits;

/* 2 million instructions and 200 ms per call, 20 million and 1 s to load,
 * 32 MiB per state. */
plugin_limits plugin_default_limits(void);

/* Reads every plugin under dir and starts the observer thread. A plugin
 * that fails to load is listed as failed; the others work. limits may be
 * NULL for the defaults. Returns 0, or -errno when dir cannot be read
 * (the host then runs with no plugins). */
int plugin_host_start(const char *dir, const plugin_limits *limits);
/* Reads the folder again; threads rebuild their states on their next call.
 * Returns the number of plugins that failed to load, or -errno. */
int plugin_host_reload(void);
/* Changes the folder the next plugin_host_reload reads (SIGHUP after the
 * configuration's plugins key changed). Returns 0 or -ENOMEM. */
int plugin_host_set_dir(const char *dir);
/* Drains the observer queue, stops its thread, releases every plugin. */
void plugin_host_stop(void);
/* Releases this thread's Lua states now (they are also released at thread
 * exit). */
void plugin_host_thread_release(void);
/* For GET /api/admin/plugins: the folder, the generation, every plugin with
 * its hooks, load error and line, and per-hook calls, failures and time. */
json_t *plugin_host_status(void);
/* True when some plugin of this borough registers hook h. */
bool plugin_host_has_hook(const char *borough, plugin_hook h);
/* The published set's generation (0 before the first load): it changes on
 * every reload, even when nothing in the folder did. */
uint64_t plugin_host_generation(void);
/* A fingerprint of the published set's plugins (names, boroughs, hooks and
 * every file's name and text) as 16 hex digits into out (17 bytes): equal
 * sets give equal fingerprints across restarts. */
void plugin_host_fingerprint(char out[17]);

/* ---- permission hooks ---- */
typedef enum { PLUGIN_ALLOW, PLUGIN_DENY, PLUGIN_NEEDS_APPROVAL } plugin_verdict;

typedef struct plugin_decision {
    plugin_verdict verdict;
    bool failed;          /* a plugin failed: verdict is DENY with a neutral reason */
    char reason[400];     /* for people; empty when allowed */
    char field[40];       /* the form field at fault, or empty */
    char plugin[65];      /* who decided, or empty */
} plugin_decision;

/* registration is {"email","name","job_role","borough":{...},"organisation":{...}};
 * no plugin or no opinion is ALLOW. */
void plugin_registration_check(const char *borough, json_t *registration,
                               plugin_decision *ret);
void plugin_booking_eligibility(const char *borough, json_t *learner, json_t *session,
                                plugin_decision *ret);

/* ---- informational hooks: NULL when no plugin answers or one failed ---- */
/* [{"id","title","kind","package"?,"group"?,"level"?,"due"?,"note"?}] */
json_t *plugin_required_training(const char *borough, json_t *learner);
/* {"expires": "YYYY-MM-DD" or null, "rule"?, "expiring_days"} */
json_t *plugin_expiry(const char *borough, json_t *record, json_t *item, json_t *learner);
/* {"contacts":[{"role","name","phone"?,"email"?,"hours"?,"url"?,"note"?}],
 *  "certificate_wording"?} */
json_t *plugin_local_contacts(const char *borough, json_t *borough_info);
/* [{"key","label","value"}] */
json_t *plugin_report_columns(const char *borough, json_t *learner);
/* What the learner's borough charges for a no-show or a late cancellation:
 * event is {"reason": "no_show"|"late_cancellation", "session": {...},
 * "notice_hours"?}. Returns {"amount_pence", "note"} from the first plugin
 * that names an amount; NULL when none does. *ret_failed is true when a
 * plugin failed (the caller still flags the charge, with no amount). */
json_t *plugin_charge(const char *borough, json_t *event, json_t *learner, bool *ret_failed);

/* ---- observers ---- */
/* Builds the learner argument for observers on the observer thread (so the
 * caller, e.g. the writer thread, never waits for SQL or Lua). Returns a
 * new reference, or NULL when the user is gone. */
typedef json_t *(*plugin_learner_fn)(int64_t user_id);
void plugin_host_set_learner_source(plugin_learner_fn fn);
/* Queues an event for the observer thread: hook(event, learner) for the
 * learner's borough. Never blocks; drops (and counts) when the queue is
 * full. event is stolen. */
void plugin_observe(plugin_hook h, int64_t user_id, json_t *event);
/* Waits until the observer queue is empty (tests, shutdown). */
void plugin_observe_flush(void);

/* ---- the command line ---- */
/* `cairn plugin test DIR`: runs DIR/tests/<name>.lua; prints TAP and
 * "N passed, N failed". Returns the exit status. */
int plugin_test_main(const char *dir);
/* `cairn plugin bench DIR`: what one call of each hook costs. */
int plugin_bench_main(const char *dir, long calls);

#endif
