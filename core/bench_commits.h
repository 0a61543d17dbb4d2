/* bench_commits.h: `cairn bench commits`, the single writer path timed on
 * its own, without HTTP (tests/bench/run, docs/PERFORMANCE.md). Never used
 * by `cairn serve`. */
#ifndef CAIRN_BENCH_COMMITS_H
#define CAIRN_BENCH_COMMITS_H

/* argv[0] is "commits". Returns the process exit code. */
int bench_commits_main(int argc, char **argv, const char *default_data);

#endif
