/* test_csv.c: the RFC 4180 reader (core/csv.c). */
#include "check.h"
#include "csv.h"

#include <errno.h>
#include <string.h>

/* Reads every record of text; returns the last csv_next result (0 at a
 * clean end) and fills out[] with "field|field" per record. */
static int read_all(const char *text, size_t len, char out[][256], size_t *ret_n,
                    size_t *ret_lines, size_t max_fields, size_t max_len)
{
    csv_reader rd;
    csv_init(&rd, text, len, max_fields, max_len);
    csv_record rec;
    int e;
    size_t n = 0;
    while ((e = csv_next(&rd, &rec)) == 1) {
        out[n][0] = '\0';
        for (size_t i = 0; i < rec.n; i++) {
            if (i)
                strcat(out[n], "|");
            strcat(out[n], rec.fields[i]);
        }
        if (ret_lines)
            ret_lines[n] = rec.line;
        n++;
    }
    *ret_n = n;
    if (e < 0 && ret_lines)
        ret_lines[n] = rd.line;
    csv_free(&rd);
    return e;
}

#define READ(text) read_all(text, strlen(text), got, &n, lines, 0, 0)

int main(void)
{
    char got[16][256];
    size_t n, lines[16];
    int e;

    e = READ("email,item\nalex@example.org,Basic awareness\n");
    CHECK(e == 0 && n == 2, "two plain records");
    CHECK(strcmp(got[0], "email|item") == 0, "header fields: %s", got[0]);
    CHECK(strcmp(got[1], "alex@example.org|Basic awareness") == 0, "data fields: %s", got[1]);

    e = READ("a,b\r\nc,d\r\n");
    CHECK(e == 0 && n == 2 && strcmp(got[1], "c|d") == 0, "CRLF line ends");

    e = READ("a,b\rc,d");
    CHECK(e == 0 && n == 2 && strcmp(got[1], "c|d") == 0, "lone CR and no final line end");

    e = READ("\xEF\xBB\xBFname,x\n");
    CHECK(e == 0 && n == 1 && strcmp(got[0], "name|x") == 0, "a UTF-8 BOM is skipped");

    e = READ("\"Smith, Alex\",\"say \"\"hi\"\"\",plain\n");
    CHECK(e == 0 && strcmp(got[0], "Smith, Alex|say \"hi\"|plain") == 0,
          "quoted commas and doubled quotes: %s", got[0]);

    e = READ("h\n\"two\r\nlines\",x\nnext,y\n");
    CHECK(e == 0 && n == 3 && strcmp(got[1], "two\r\nlines|x") == 0, "a line break inside quotes");
    CHECK(lines[0] == 1 && lines[1] == 2 && lines[2] == 4, "records know their first line: %zu %zu %zu",
          lines[0], lines[1], lines[2]);

    e = READ("a,,\n,\n");
    CHECK(e == 0 && n == 2 && strcmp(got[0], "a||") == 0 && strcmp(got[1], "|") == 0,
          "empty fields, trailing comma");

    e = READ("\n\na\r\n\r\n\nb\n\n");
    CHECK(e == 0 && n == 2 && lines[0] == 3 && lines[1] == 6, "blank lines are skipped, lines "
          "still counted (%zu, %zu)", lines[0], lines[1]);

    e = READ("\"\"\n");
    CHECK(e == 0 && n == 1 && strcmp(got[0], "") == 0, "an empty quoted field");

    e = READ("ab\"c,d\n");
    CHECK(e == 0 && strcmp(got[0], "ab\"c|d") == 0, "a quote inside an unquoted field is kept");

    e = READ("");
    CHECK(e == 0 && n == 0, "an empty file has no records");

    e = READ("\xEF\xBB\xBF");
    CHECK(e == 0 && n == 0, "a BOM alone has no records");

    e = READ("ok\n\"open,\nnever closed\n");
    CHECK(e == -EBADMSG && n == 1 && lines[1] == 2, "an unclosed quote is refused at its line "
          "(%d, line %zu)", e, lines[1]);

    e = READ("\"closed\"x,y\n");
    CHECK(e == -EBADMSG, "text after a closing quote is refused");

    e = read_all("a,b\0c\n", 6, got, &n, lines, 0, 0);
    CHECK(e == -EILSEQ, "a NUL byte is refused");

    e = READ("caf\xC3\xA9,ok\n");
    CHECK(e == 0 && strcmp(got[0], "caf\xC3\xA9|ok") == 0, "UTF-8 text is kept");

    e = READ("caf\xE9,latin1\n");
    CHECK(e == -EILSEQ, "Latin-1 text is refused");

    e = READ("\xC0\xAF\n");
    CHECK(e == -EILSEQ, "an overlong UTF-8 form is refused");

    e = READ("\xED\xA0\x80\n");
    CHECK(e == -EILSEQ, "a UTF-16 surrogate is refused");

    e = read_all("a,b,c,d\n", 8, got, &n, lines, 3, 0);
    CHECK(e == -E2BIG, "more fields than allowed is refused");

    e = read_all("abcdef,x\n", 9, got, &n, lines, 0, 5);
    CHECK(e == -E2BIG, "a field longer than allowed is refused");

    e = read_all("\"abcdef\",x\n", 11, got, &n, lines, 0, 5);
    CHECK(e == -E2BIG, "a quoted field longer than allowed is refused");

    e = read_all("abcde,x\n", 8, got, &n, lines, 0, 5);
    CHECK(e == 0 && strcmp(got[0], "abcde|x") == 0, "a field exactly at the limit is read");

    {
        csv_reader rd;
        csv_record rec;
        csv_init(&rd, "\"x", 2, 0, 0);
        CHECK(csv_next(&rd, &rec) == -EBADMSG && csv_next(&rd, &rec) == 0,
              "after an error the reader stays at the end");
        csv_free(&rd);
        csv_free(&rd);
        CHECK(strlen(csv_strerror(-EBADMSG)) > 10, "errors have a sentence");
    }

    /* writing: RFC 4180 quoting and the formula guard */
    static const struct { const char *in, *out; } cells[] = {
        { "plain", "plain" },
        { "", "" },
        { "Smith, Alex", "\"Smith, Alex\"" },
        { "say \"hi\"", "\"say \"\"hi\"\"\"" },
        { "two\nlines", "\"two\nlines\"" },
        { "=HYPERLINK(\"x\")", "\"'=HYPERLINK(\"\"x\"\")\"" },
        { "+44 helpline", "'+44 helpline" },
        { "@lead", "'@lead" },
        { "\tcmd", "'\tcmd" },
        { "-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0" },
        { "-", "'-" },
        { "-3", "-3" },
        { "0.25", "0.25" },
        { "-1.5", "-1.5" },
        { "-1.", "'-1." },
        { "Chlo\xc3\xa9", "Chlo\xc3\xa9" },
    };
    for (size_t i = 0; i < sizeof cells / sizeof cells[0]; i++) {
        char out[64];
        size_t len = csv_cell(out, cells[i].in);
        CHECK(len <= CSV_CELL_MAX(strlen(cells[i].in)) && len == strlen(cells[i].out) &&
              memcmp(out, cells[i].out, len) == 0, "csv_cell(%s) is %s", cells[i].in, cells[i].out);
    }
    {
        char worst[CSV_CELL_MAX(6)];
        CHECK(csv_cell(worst, "\"\"\"\"\"\"") == 14 && csv_cell(worst, "=\"\"\"\"\"") == 14,
              "the longest cells (quotes doubled, quoted, guarded) fit CSV_CELL_MAX");
    }
    return check_done();
}
