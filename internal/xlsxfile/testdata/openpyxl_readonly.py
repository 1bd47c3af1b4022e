"""Print, as JSON, what openpyxl's read-only mode (what pandas and scripts use for big files)
says of each sheet's size, and how many rows it actually iterates, for the Go tests.

Read-only mode takes max_row and max_column from the sheet's <dimension> alone; without it
they are None.
"""
import json
import sys

import openpyxl

wb = openpyxl.load_workbook(sys.argv[1], read_only=True)
sheets = []
for ws in wb.worksheets:
    rows = list(ws.iter_rows(values_only=True))
    sheets.append({
        "name": ws.title,
        "maxRow": ws.max_row,
        "maxColumn": ws.max_column,
        "rows": len(rows),
        "width": max((len(r) for r in rows), default=0),
    })
wb.close()
json.dump(sheets, sys.stdout)
