package xlsxfile

import "unicode/utf8"

// attention marks the bytes that appendEscaped cannot simply copy: XML markup characters,
// CR and LF, the C0 controls XML 1.0 forbids, '_' (a possible literal "_xHHHH_") and every
// non-ASCII byte (checked for invalid UTF-8 and U+FFFE/U+FFFF). Other bytes are copied in spans.
var attention = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = c != '\t'
	}
	for _, c := range "&<>_" {
		t[c] = true
	}
	for c := 0x80; c < 0x100; c++ {
		t[c] = true
	}
	return t
}()

const hexDigits = "0123456789ABCDEF"

// appendEscaped appends s as the character data of a <t> element so that every reader gets
// back exactly s, and reports whether s has a line break:
//   - & < > become entities;
//   - CR becomes "&#13;": a literal CR would be turned into LF by XML line-end normalisation,
//     and openpyxl, unlike Excel and LibreOffice, does not decode "_x000D_";
//   - the other C0 controls, which XML 1.0 cannot carry at all, become Excel's "_xHHHH_";
//   - an '_' that would open an "_xHHHH_" escape gets written as "_x005F_" so that readers
//     do not decode the literal text (opensXEscape);
//   - invalid UTF-8 and the non-characters U+FFFE and U+FFFF become U+FFFD.
func appendEscaped(b []byte, s string) (_ []byte, lineBreak bool) {
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !attention[c] {
			continue
		}
		var esc string
		switch {
		case c == '\n':
			lineBreak = true
			continue
		case c == '&':
			esc = "&amp;"
		case c == '<':
			esc = "&lt;"
		case c == '>':
			esc = "&gt;"
		case c == '\r':
			lineBreak = true
			esc = "&#13;"
		case c == '_':
			if !opensXEscape(s[i:]) {
				continue
			}
			esc = "_x005F_"
		case c < 0x20:
			b = append(b, s[start:i]...)
			b = append(b, '_', 'x', '0', '0', hexDigits[c>>4], hexDigits[c&15], '_')
			start = i + 1
			continue
		case c >= 0xC2 && c < 0xE0 && i+1 < len(s) && s[i+1]&0xC0 == 0x80:
			i++ // a valid two-byte sequence, as most Czech letters are
			continue
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if (r != utf8.RuneError || size > 1) && r != 0xFFFE && r != 0xFFFF {
				i += size - 1
				continue
			}
			esc = "\uFFFD"
			b = append(b, s[start:i]...)
			b = append(b, esc...)
			i += size - 1
			start = i + 1
			continue
		}
		b = append(b, s[start:i]...)
		b = append(b, esc...)
		start = i + 1
	}
	return append(b, s[start:]...), lineBreak
}

// opensXEscape reports whether the '_' at s[0] would open an "_xHHHH_" escape in the
// output: s goes on with "xHHHH" and then '_', or a control character whose own escape
// supplies the closing '_' ("_x0041" + U+0001 is written "_x0041_x0001_"). Only these get
// their '_' escaped: Excel escapes exactly these, and asks to repair a file with an '_'
// escaped needlessly. (LibreOffice 7.4 also decodes 1 to 3 hex digits, e.g. "_x12_", but
// escaping those would trip Excel.)
func opensXEscape(s string) bool {
	if len(s) < 7 || s[1] != 'x' {
		return false
	}
	for _, c := range []byte(s[2:6]) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	c := s[6]
	return c == '_' || c < 0x20 && c != '\t' && c != '\n' && c != '\r'
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
