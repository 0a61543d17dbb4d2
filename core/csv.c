/* csv.c: the RFC 4180 reader (csv.h).
 *
 * One pass over the caller's buffer, one record at a time. A record's
 * fields are copied, unquoted, into rd->buf one after another, each ended
 * by a NUL; rd->offs remembers where each starts and rd->fields points
 * into buf once the record is complete (buf may move while it grows).
 *
 * Invariants:
 *  1. rd->pos only moves forward and never passes rd->len.
 *  2. A field never holds more than max_field_len bytes and a record
 *     never more than max_fields fields: the limits are checked as bytes
 *     arrive, so a hostile file cannot make the reader allocate more than
 *     max_fields * (max_field_len + 1) bytes.
 *  3. After an error pos == len: every later call returns 0.
 */
#include "csv.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { DEFAULT_FIELDS = 64, DEFAULT_FIELD_LEN = 64 * 1024 };

void csv_init(csv_reader *rd, const char *data, size_t len, size_t max_fields,
              size_t max_field_len)
{
    memset(rd, 0, sizeof *rd);
    rd->data = data;
    rd->len = len;
    rd->line = 1;
    rd->max_fields = max_fields ? max_fields : DEFAULT_FIELDS;
    rd->max_field_len = max_field_len ? max_field_len : DEFAULT_FIELD_LEN;
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        rd->pos = 3;
}

void csv_free(csv_reader *rd)
{
    if (!rd)
        return;
    free(rd->buf);
    free(rd->offs);
    free(rd->fields);
    rd->buf = NULL;
    rd->offs = NULL;
    rd->fields = NULL;
    rd->buf_len = rd->buf_cap = rd->n = rd->cap = 0;
}

const char *csv_strerror(int e)
{
    switch (e) {
    case -EBADMSG: return "a quoted field is not closed, or text follows its closing quote";
    case -E2BIG: return "a field or a line is longer than allowed";
    case -EILSEQ: return "the text is not UTF-8 or holds a NUL byte";
    case -ENOMEM: return "out of memory";
    default: return "unreadable";
    }
}

static int buf_put(csv_reader *rd, char c)
{
    if (rd->buf_len + 1 > rd->buf_cap) {
        size_t cap = rd->buf_cap ? rd->buf_cap * 2 : 256;
        char *b = realloc(rd->buf, cap);
        if (!b)
            return -ENOMEM;
        rd->buf = b;
        rd->buf_cap = cap;
    }
    rd->buf[rd->buf_len++] = c;
    return 0;
}

/* Strict UTF-8: no overlong forms, no surrogates, nothing past U+10FFFF. */
static bool utf8_ok(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t k;
        uint32_t cp, min;
        if ((c & 0xE0) == 0xC0) { k = 1; cp = c & 0x1F; min = 0x80; }
        else if ((c & 0xF0) == 0xE0) { k = 2; cp = c & 0x0F; min = 0x800; }
        else if ((c & 0xF8) == 0xF0) { k = 3; cp = c & 0x07; min = 0x10000; }
        else return false;
        if (n - i <= k)
            return false;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + j] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += k + 1;
    }
    return true;
}

static int fail(csv_reader *rd, int e)
{
    rd->pos = rd->len;
    return e;
}

/* Consumes one line break at pos (CRLF, LF or CR) if there is one. */
static bool eat_eol(csv_reader *rd)
{
    if (rd->pos >= rd->len)
        return false;
    char c = rd->data[rd->pos];
    if (c == '\n') {
        rd->pos++;
    } else if (c == '\r') {
        rd->pos++;
        if (rd->pos < rd->len && rd->data[rd->pos] == '\n')
            rd->pos++;
    } else {
        return false;
    }
    rd->line++;
    return true;
}

