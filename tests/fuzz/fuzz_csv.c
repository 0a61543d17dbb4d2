/* fuzz_csv.c: libFuzzer harness for the CSV reader (core/csv.c).
 *
 * Input: the first byte picks tight limits (bit 0: at most 4 fields, bit 1:
 * fields of at most 8 bytes), the rest is a CSV file. Besides "no crash, no
 * sanitizer report", it aborts when a property breaks:
 *  - every record has 1..max_fields fields, each at most max_field_len
 *    bytes, NUL-free (strlen) and starting on a line that never goes back;
 *  - reading ends (0 or an error) within len + 1 records;
 *  - after an error the reader only answers 0. */
#include "csv.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_INPUT (1024 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > MAX_INPUT)
        return 0;
    size_t max_fields = (data[0] & 1) ? 4 : 0, max_len = (data[0] & 2) ? 8 : 0;
    csv_reader rd;
    csv_init(&rd, (const char *)data + 1, size - 1, max_fields, max_len);
    size_t limit_fields = rd.max_fields, limit_len = rd.max_field_len;
    csv_record rec;
    size_t records = 0, last_line = 0;
    int e;
    while ((e = csv_next(&rd, &rec)) == 1) {
        if (rec.n < 1 || rec.n > limit_fields || rec.line < last_line || ++records > size)
            abort();
        for (size_t i = 0; i < rec.n; i++)
            if (strlen(rec.fields[i]) > limit_len)
                abort();
        last_line = rec.line;
    }
    if (e < 0 && csv_next(&rd, &rec) != 0)
        abort();
    csv_free(&rd);
    return 0;
}
