package custexport

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The reasons of ValidatePartner's errors (besides ReasonRequired for a missing name).
const (
	ReasonTextUTF8    = "text_utf8"     // not valid UTF-8
	ReasonTextTooLong = "text_too_long" // Value: the longest allowed, in characters
	ReasonTextControl = "text_control"  // Value: the character found, as U+XXXX
)

// The longest partner name and note, in characters (the admin form's limits).
const (
	MaxPartnerNameLength = 200
	MaxPartnerNoteLength = 1000
)

// ValidatePartner checks a partner's name and note before they are stored, and returns a
// CodeInvalid *Error whose Field ("name" or "note") and message say what is wrong: an empty
// (or all-space) name, text that is too long or not UTF-8, or a control character (Unicode Cc:
// ESC, CR, LF, TAB, BEL, NUL, …) or an invisible formatting character (Unicode Cf, such as a
// zero-width space or a right-to-left override, and the line and paragraph separators). A
// partner's name and note are shown in pages, tables, CSV files and terminals, where such
// characters could forge lines, drive a terminal or make one partner look like another.
//
// Every channel (admin form, CLI) may call it to answer early; the stores call it on every
// write of a name or note, so nothing else gets stored. Rows already stored are not checked
// when read: they load as they are.
func ValidatePartner(name, note string) error {
	if strings.TrimSpace(name) == "" {
		return &Error{Code: CodeInvalid, Field: "name", Reason: ReasonRequired, Message: "a partner needs a name"}
	}
	if err := checkShownText("name", name, MaxPartnerNameLength); err != nil {
		return err
	}
	return checkShownText("note", note, MaxPartnerNoteLength)
}

// checkShownText refuses text that is not UTF-8, longer than max characters, or holds a
// control, line-separator or invisible formatting character, naming the character found.
func checkShownText(field, s string, max int) error {
	if !utf8.ValidString(s) {
		e := FieldError(field, "the %s is not valid UTF-8 text", field)
		e.Reason = ReasonTextUTF8
		return e
	}
	if n := utf8.RuneCountInString(s); n > max {
		e := FieldError(field, "the %s is %d characters long; at most %d are allowed", field, n, max)
		e.Reason, e.Value = ReasonTextTooLong, strconv.Itoa(max)
		return e
	}
	for i, r := range s {
		if unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp) {
			e := FieldError(field, "the %s contains the invisible or control character %U at character %d; use letters, digits, spaces and punctuation",
				field, r, utf8.RuneCountInString(s[:i])+1)
			e.Reason, e.Value = ReasonTextControl, fmt.Sprintf("%U", r)
			return e
		}
	}
	return nil
}
