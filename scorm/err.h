/* err.h: the error buffer every fallible function in scorm/ fills.
 *
 * Library code does not log. A function that fails returns a negative
 * errno-style code and, when given a non-NULL cairn_err, writes one sentence a
 * person can act on ("The zip holds 12001 entries; the limit is 10000.").
 * The program's edge (an HTTP handler, the CLI) shows it once. */
#ifndef CAIRN_ERR_H
#define CAIRN_ERR_H

#include <stddef.h>

typedef struct cairn_err {
    int code;           /* negative errno-style code, 0 when unset */
    char msg[512];      /* NUL-terminated, for people */
} cairn_err;

/* Sets code and formats msg; a NULL err is allowed and ignored. Returns code,
 * so that `return cairn_err_set(err, -EINVAL, "...")` reads naturally. */
int cairn_err_set(cairn_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
