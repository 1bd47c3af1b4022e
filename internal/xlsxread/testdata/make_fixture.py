"""Make testdata/libreoffice.xlsx: a small workbook of typed cells, written by openpyxl and then
opened and saved by LibreOffice (headless), as a shop owner's spreadsheet would save it.

Usage: /usr/bin/python3 make_fixture.py OUT_DIR, then
soffice --headless --convert-to "xlsx:Calc MS Excel 2007 XML" --outdir testdata OUT_DIR/libreoffice.xlsx
"""
import datetime
import sys

import openpyxl

wb = openpyxl.Workbook()
ws = wb.active
ws.title = "Customers"
ws.append(["guid", "billingZip", "companyId", "birthDate", "registrationDate", "disabledOrders", "priceRatio", "phone", "remark", "total"])
ws.append(["a1", 3401, 465101, datetime.date(1985, 2, 28), datetime.datetime(2024, 10, 27, 2, 30, 0), True, 0.85, 420906922589, "Řádek 1\nřádek 2", "=0.1+0.2"])
ws.append(["a2", "110 00", "00465101", datetime.date(2000, 1, 1), datetime.datetime(1999, 12, 31, 23, 59, 59), False, 1, "+420 906 922 589", "_x0041_ literal", "=1/4"])
ws.append([])
ws.append(["a3", 3401, None, None, None, None, None, None, "after an empty row"])
ws.append(["a4", None, None, None, None, None, None, None, None, "=NA()"])
ws["B2"].number_format = "00000"
ws["C2"].number_format = "00000000"
ws["B5"].number_format = "000 00"
ws["D2"].number_format = "yyyy-mm-dd"
ws["D3"].number_format = "d. m. yyyy"
ws["E2"].number_format = "yyyy-mm-dd hh:mm:ss"
ws["E3"].number_format = "yyyy-mm-dd hh:mm:ss"
ws["G2"].number_format = "0.0000"
more = wb.create_sheet("Customers 2")
more.append(["guid", "billingZip", "companyId", "birthDate", "registrationDate", "disabledOrders", "priceRatio", "phone", "remark", "total"])
more.append(["b1", "01234"])
wb.create_sheet("Notes").append(["not read"])
wb.save(sys.argv[1] + "/libreoffice.xlsx")
