/* bench.h: `cairn bench generate`, a data folder filled with generated
 * boroughs, learners and records for timing the reports at scale
 * (tests/bench/reports, docs/PERFORMANCE.md). Never used by `cairn serve`. */
#ifndef CAIRN_BENCH_H
#define CAIRN_BENCH_H

#include <stdint.h>

typedef struct bench_params {
    int boroughs;               /* "bench-01" ... */
    int64_t learners;           /* spread evenly over the boroughs */
    int64_t records;            /* e-learning records + attendance + evidence */
    const char *officer_hash;   /* Argon2id hash for every generated officer and the admin */
    uint32_t seed;
} bench_params;

typedef struct bench_counts {
    int64_t boroughs, organisations, learners, elearning, attendance, evidence, feedback,
        compliance;
} bench_counts;

/* store_bench.c: writes everything with SQL in large transactions into the
 * open store (store_open), which must hold no "bench-" borough yet.
 * -EEXIST when it does. */
int store_bench_generate(const bench_params *p, bench_counts *ret);

/* bench.c: the command. */
int bench_main(int argc, char **argv, const char *default_data, const char *default_plugins);

#endif
