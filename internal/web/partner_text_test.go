package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The partner form applies the domain's rule for a partner's text (custexport.ValidatePartner,
// which the stores apply too): a control or invisible character in the name or the note is
// refused beside its field, in the page's language, and nothing is saved.
func TestPartnerFormRefusesControlCharacters(t *testing.T) {
	af, c := signedIn(t, 10)
	ctx := context.Background()
	before, _ := af.db.Partners(ctx)
	cases := []struct {
		form   url.Values
		field  string // the id of the error paragraph
		czech  string // what the Czech page says
		letter string // the character named (U+ is escaped in HTML)
	}{
		{url.Values{"name": {"Evil\x1b[2J"}}, "partner-name-error", "řídicí znak", "001B"},
		{url.Values{"name": {"Sklad\u202eexe.txt"}}, "partner-name-error", "řídicí znak", "202E"},
		{url.Values{"name": {"Sklad"}, "note": {"daily\rsync"}}, "partner-note-error", "řídicí znak", "000D"},
		{url.Values{"name": {strings.Repeat("n", 201)}}, "partner-name-error", "delší než 200 znaků", ""},
	}
	for _, tc := range cases {
		resp, body := af.do(c, http.MethodPost, "/settings/partners", tc.form)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `id="`+tc.field+`"`) ||
			!strings.Contains(body, tc.czech) || !strings.Contains(body, tc.letter) {
			t.Errorf("%q: status %d, want 400 with %s saying %q %s", tc.form, resp.StatusCode, tc.field, tc.czech, tc.letter)
		}
	}
	if after, _ := af.db.Partners(ctx); len(after) != len(before) {
		t.Fatalf("a refused partner form saved a partner: %d before, %d after", len(before), len(after))
	}
}
