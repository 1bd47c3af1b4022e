package custexport

import (
	"errors"
	"fmt"
	"strings"
)

// ExportInput is an export's choices as a channel receives them, as text: CLI flags, a link's
// query parameters, an admin form's fields. ParseExportOptions is the one rule that turns it into
// ExportOptions, so that the same input gets the same answer on every channel.
type ExportInput struct {
	Format   string // csv, xml or xlsx; required
	From     string // first registration day, YYYY-MM-DD (also YYYY-M-D); empty: no limit
	Until    string // last registration day, inclusive; empty: no limit
	Encoding string // utf-8 (default when empty) or windows-1250; CSV only
	Guard    string // formula guard: "" or "1" on (the default), "0" off
}

// ExportFieldNames are the names a channel gives the fields of ExportInput (for example
// "--from" on the CLI, "dateFrom" in a link, "from" in the admin form). Errors carry the
// channel's name in Field, so that a message names exactly what the user typed and a form can
// put it beside its field.
type ExportFieldNames struct {
	Format, From, Until, Encoding, Guard string
}

// The reasons of export-option errors (Error.Reason): stable keys that a user interface
// translates, with Error.Value as the offending text.
const (
	ReasonRequired      = "required"       // the field is required
	ReasonFormat        = "format"         // not csv, xml or xlsx
	ReasonDate          = "date"           // not a date (Message says why)
	ReasonRangeReversed = "range_reversed" // the first day is after the last day
	ReasonEncoding      = "encoding"       // not utf-8 or windows-1250
	ReasonEncodingCSV   = "encoding_csv"   // windows-1250 with a format other than CSV
	ReasonGuard         = "guard"          // not 0 or 1
)

// Problems is every field error of one input, in the order of the fields. A CLI or a link
// reports the first (Error), a form shows each beside its field. errors.As finds the first
// *Error, so ErrorCode of Problems is CodeInvalid.
type Problems []*Error

func (p Problems) Error() string {
	if len(p) == 0 {
		return "no problems"
	}
	return p[0].Error()
}

// Unwrap exposes the problems to errors.Is and errors.As.
func (p Problems) Unwrap() []error {
	errs := make([]error, len(p))
	for i, e := range p {
		errs[i] = e
	}
	return errs
}

// ProblemsOf returns the field errors in err: every one of a Problems, or the one *Error, or
// nil when err carries none.
func ProblemsOf(err error) Problems {
	var p Problems
	if errors.As(err, &p) {
		return p
	}
	var e *Error
	if errors.As(err, &e) {
		return Problems{e}
	}
	return nil
}

// ParseExportOptions validates an export's choices. Every field is checked, and every mistake
// is reported (Problems, CodeInvalid, Field named as the channel names it). Encoding applies to
// CSV only: XML and XLSX are always UTF-8, so windows-1250 with them is refused rather than
// quietly changed, on every channel.
func ParseExportOptions(in ExportInput, names ExportFieldNames) (ExportOptions, error) {
	opts := ExportOptions{Encoding: EncodingUTF8, FormulaGuard: true}
	var problems Problems
	add := func(field, reason, value, format string, args ...any) {
		problems = append(problems, &Error{Code: CodeInvalid, Field: field, Reason: reason, Value: value, Message: fmt.Sprintf(format, args...)})
	}

	formatOK := false
	switch format := strings.TrimSpace(in.Format); {
	case format == "":
		add(names.Format, ReasonRequired, "", "a value is required (valid: csv, xml, xlsx)")
	default:
		f, err := ParseFormat(format)
		if err != nil {
			add(names.Format, ReasonFormat, format, "%q is not one of csv, xml, xlsx", format)
		} else {
			opts.Format, formatOK = f, true
		}
	}

	filter, err := parseFilter(in.From, in.Until, names.From, names.Until)
	if err != nil {
		problems = append(problems, err...)
	}
	opts.Filter = filter

	if enc := strings.TrimSpace(in.Encoding); enc != "" {
		e, err := ParseEncoding(enc)
		switch {
		case err != nil:
			add(names.Encoding, ReasonEncoding, enc, "%q is not one of utf-8, windows-1250", enc)
		case formatOK && opts.Format != FormatCSV && e != EncodingUTF8:
			add(names.Encoding, ReasonEncodingCSV, string(e), "%s applies to CSV only; %s is always UTF-8", e, opts.Format)
		default:
			opts.Encoding = e
		}
	}

	switch g := strings.TrimSpace(in.Guard); g {
	case "", "1":
	case "0":
		opts.FormulaGuard = false
	default:
		add(names.Guard, ReasonGuard, g, "%q is not 0 or 1", g)
	}

	if len(problems) > 0 {
		return opts, problems
	}
	return opts, nil
}
