package web

import (
	"net/url"
	"testing"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/i18n"
)

// FuzzLinkOptions feeds arbitrary query strings, as a genuine link could carry them, to the
// parameter parser: it never panics, a refusal names a parameter, and what it accepts is a
// consistent export (a known encoding, CSV-only windows-1250, an ordered date range).
func FuzzLinkOptions(f *testing.F) {
	for _, seed := range []string{
		"partnerId=1&hash=ab", "dateFrom=2024-01-01&dateUntil=2024-12-31", "dateFrom=2024-13-01",
		"encoding=windows-1250", "encoding=latin2", "guard=0", "guard=yes", "ip=10.0.0.0/8",
		"dateFrom=2024-1-1&dateFrom=2024-1-2", "x=1", "dateUntil=2020-01-01&dateFrom=2021-01-01", "%zz",
	} {
		f.Add(seed, uint8(0))
	}
	formats := []custexport.Format{custexport.FormatCSV, custexport.FormatXML, custexport.FormatXLSX}
	f.Fuzz(func(t *testing.T, query string, formatIndex uint8) {
		params, err := url.ParseQuery(query)
		if err != nil {
			return // the handler refuses a malformed query before this parser
		}
		format := formats[int(formatIndex)%len(formats)]
		opts, bad := linkOptions(format, params)
		if bad != nil {
			if bad.Field == "" || bad.Message == "" {
				t.Fatalf("refusal without a parameter name or message: %+v", bad)
			}
			return
		}
		if opts.Format != format {
			t.Fatalf("format %s became %s", format, opts.Format)
		}
		if opts.Encoding != custexport.EncodingUTF8 && (opts.Encoding != custexport.EncodingWindows1250 || format != custexport.FormatCSV) {
			t.Fatalf("accepted encoding %q for %s", opts.Encoding, format)
		}
		if from, until := opts.Filter.From, opts.Filter.Until; !from.IsZero() && !until.IsZero() && until.Before(from) {
			t.Fatalf("accepted a reversed range %s..%s", from, until)
		}
		if !opts.FormulaGuard && params.Get("guard") != "0" {
			t.Fatalf("the guard went off without guard=0: %q", query)
		}
	})
}

// FuzzExportForm feeds arbitrary admin export-form fields to their parser: it never panics,
// and every field it accepts makes a consistent export.
func FuzzExportForm(f *testing.F) {
	f.Add("2024-01-01", "2024-12-31", "csv", "windows-1250", "1")
	f.Add("2024-02-30", "", "xlsx", "", "")
	f.Add("", "1999-1-1", "pdf", "utf-16", "1")
	f.Fuzz(func(t *testing.T, from, until, format, encoding, guard string) {
		fields := map[string]string{"from": from, "until": until, "format": format, "encoding": encoding, "guard": guard}
		for _, l := range []i18n.Lang{i18n.CS, i18n.EN} {
			form, opts := readExportForm(l, func(k string) string { return fields[k] })
			if len(form.Errors) > 0 {
				for field, msg := range form.Errors {
					if msg == "" {
						t.Fatalf("field %s refused without a message", field)
					}
				}
				continue
			}
			if _, err := custexport.ParseFormat(string(opts.Format)); err != nil {
				t.Fatalf("accepted format %q", opts.Format)
			}
			if opts.Format != custexport.FormatCSV && opts.Encoding != custexport.EncodingUTF8 {
				t.Fatalf("accepted encoding %s for %s", opts.Encoding, opts.Format)
			}
			if f, u := opts.Filter.From, opts.Filter.Until; !f.IsZero() && !u.IsZero() && u.Before(f) {
				t.Fatalf("accepted a reversed range %s..%s", f, u)
			}
		}
	})
}
