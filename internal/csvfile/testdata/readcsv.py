# Reads a CSV export the way a partner's Python script would and prints its rows as JSON.
# usage: readcsv.py FILE ENCODING   (ENCODING is a Python codec name: utf-8-sig or cp1250)
import csv
import json
import sys

path, encoding = sys.argv[1], sys.argv[2]
with open(path, newline='', encoding=encoding, errors='strict') as f:
    rows = list(csv.reader(f, delimiter=';', strict=True))
json.dump(rows, sys.stdout)
