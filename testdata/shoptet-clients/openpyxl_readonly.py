#!/usr/bin/env python3
"""Reads an XLSX download as scripts and pandas do for big files: openpyxl in read-only mode,
which sizes a sheet by its <dimension> element.

Usage: openpyxl_readonly.py URL
Prints one JSON object: per sheet its name, max_row, max_column and the rows actually read.
"""
import io
import json
import sys
import urllib.request

import openpyxl


def main():
    with urllib.request.urlopen(sys.argv[1]) as response:
        body = response.read()
    workbook = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
    sheets = []
    for sheet in workbook.worksheets:
        rows = sum(1 for _ in sheet.iter_rows(values_only=True))
        sheets.append({"name": sheet.title, "max_row": sheet.max_row, "max_column": sheet.max_column, "rows": rows})
    print(json.dumps({"sheets": sheets}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
