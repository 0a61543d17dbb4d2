/* csv.h: a reader for comma-separated values as RFC 4180 writes them.
 *
 * Fields may be quoted ("a, b"), with a doubled quote standing for one
 * ("say ""hi"""); a quoted field may hold commas and line breaks. Records
 * end with CRLF, LF or a lone CR. A UTF-8 byte order mark at the start is
 * skipped; lines with nothing on them are skipped (a spreadsheet's trailing
 * blank lines). Every field must be UTF-8 without NUL bytes.
 *
 * The reader works over a buffer the caller owns and keeps; it allocates
 * only its own field storage. Plain C, no other part of Cairn needed, so
 * the unit test and the fuzz harness link just this file. */
#ifndef CAIRN_CSV_H
#define CAIRN_CSV_H

#include <stddef.h>

typedef struct csv_reader {
    const char *data;           /* not owned */
    size_t len, pos;
    size_t line;                /* physical line of the next byte (1-based) */
    size_t max_fields;          /* per record */
    size_t max_field_len;       /* bytes per field */
    /* one record's fields, NUL-separated; owned */
    char *buf;
    size_t buf_len, buf_cap;
    size_t *offs;               /* owned: start of each field in buf */
    char **fields;              /* owned: pointers handed out by csv_next */
    size_t n, cap;
} csv_reader;

typedef struct csv_record {
    char **fields;              /* owned by the reader: valid until the next call */
    size_t n;
    size_t line;                /* physical line where the record starts */
} csv_record;

/* Starts reading data (len bytes); skips a UTF-8 byte order mark. Limits:
 * max_fields per record and max_field_len bytes per field (0: 64 and
 * 64 KiB). */
void csv_init(csv_reader *rd, const char *data, size_t len, size_t max_fields,
              size_t max_field_len);
/* Reads the next record into *ret. Returns 1 for a record, 0 at the end,
 * or: -EBADMSG (a quote left open, or text after a closing quote),
 * -E2BIG (a field or a record over the limits), -EILSEQ (a NUL byte or
 * text that is not UTF-8), -ENOMEM. After an error rd->line is the line at
 * fault and the reader stays at the end. */
int csv_next(csv_reader *rd, csv_record *ret);
/* Frees the reader's storage (not data). Safe on a zeroed reader. */
void csv_free(csv_reader *rd);
/* A sentence for people about a csv_next error code. */
const char *csv_strerror(int e);

/* ---- writing ---- */
/* Room csv_cell needs for a value of n bytes. */
#define CSV_CELL_MAX(n) (2 * (size_t)(n) + 3)
/* Writes v as one RFC 4180 cell into out (CSV_CELL_MAX(strlen(v)) bytes,
 * no NUL added) and returns the bytes written: quoted when it holds a
 * comma, a quote or a line break, a quote inside doubled. A value a
 * spreadsheet would run as a formula (starting with = + - @, a tab or a
 * carriage return) gets a leading ' so that it stays text (OWASP "CSV
 * injection"), unless it is a plain number such as "-3" or "0.25". */
size_t csv_cell(char *out, const char *v);

#endif
