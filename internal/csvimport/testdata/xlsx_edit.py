"""Edit cells of the export's XLSX as a spreadsheet user would, with openpyxl, for the Go tests.

Usage: xlsx_edit.py IN OUT EDITS_JSON, where EDITS_JSON is a list of
{"guid": ..., "column": tag, "value": ..., "type": "str"|"number"|"date"|"bool", "format": code}.
The row is found by its guid on sheet Customers; the cell gets a typed value and, when given,
a number format (e.g. "00000" for a ZIP code typed as a number). Run with Debian's
/usr/bin/python3 and its python3-openpyxl.
"""
import datetime
import json
import sys

import openpyxl

src, dst, edits = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
wb = openpyxl.load_workbook(src)
ws = wb["Customers"]
header = {c.value: c.column for c in ws[1]}
rows = {ws.cell(row=r, column=header["guid"]).value: r for r in range(2, ws.max_row + 1)}
for e in edits:
    cell = ws.cell(row=rows[e["guid"]], column=header[e["column"]])
    v = e["value"]
    if e["type"] == "number":
        v = float(v) if "." in str(v) else int(v)
    elif e["type"] == "date":
        v = datetime.date.fromisoformat(v)
    elif e["type"] == "datetime":
        v = datetime.datetime.fromisoformat(v)
    elif e["type"] == "bool":
        v = bool(v)
    cell.value = v
    if e.get("format"):
        cell.number_format = e["format"]
wb.save(dst)
