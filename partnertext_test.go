package custexport

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// ValidatePartner refuses each kind of bad name or note with a CodeInvalid error on the right
// field whose message names the fault, and accepts ordinary text in any script.
func TestValidatePartner(t *testing.T) {
	type refusal struct{ name, note, field, says string }
	bad := []refusal{
		{"", "", "name", "needs a name"},
		{" \t ", "", "name", "needs a name"},
		{"Sklad\x1b[2J", "", "name", "U+001B at character 6"},
		{"Sklad\xffBrno", "", "name", "not valid UTF-8"},
		{strings.Repeat("ž", MaxPartnerNameLength+1), "", "name", "201 characters long; at most 200"},
		{"Sklad", strings.Repeat("a", MaxPartnerNoteLength+1), "note", "1001 characters long; at most 1000"},
	}
	// Control characters (Cc), format characters (Cf) and the line and paragraph separators, in
	// the name and in the note, each named by its code point.
	for _, r := range "\x00\a\t\n\r\x1b\x7f\u0085\u200b\u200e\u202e\u2066\ufeff\u2028\u2029" {
		bad = append(bad, refusal{"Sklad" + string(r) + "Brno", "", "name", fmt.Sprintf("%U at character 6", r)},
			refusal{"Sklad", "a" + string(r), "note", fmt.Sprintf("%U at character 2", r)})
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
