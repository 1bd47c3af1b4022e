package custexport

import (
	"errors"
	"testing"
)

var testNames = ExportFieldNames{Format: "fmt", From: "od", Until: "do", Encoding: "enc", Guard: "grd"}

func TestParseExportOptions(t *testing.T) {
	ok := []struct {
		in   ExportInput
		want ExportOptions
	}{
		{ExportInput{Format: "csv"}, ExportOptions{Format: FormatCSV, Encoding: EncodingUTF8, FormulaGuard: true}},
		{ExportInput{Format: "XLSX", Guard: "0"}, ExportOptions{Format: FormatXLSX, Encoding: EncodingUTF8}},
		{ExportInput{Format: "csv", Encoding: "cp1250", Guard: "1"}, ExportOptions{Format: FormatCSV, Encoding: EncodingWindows1250, FormulaGuard: true}},
		{ExportInput{Format: "xml", Encoding: "utf-8"}, ExportOptions{Format: FormatXML, Encoding: EncodingUTF8, FormulaGuard: true}},
		{ExportInput{Format: "csv", From: " 2024-1-2 ", Until: "2024-01-02"}, ExportOptions{Format: FormatCSV, Encoding: EncodingUTF8, FormulaGuard: true,
			Filter: Filter{From: Date{2024, 1, 2}, Until: Date{2024, 1, 2}}}},
	}
	for _, c := range ok {
		got, err := ParseExportOptions(c.in, testNames)
		if err != nil || got != c.want {
			t.Errorf("ParseExportOptions(%+v) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}

	type problem struct{ field, reason string }
	bad := []struct {
		in   ExportInput
		want []problem
	}{
		{ExportInput{}, []problem{{"fmt", ReasonRequired}}},
		{ExportInput{Format: "pdf"}, []problem{{"fmt", ReasonFormat}}},
		// The rule every channel shares: XML and XLSX are always UTF-8.
		{ExportInput{Format: "xml", Encoding: "windows-1250"}, []problem{{"enc", ReasonEncodingCSV}}},
		{ExportInput{Format: "xlsx", Encoding: "cp1250"}, []problem{{"enc", ReasonEncodingCSV}}},
		{ExportInput{Format: "csv", Encoding: "latin2"}, []problem{{"enc", ReasonEncoding}}},
		{ExportInput{Format: "csv", Guard: "no"}, []problem{{"grd", ReasonGuard}}},
		{ExportInput{Format: "csv", From: "2024-02-30"}, []problem{{"od", ReasonDate}}},
		{ExportInput{Format: "csv", Until: "31122025"}, []problem{{"do", ReasonDate}}},
		{ExportInput{Format: "csv", From: "2025-01-02", Until: "2025-01-01"}, []problem{{"od", ReasonRangeReversed}}},
		// Every field is reported, in field order, so that a form can mark each.
		{ExportInput{Format: "doc", From: "x", Until: "y", Encoding: "z", Guard: "2"},
			[]problem{{"fmt", ReasonFormat}, {"od", ReasonDate}, {"do", ReasonDate}, {"enc", ReasonEncoding}, {"grd", ReasonGuard}}},
	}
	for _, c := range bad {
		_, err := ParseExportOptions(c.in, testNames)
		if ErrorCode(err) != CodeInvalid {
			t.Errorf("ParseExportOptions(%+v): code %q, want invalid (%v)", c.in, ErrorCode(err), err)
			continue
		}
		got := ProblemsOf(err)
		if len(got) != len(c.want) {
			t.Errorf("ParseExportOptions(%+v) = %v; want %v", c.in, got, c.want)
			continue
		}
		for i, p := range got {
			if p.Field != c.want[i].field || p.Reason != c.want[i].reason || p.Message == "" {
				t.Errorf("ParseExportOptions(%+v) problem %d = %+v; want %v", c.in, i, p, c.want[i])
			}
		}
		var first *Error
		if !errors.As(err, &first) || first != got[0] || err.Error() != got[0].Error() {
			t.Errorf("ParseExportOptions(%+v): errors.As finds %v, want the first problem %v", c.in, first, got[0])
		}
	}
}

func TestProblemsOf(t *testing.T) {
	if ProblemsOf(nil) != nil || ProblemsOf(errors.New("x")) != nil {
		t.Error("ProblemsOf of an error without field errors is not nil")
	}
	e := FieldError("a", "bad")
	if p := ProblemsOf(e); len(p) != 1 || p[0] != e {
		t.Errorf("ProblemsOf(one *Error) = %v", p)
	}
}
