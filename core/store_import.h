/* store_import.h: imported training history (POST /api/officer/imports,
 * docs/API.md "Importing training history").
 *
 * Imported rows are evidence rows with source 'import'. The table's
 * UNIQUE (user_id, kind, title, completed_on) is what makes an import
 * idempotent: a row already there is reported as "already recorded" and
 * not written again. Same conventions as store.h. */
#ifndef CAIRN_STORE_IMPORT_H
#define CAIRN_STORE_IMPORT_H

#include "store.h"

typedef struct cairn_import_row {
    int64_t user_id;
    const char *kind;           /* "external", "course" or "elearning" */
    const char *title;
    const char *provider;       /* "" for none */
    const char *group;          /* "A"|"B"|"C" or NULL */
    int level;                  /* 0, 1, 2, or -1 for none */
    double hours;
    const char *completed_on;   /* YYYY-MM-DD, validated by the caller */
    const char *note;           /* "" for none */
    bool exists;                /* OUT: already recorded, not written */
} cairn_import_row;

/* write false: sets rows[i].exists for each row and writes nothing.
 * write true: writes every row that is not there yet, all in one
 * transaction (all or none), and sets rows[i].exists for those that were
 * (also when another import wrote them a moment ago). ret_written: rows
 * written (may be NULL). */
int store_import_rows(cairn_import_row *rows, size_t n, bool write, int64_t entered_by,
                      size_t *ret_written);

#endif
