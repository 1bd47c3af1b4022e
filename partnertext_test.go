package custexport

import (
	"errors"
	"strings"
	"testing"
)

// ValidatePartner refuses each kind of bad name or note with a CodeInvalid error on the right
// field whose message names the fault, and accepts ordinary text in any script.
func TestValidatePartner(t *testing.T) {
	bad := []struct {
		name, note string
		field      string
		says       string // part of the message
	}{
		{"", "", "name", "needs a name"},
		{" \t ", "", "name", "needs a name"},
		{"Sklad\x1b[2J", "", "name", "U+001B at character 6"},
		{"Sklad\rBrno", "", "name", "U+000D"},
		{"Sklad\nBrno", "", "name", "U+000A"},
		{"Sklad\aBrno", "", "name", "U+0007"},
		{"Sklad\tBrno", "", "name", "U+0009"},
		{"Sklad\x00Brno", "", "name", "U+0000"},
		{"Sklad\u202eonrB", "", "name", "U+202E"},
		{"Sklad\u200bBrno", "", "name", "U+200B"},
		{"Sklad\u2028Brno", "", "name", "U+2028"},
		{"Sklad\xffBrno", "", "name", "not valid UTF-8"},
		{strings.Repeat("ž", MaxPartnerNameLength+1), "", "name", "201 characters long; at most 200"},
		{"Sklad", "line one\nline two", "note", "U+000A"},
		{"Sklad", "\u202e", "note", "U+202E"},
		{"Sklad", strings.Repeat("a", MaxPartnerNoteLength+1), "note", "1001 characters long; at most 1000"},
	}
	for _, tc := range bad {
		err := ValidatePartner(tc.name, tc.note)
		var e *Error
		if !errors.As(err, &e) || e.Code != CodeInvalid || e.Field != tc.field || !strings.Contains(e.Message, tc.says) {
			t.Errorf("ValidatePartner(%q, %q) = %v, want a %s error on %q saying %q", tc.name, tc.note, err, CodeInvalid, tc.field, tc.says)
		}
	}
	for _, ok := range [][2]string{
		{"Sklad Brno", ""},
		{"Účetní kancelář Šťastná, s.r.o.", "kontakt: +420 777 000 000 (po–pá)"},
		{"倉庫 東京", "مستودع"},
		{strings.Repeat("ž", MaxPartnerNameLength), strings.Repeat("a", MaxPartnerNoteLength)},
	} {
		if err := ValidatePartner(ok[0], ok[1]); err != nil {
			t.Errorf("ValidatePartner(%q, %q) = %v, want nil", ok[0], ok[1], err)
		}
	}
}
