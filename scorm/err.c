/* err.c: formatting for cairn_err (see err.h). */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>

int cairn_err_set(cairn_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}
