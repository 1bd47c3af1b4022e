#!/usr/bin/env python3
"""Replays what Keboola's Shoptet extractor does with a pasted customers URL.

The behaviour follows keboola/component-shoptet-permalink, src/component.py (read on
2026-12-08), and keboola/python-utils (date.split_dates_to_chunks, the DEFAULT header
normalizer), re-expressed with the Python standard library only:

- the date window defaults to 2009-01-01 .. now; in backfill mode it is cut into chunks the
  way split_dates_to_chunks cuts it (consecutive chunks share their boundary day);
- for every chunk, dateFrom and dateUntil (YYYY-MM-DD) are set in the URL: replaced in place
  when present, appended after everything else (so after hash) when not;
- the file is fetched as requests fetches it (gzip accepted and decoded), an HTTP error ends
  the run (raise_for_status);
- it is read with open(encoding=<configured charset>) and csv.DictReader(delimiter=';'), the
  header normalized (whitespace to "_", characters other than letters, digits and "_" dropped),
  and the run fails unless the primary key column accountGuid is there;
- rows go into one table keyed by accountGuid (Keboola Storage loads with that primary key).

Usage: keboola_extractor.py URL CHARSET [--since DATE] [--to DATE|now] [--chunk-days N]
Prints one JSON object: the requests made, the columns, and the table.
"""
import argparse
import csv
import datetime
import gzip
import json
import math
import re
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request

DATE_FORMAT = "%Y-%m-%d"


def date_chunks(start, end, chunk_days):
    """The chunks of [start, end], cut as keboola.utils.date.split_dates_to_chunks cuts them."""
    if not chunk_days:
        return [(start.strftime(DATE_FORMAT), end.strftime(DATE_FORMAT))]
    days = (end - start).days
    if days <= chunk_days:
        return [(start.strftime(DATE_FORMAT), end.strftime(DATE_FORMAT))]
    parts = math.ceil(days / chunk_days)
    step = (end - start) / parts
    return [((start + step * i).strftime(DATE_FORMAT), (start + step * (i + 1)).strftime(DATE_FORMAT))
            for i in range(parts)]


def with_dates(url, date_from, date_until):
    """url with dateFrom and dateUntil set: in place when present, appended when not."""
    parts = urllib.parse.urlsplit(url)
    pairs = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    for name, value in (("dateFrom", date_from), ("dateUntil", date_until)):
        positions = [i for i, (n, _) in enumerate(pairs) if n == name]
        if positions:
            pairs[positions[0]] = (name, value)
            for i in reversed(positions[1:]):
                del pairs[i]
        else:
            pairs.append((name, value))
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(pairs)))


def fetch(url):
    request = urllib.request.Request(url, headers={
        "User-Agent": "python-requests/2.31.0",
        "Accept-Encoding": "gzip, deflate",
        "Accept": "*/*",
    })
    with urllib.request.urlopen(request) as response:
        body = response.read()
        if response.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        return response.status, body


def normalize(name):
    name = "_".join(name.split())
    return re.sub(r"[^A-Za-z0-9_]", "", name)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("charset")
    parser.add_argument("--since", default="2009-01-01")
    parser.add_argument("--to", default="now")
    parser.add_argument("--chunk-days", type=int, default=0)
    args = parser.parse_args()

    start = datetime.datetime.strptime(args.since, DATE_FORMAT)
    end = datetime.datetime.now() if args.to == "now" else datetime.datetime.strptime(args.to, DATE_FORMAT)
    requests, table, columns = [], {}, []
    for date_from, date_until in date_chunks(start, end, args.chunk_days):
        url = with_dates(args.url, date_from, date_until)
        record = {"url": url, "dateFrom": date_from, "dateUntil": date_until}
        requests.append(record)
        try:
            record["status"], body = fetch(url)
        except urllib.error.HTTPError as err:
            record["status"] = err.code
            print(json.dumps({"requests": requests, "error": "HTTP %d" % err.code}))
            return 1
        with tempfile.NamedTemporaryFile(suffix=".csv") as temp:
            temp.write(body)
            temp.flush()
            with open(temp.name, mode="r", encoding=args.charset) as file:
                reader = csv.DictReader(file, delimiter=";")
                rows = list(reader)
                fieldnames = [normalize(n) for n in reader.fieldnames or []]
        if "accountGuid" not in fieldnames:
            print(json.dumps({"requests": requests,
                              "error": "primary keys ['accountGuid'] not in %s" % fieldnames}))
            return 1
        columns = fieldnames
        record["rows"] = len(rows)
        record["keys"] = []
        for row in rows:
            row = dict(zip(fieldnames, row.values()))
            record["keys"].append(row["accountGuid"])
            table[row["accountGuid"]] = row
    print(json.dumps({"requests": requests, "columns": columns, "table": table}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
