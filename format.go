package custexport

import (
	"strings"
	"time"
)

// Format is an export file format.
type Format string

// The export formats.
const (
	FormatCSV  Format = "csv"
	FormatXML  Format = "xml"
	FormatXLSX Format = "xlsx"
)

// Formats lists the formats in the order the UI and help texts offer them.
var Formats = []Format{FormatXML, FormatCSV, FormatXLSX}

// ParseFormat accepts "csv", "xml" or "xlsx" (any case).
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(s)); f {
	case FormatCSV, FormatXML, FormatXLSX:
		return f, nil
	}
	return "", Errorf(CodeInvalid, "unknown format %q (valid: csv, xml, xlsx)", s)
}

// Encoding is the character encoding of a CSV export. XML and XLSX are always UTF-8.
type Encoding string

// The CSV encodings.
const (
	EncodingUTF8        Encoding = "utf-8"
	EncodingWindows1250 Encoding = "windows-1250"
)

// EncodingXLSX marks the ImportRecord of an XLSX file, which has no text encoding or
// delimiter to detect (its XML is UTF-8); it is no export option.
const EncodingXLSX Encoding = "xlsx"

// ParseEncoding accepts "utf-8" and "windows-1250" (any case; also "utf8", "cp1250").
func ParseEncoding(s string) (Encoding, error) {
	switch strings.ToLower(s) {
	case "utf-8", "utf8":
		return EncodingUTF8, nil
	case "windows-1250", "cp1250":
		return EncodingWindows1250, nil
	}
	return "", Errorf(CodeInvalid, "unknown encoding %q (valid: utf-8, windows-1250)", s)
}

// ContentType is the HTTP content type of an export in this format and encoding.
func (f Format) ContentType(enc Encoding) string {
	switch f {
	case FormatCSV:
		if enc == EncodingWindows1250 {
			return "text/csv; charset=windows-1250"
		}
		return "text/csv; charset=utf-8"
	case FormatXML:
		return "application/xml; charset=utf-8"
	case FormatXLSX:
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "application/octet-stream"
}

// FileName is the download name of an export made at t: customers-YYYYMMDD-HHMMSS.ext in
// shop time.
func (f Format) FileName(t time.Time, loc *time.Location) string {
	return "customers-" + t.In(loc).Format("20060102-150405") + "." + string(f)
}

// ExportOptions are the choices of one export, the same on every channel.
type ExportOptions struct {
	Format       Format
	Encoding     Encoding // CSV only; empty means UTF-8
	FormulaGuard bool     // on by default; a link or export can turn it off
	Filter       Filter
}
