/* dp.h: anonymising learners, for erasure on request and for the
 * retention run (one code path: store_dp_anonymise_tx says what is kept
 * and what is removed), and `cairn retention run`. */
#ifndef CAIRN_DP_H
#define CAIRN_DP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Anonymises learner uid now in one transaction. reason: "erasure" or
 * "retention". ret_kept (may be NULL): learner records, attendance and
 * evidence rows kept for counts. -ENOENT when not a learner, -EALREADY
 * when already anonymised. */
int dp_anonymise(int64_t uid, const char *reason, int64_t *ret_kept);

/* One retention pass as of today ("YYYY-MM-DD"): every borough with a
 * retention period anonymises its learners whose last activity is older
 * than that many months, in transactions of at most 200 learners, and
 * prints one line per borough to out. dry_run: counts only. Records the
 * run in the audit log (unless dry_run). 0 or a negative errno. */
int dp_retention_run(const char *today, bool dry_run, FILE *out);

/* `cairn retention run [--data DIR] [--dry-run] [--today YYYY-MM-DD]` */
int retention_main(int argc, char **argv, const char *default_data);

/* A real date "YYYY-MM-DD" from 1990 on. */
bool dp_valid_date(const char *s);

#endif
