package i18n

import (
	"regexp"
	"testing"

	"github.com/custexport/custexport"
)

var verb = regexp.MustCompile(`%(\[\d+\])?[sdqv]`)

// Every text has both languages, and both take the same arguments.
func TestEveryTextInBothLanguages(t *testing.T) {
	for key, m := range texts {
		if m.cs == "" || m.en == "" {
			t.Errorf("%s: a language is missing: %+v", key, m)
			continue
		}
		cs, en := verb.FindAllString(m.cs, -1), verb.FindAllString(m.en, -1)
		if len(cs) != len(en) {
			t.Errorf("%s: Czech takes %v, English %v", key, cs, en)
		}
	}
}

// Every reason the domain's option rule gives has a text.
func TestEveryOptionReasonTranslated(t *testing.T) {
	for _, r := range []string{custexport.ReasonRequired, custexport.ReasonFormat, custexport.ReasonDate, custexport.ReasonRangeReversed,
		custexport.ReasonEncoding, custexport.ReasonEncodingCSV, custexport.ReasonGuard,
		custexport.ReasonTextUTF8, custexport.ReasonTextTooLong, custexport.ReasonTextControl} {
		if !Has("reason." + r) {
			t.Errorf("reason %q has no text", r)
		}
	}
	_, err := custexport.ParseExportOptions(custexport.ExportInput{Format: "xml", Encoding: "windows-1250", From: "2024-02-30", Guard: "x"},
		custexport.ExportFieldNames{Format: "f", From: "a", Until: "b", Encoding: "e", Guard: "g"})
	got := map[string]string{}
	for _, e := range custexport.ProblemsOf(err) {
		got[e.Field] = CS.Problem(e)
	}
	want := map[string]string{"a": "„2024-02-30“ není datum. Napište den, měsíc a rok, např. 31. 12. 2025.", "e": "Kódování windows-1250 je jen pro CSV; XML a XLSX jsou vždy v UTF-8.", "g": "„x“ není 0 ani 1."}
	for f, w := range want {
		if got[f] != w {
			t.Errorf("field %s: %q, want %q", f, got[f], w)
		}
	}
}

// A reason without a text, and a skipped row logged before keys existed, show their own
// (English) text rather than a key.
func TestFallbacks(t *testing.T) {
	if got := CS.Problem(&custexport.Error{Reason: "new_one", Message: "as it is"}); got != "as it is" {
		t.Errorf("unknown reason: %q", got)
	}
	if got := CS.Skip(custexport.SkippedRow{Reason: "old english"}); got != "old english" {
		t.Errorf("old row: %q", got)
	}
	if got := CS.Skip(custexport.SkippedRow{Reason: "the row has 3 fields, the header 5", Key: "field_count", Args: []string{"3", "5"}}); got != "řádek má 3 pole, záhlaví 5" {
		t.Errorf("field count: %q", got)
	}
	if got := EN.T("no.such.key"); got != "no.such.key" {
		t.Errorf("a missing key shows %q", got)
	}
}

// The link sentence, as the admin UI showed it in both languages before it moved here, now
// also saying when the formula guard is off (as the CLI's did) and spacing the address list.
func TestLinkSentence(t *testing.T) {
	from, _ := custexport.ParseDate("2025-01-01")
	until, _ := custexport.ParseDate("2025-03-31")
	p := &custexport.Partner{Name: "Účetní", ValidUntil: until}
	opts := custexport.ExportOptions{Format: custexport.FormatCSV, Encoding: custexport.EncodingWindows1250, FormulaGuard: true, Filter: custexport.Filter{From: from, Until: until}}
	for _, tc := range []struct {
		l    Lang
		want string
	}{
		{CS, "Kdokoli, kdo má tento odkaz, si může stáhnout zákazníky registrované od 1. 1. 2025 do 31. 3. 2025 jako CSV (windows-1250), včetně jmen, e-mailů, adres a telefonů, jménem partnera „Účetní“, ale jen z adres 10.0.0.0/8, 192.0.2.1, a to do 31. 3. 2025. Přegenerováním tajného klíče partnera odkaz přestane fungovat."},
		{EN, `Anyone holding this link can download the customers registered from 1 Jan 2025 to 31 Mar 2025 as CSV (windows-1250), with names, e-mails, addresses and phone numbers, as partner "Účetní", but only from 10.0.0.0/8, 192.0.2.1, until 31 Mar 2025. Regenerating the partner's secret makes it stop working.`},
	} {
		if got := LinkSentence(tc.l, p, opts, "10.0.0.0/8,192.0.2.1"); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.l, got, tc.want)
		}
	}
	got := LinkSentence(EN, &custexport.Partner{Name: "CRM"}, custexport.ExportOptions{Format: custexport.FormatXML, Encoding: custexport.EncodingUTF8}, "")
	if want := `Anyone holding this link can download all registered customers as XML with the formula guard off, with names, e-mails, addresses and phone numbers, as partner "CRM". Regenerating the partner's secret makes it stop working.`; got != want {
		t.Errorf("no limits:\n got %s\nwant %s", got, want)
	}
}

func TestFromAcceptLanguage(t *testing.T) {
	for header, want := range map[string]Lang{"": CS, "en-GB,en;q=0.9": EN, "cs,en": CS, "sk,en": CS, "de,en;q=0.5": EN} {
		if got := FromAcceptLanguage(header); got != want {
			t.Errorf("%q: %s, want %s", header, got, want)
		}
	}
	if l, ok := Parse("fr"); ok || l != CS {
		t.Error("an unknown language code is Czech, and not ok")
	}
}
