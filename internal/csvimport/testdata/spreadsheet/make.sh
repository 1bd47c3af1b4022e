#!/bin/sh
# Regenerates the spreadsheet-damage fixtures of internal/csvimport (issue 17): an export made by
# the product, and what LibreOffice makes of it when a CSV is opened as a shop owner opens it
# (Czech locale, "detect special numbers" on, quoted fields not forced to text) and saved back
# as CSV. Run it from anywhere; it needs go and soffice (LibreOffice) on the PATH.
#
#   export.csv          the product's CSV export: 20 seeded customers (seed 26, which holds an
#                       IČO with leading zeros, a street "28. října", SK ZIPs with leading zeros,
#                       phones with spaces and a leading 0, and a remark with CRLF line breaks)
#                       and one customer added by the product's import from extra.csv, whose
#                       billingAdditional holds an 18-digit number (LibreOffice 7.4 writes
#                       numbers beyond 15 significant digits in scientific notation; Excel from
#                       12). Its changeTime is the time the script ran: the import stamps it.
#   libreoffice-cs.csv  export.csv opened and saved by LibreOffice with a Czech UI locale
#                       (LANG=cs_CZ.UTF-8): dates come back as 28.10.2026, decimals with a comma.
#   libreoffice-en.csv  the same with the default (English) UI locale: dates as 10/28/26.
#
# The CSV import filter options (LibreOffice help, "CSV Filter Options"), token by token:
#   59 field separator ';' | 34 text delimiter '"' | 76 character set UTF-8 | 1 start at line 1 |
#   (empty) no column formats: every column "Standard" | 1029 language Czech (number and date
#   detection as in a Czech locale) | false: quoted fields are NOT imported as text | true:
#   detect special numbers (dates, times, scientific notation) | false | false | true: trim
#   spaces.
# The export filter options: 59 ';', 34 '"', 76 UTF-8; cell contents are saved as shown.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$repo" && go build -o "$work/custexport" ./cmd/custexport)
cx() { "$work/custexport" "$@" --db "$work/shop.db"; }
cx seed --customers 20 --seed 26 >/dev/null 2>&1
cx import "$here/extra.csv" >/dev/null
cx export --format csv -o "$here/export.csv" 2>/dev/null

convert() { # $1: LANG, $2: output name
	mkdir -p "$work/$2"
	cp "$here/export.csv" "$work/$2/in.csv"
	LANG=$1 LC_ALL=$1 soffice -env:UserInstallation="file://$work/profile-$2" --headless \
		--infilter="CSV:59,34,76,1,,1029,false,true,false,false,true" \
		--convert-to 'csv:Text - txt - csv (StarCalc):59,34,76' --outdir "$work/$2/out" "$work/$2/in.csv" >/dev/null 2>&1
	cp "$work/$2/out/in.csv" "$here/$2.csv"
}
chmod 644 "$here/export.csv"
convert cs_CZ.UTF-8 libreoffice-cs
convert C.UTF-8 libreoffice-en
echo "fixtures written to $here"
