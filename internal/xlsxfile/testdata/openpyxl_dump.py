"""Print an XLSX workbook as openpyxl reads it, as JSON, for the Go tests.

Run with Debian's /usr/bin/python3 and its python3-openpyxl. The workbook is loaded in normal
(not read-only) mode, so cell styles (font, number format, quotePrefix) are available.
"""
import datetime
import json
import sys

import openpyxl


def cell_json(c):
    v = c.value
    if v is None:
        return None
    if isinstance(v, datetime.datetime):
        kind, v = "datetime", v.isoformat()
    elif isinstance(v, datetime.date):
        kind, v = "date", v.isoformat()
    elif isinstance(v, bool):
        kind = "bool"
    elif isinstance(v, (int, float)):
        kind = "number"
    elif isinstance(v, str):
        kind = "str"
    else:
        kind, v = type(v).__name__, str(v)
    return {
        "v": v,
        "kind": kind,
        "type": c.data_type,
        "quotePrefix": bool(c.quotePrefix),
        "numberFormat": c.number_format,
        "bold": bool(c.font.b),
    }


wb = openpyxl.load_workbook(sys.argv[1])
sheets = []
for ws in wb.worksheets:
    sheets.append({
        "name": ws.title,
        "freezePanes": ws.freeze_panes,
        "paneState": ws.sheet_view.pane.state if ws.sheet_view.pane else None,
        "autoFilter": ws.auto_filter.ref,
        "maxRow": ws.max_row,
        "maxColumn": ws.max_column,
        "rows": [[cell_json(c) for c in row] for row in ws.iter_rows()],
    })
json.dump({"openpyxl": openpyxl.__version__, "sheets": sheets}, sys.stdout)
