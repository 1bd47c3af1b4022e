#!/usr/bin/env python3
"""Replays Daktela's Shoptet integration: it keeps only the customer hash the shop's admin
copies and calls BASE/export/customers.{csv,xml}?hash=HASH.

Usage: daktela.py BASE HASH FORMAT
Prints one JSON object: the status and, when served, the customers' guid and accountGuid.
"""
import csv
import io
import json
import sys
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET


def main():
    base, hash_, fmt = sys.argv[1:4]
    url = "%s/export/customers.%s?%s" % (base.rstrip("/"), fmt, urllib.parse.urlencode({"hash": hash_}))
    try:
        with urllib.request.urlopen(url) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as err:
        print(json.dumps({"status": err.code, "body": err.read().decode("utf-8", "replace")}))
        return 0
    customers = []
    if fmt == "csv":
        for row in csv.DictReader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"):
            customers.append({"guid": row["guid"], "accountGuid": row.get("accountGuid", "")})
    else:
        for customer in ET.fromstring(body).iter("CUSTOMER"):
            account = customer.find("ACCOUNTS/ACCOUNT/GUID")
            customers.append({"guid": customer.findtext("GUID"),
                              "accountGuid": account.text if account is not None else ""})
    print(json.dumps({"status": status, "customers": customers}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
