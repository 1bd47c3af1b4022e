package web

import (
	"testing"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/i18n"
)

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
