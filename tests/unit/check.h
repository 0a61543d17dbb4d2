/* check.h: a tiny TAP producer for the C unit tests.
 *
 *   CHECK(cond, "what is being checked");
 *   return check_done();
 *
 * Prints "ok N - what" / "not ok N - what (file:line)" and a plan at the end,
 * which meson reads with protocol: 'tap'. */
#ifndef CAIRN_CHECK_H
#define CAIRN_CHECK_H

#include <stdio.h>

static int check_count, check_failed;

#define CHECK(cond, ...) do {                                            \
        int check_ok_ = (cond) ? 1 : 0;   /* evaluated once */            \
        check_count++;                                                    \
        if (!check_ok_)                                                   \
            check_failed++;                                               \
        printf("%s %d - ", check_ok_ ? "ok" : "not ok", check_count);     \
        printf(__VA_ARGS__);                                              \
        if (!check_ok_)                                                   \
            printf(" (%s:%d)", __FILE__, __LINE__);                       \
        printf("\n");                                                     \
    } while (0)

static inline int check_done(void)
{
    printf("1..%d\n", check_count);
    return check_failed ? 1 : 0;
}

#endif
