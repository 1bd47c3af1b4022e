/*
 * export.c — the libxlsxwriter anchor of `make bench` (SPEC section 13).
 *
 * Usage: xlsxwriter-export DB OUT.xlsx SQL
 *
 * Writes the rows of SQL (the harness passes the product's export query, columns aliased to
 * their tags) to one XLSX worksheet the way the product does: a bold, frozen header row, text as
 * inline-string cells, the three date columns as date cells and priceRatio as a number.
 * constant_memory mode streams each row to a temp file, so memory stays flat like the product's.
 *
 * Built by the harness: cc -O2 export.c -lxlsxwriter -lsqlite3 -o out/xlsxwriter-export
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <xlsxwriter.h>

enum kind { TEXT, DATETIME, DATE, RATIO, NUMBER };

/* kind_of decides how a column is written from its tag, the alias in the query. */
static enum kind kind_of(const char *tag) {
    if (strcmp(tag, "registrationDate") == 0 || strcmp(tag, "changeTime") == 0)
        return DATETIME;
    if (strcmp(tag, "birthDate") == 0)
        return DATE;
    if (strcmp(tag, "priceRatio") == 0)
        return RATIO;
    if (strcmp(tag, "disabledOrders") == 0)
        return NUMBER;
    return TEXT;
}

/* days_from_civil counts days since 1970-01-01 (H. Hinnant's algorithm). */
static long days_from_civil(long y, unsigned m, unsigned d) {
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long)doe - 719468;
}

/* num parses n decimal digits; sscanf would cost more than the whole cell write. */
static unsigned num(const char *s, int n) {
    unsigned v = 0;
    for (int i = 0; i < n; i++)
        v = v * 10 + (unsigned)(s[i] - '0');
    return v;
}

/* Excel's serial day number of 1970-01-01. */
#define EXCEL_UNIX_EPOCH 25569.0

static lxw_worksheet *new_sheet(lxw_workbook *wb, int n, sqlite3_stmt *st, int ncol,
                                lxw_format *bold) {
    char name[32];
    if (n == 1)
        snprintf(name, sizeof name, "Customers");
    else
        snprintf(name, sizeof name, "Customers %d", n);
    lxw_worksheet *ws = workbook_add_worksheet(wb, name);
    if (ws == NULL)
        return NULL;
    for (int c = 0; c < ncol; c++)
        worksheet_write_string(ws, 0, (lxw_col_t)c, sqlite3_column_name(st, c), bold);
    worksheet_freeze_panes(ws, 1, 0);
    return ws;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s DB OUT.xlsx SQL\n", argv[0]);
        return 2;
    }
    sqlite3 *db;
    if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(stderr, "open %s: %s\n", argv[1], sqlite3_errmsg(db));
        return 1;
    }
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, argv[3], -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "prepare: %s\n", sqlite3_errmsg(db));
        return 1;
    }
    int ncol = sqlite3_column_count(st);
    enum kind kinds[64];
    if (ncol > 64) {
        fprintf(stderr, "too many columns: %d\n", ncol);
        return 1;
    }
    for (int c = 0; c < ncol; c++)
        kinds[c] = kind_of(sqlite3_column_name(st, c));

    /* use_zip64: the sheet XML of 5M customers passes 4 GB uncompressed. */
    lxw_workbook_options opts = {.constant_memory = LXW_TRUE, .tmpdir = NULL, .use_zip64 = LXW_TRUE};
    lxw_workbook *wb = workbook_new_opt(argv[2], &opts);
    if (wb == NULL) {
        fprintf(stderr, "cannot create %s\n", argv[2]);
        return 1;
    }
    lxw_format *bold = workbook_add_format(wb);
    format_set_bold(bold);
    lxw_format *datetime = workbook_add_format(wb);
    format_set_num_format(datetime, "yyyy-mm-dd hh:mm:ss");
    lxw_format *date = workbook_add_format(wb);
    format_set_num_format(date, "yyyy-mm-dd");
    lxw_format *ratio = workbook_add_format(wb);
    format_set_num_format(ratio, "0.0000");

    int sheet = 1;
    lxw_worksheet *ws = new_sheet(wb, sheet, st, ncol, bold);
    lxw_row_t row = 1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        /* Excel's row limit: continue on "Customers 2", as the product does. */
        if (row == LXW_ROW_MAX) {
            ws = new_sheet(wb, ++sheet, st, ncol, bold);
            row = 1;
        }
        if (ws == NULL) {
            fprintf(stderr, "cannot add worksheet %d\n", sheet);
            return 1;
        }
        for (int c = 0; c < ncol; c++) {
            lxw_col_t col = (lxw_col_t)c;
            switch (kinds[c]) {
            case TEXT: {
                const char *s = (const char *)sqlite3_column_text(st, c);
                if (s != NULL && *s != '\0')
                    worksheet_write_string(ws, row, col, s, NULL);
                break;
            }
            case DATETIME:
                /* UTC, not shop time: the product must convert to Europe/Prague, so this
                 * shortcut only makes the anchor faster, i.e. the target stricter. */
                worksheet_write_number(ws, row, col,
                                       EXCEL_UNIX_EPOCH + (double)sqlite3_column_int64(st, c) / 86400.0,
                                       datetime);
                break;
            case DATE: {
                const char *s = (const char *)sqlite3_column_text(st, c);
                if (sqlite3_column_bytes(st, c) == 10) /* YYYY-MM-DD, as the schema keeps it */
                    worksheet_write_number(ws, row, col,
                                           EXCEL_UNIX_EPOCH + (double)days_from_civil(num(s, 4), num(s + 5, 2),
                                                                                      num(s + 8, 2)),
                                           date);
                break;
            }
            case RATIO:
                worksheet_write_number(ws, row, col, (double)sqlite3_column_int64(st, c) / 10000.0, ratio);
                break;
            case NUMBER:
                worksheet_write_number(ws, row, col, (double)sqlite3_column_int64(st, c), NULL);
                break;
            }
        }
        row++;
    }
    if (rc != SQLITE_DONE) {
        fprintf(stderr, "step: %s\n", sqlite3_errmsg(db));
        return 1;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    lxw_error err = workbook_close(wb);
    if (err != LXW_NO_ERROR) {
        fprintf(stderr, "close %s: %s\n", argv[2], lxw_strerror(err));
        return 1;
    }
    return 0;
}
