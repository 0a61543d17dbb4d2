/* demo.h: demo boroughs, accounts and packages (see demo.c). */
#ifndef CAIRN_DEMO_H
#define CAIRN_DEMO_H

/* Seeds once; prints the demo accounts' passwords every time. packages_dir
 * may be NULL or missing. Returns 0 or a negative code. */
int demo_seed(const char *data_dir, const char *packages_dir);

#endif