/* Reads one field from pos into buf; stops before the separator. */
static int read_field(csv_reader *rd)
{
    const char *d = rd->data;
    size_t start = rd->buf_len;
    int e;
    if (rd->pos < rd->len && d[rd->pos] == '"') {
        size_t open_line = rd->line;
        rd->pos++;
        for (;;) {
            if (rd->pos >= rd->len) {
                rd->line = open_line;
                return fail(rd, -EBADMSG);
            }
            char c = d[rd->pos];
            if (c == '"') {
                if (rd->pos + 1 < rd->len && d[rd->pos + 1] == '"') {
                    rd->pos += 2;
                } else {
                    rd->pos++;
                    break;
                }
            } else {
                rd->pos++;
                if (c == '\n' || (c == '\r' && !(rd->pos < rd->len && d[rd->pos] == '\n')))
                    rd->line++;
            }
            if (rd->buf_len - start >= rd->max_field_len)
                return fail(rd, -E2BIG);
            if ((e = buf_put(rd, c)))
                return fail(rd, e);
        }
        if (rd->pos < rd->len && d[rd->pos] != ',' && d[rd->pos] != '\r' && d[rd->pos] != '\n')
            return fail(rd, -EBADMSG);
    } else {
        /* A quote inside an unquoted field is kept as it is, as
         * spreadsheets read it. */
        while (rd->pos < rd->len) {
            char c = d[rd->pos];
            if (c == ',' || c == '\r' || c == '\n')
                break;
            if (rd->buf_len - start >= rd->max_field_len)
                return fail(rd, -E2BIG);
            if ((e = buf_put(rd, c)))
                return fail(rd, e);
            rd->pos++;
        }
    }
    size_t n = rd->buf_len - start;
    if (n && (memchr(rd->buf + start, '\0', n) ||
              !utf8_ok((const unsigned char *)rd->buf + start, n)))
        return fail(rd, -EILSEQ);
    if ((e = buf_put(rd, '\0')))
        return fail(rd, e);
    return 0;
}

int csv_next(csv_reader *rd, csv_record *ret)
{
    /* lines with nothing on them are not records */
    while (eat_eol(rd))
        ;
    if (rd->pos >= rd->len)
        return 0;
    size_t first_line = rd->line;
    rd->buf_len = 0;
    rd->n = 0;
    for (;;) {
        if (rd->n >= rd->max_fields)
            return fail(rd, -E2BIG);
        if (rd->n == rd->cap) {
            size_t cap = rd->cap ? rd->cap * 2 : 16;
            if (cap > rd->max_fields)
                cap = rd->max_fields;
            size_t *o = realloc(rd->offs, cap * sizeof *o);
            if (!o)
                return fail(rd, -ENOMEM);
            rd->offs = o;
            char **f = realloc(rd->fields, cap * sizeof *f);
            if (!f)
                return fail(rd, -ENOMEM);
            rd->fields = f;
            rd->cap = cap;
        }
        rd->offs[rd->n++] = rd->buf_len;
        int e = read_field(rd);
        if (e)
            return e;
        if (rd->pos < rd->len && rd->data[rd->pos] == ',') {
            rd->pos++;
            continue;
        }
        eat_eol(rd);
        break;
    }
    for (size_t i = 0; i < rd->n; i++)
        rd->fields[i] = rd->buf + rd->offs[i];
    ret->fields = rd->fields;
    ret->n = rd->n;
    ret->line = first_line;
    return 1;
}

/* ---- writing ---- */

/* An optional minus, digits, an optional fraction: nothing to compute. */
static bool plain_number(const char *v)
{
    const char *p = v + (*v == '-');
    size_t digits = strspn(p, "0123456789");
    if (!digits)
        return false;
    p += digits;
    if (*p == '.' && p[1] >= '0' && p[1] <= '9')
        p += 1 + strspn(p + 1, "0123456789");
    return *p == '\0';
}

size_t csv_cell(char *out, const char *v)
{
    bool quote = strpbrk(v, ",\"\r\n") != NULL;
    bool guard = v[0] && strchr("=+-@\t\r", v[0]) && !plain_number(v);
    char *o = out;
    if (quote)
        *o++ = '"';
    if (guard)
        *o++ = '\'';
    for (; *v; v++) {
        if (*v == '"')
            *o++ = '"';
        *o++ = *v;
    }
    if (quote)
        *o++ = '"';
    return (size_t)(o - out);
}
