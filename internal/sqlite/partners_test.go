package sqlite

import (
	"testing"
)

// A partner stored before names and notes were checked (or written by hand) still loads as it
// is: the check guards writes, never reads, so such a partner can be listed and renamed away
// rather than breaking every page that lists partners.
func TestStoredPartnerWithControlCharactersLoads(t *testing.T) {
	db := openTemp(t)
	const name, note = "Sklad\x1b[31m\r\nBrno\u202e", "a\tb\x07"
	res, err := db.sql.ExecContext(t.Context(), `INSERT INTO partner (name, note, link_salt, created_at) VALUES (?, ?, x'01', 1700000000000)`, name, note)
	if err != nil {
		t.Fatal(err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		t.Fatal(err)
	}
	p, err := db.Partner(t.Context(), id)
	if err != nil || p.Name != name || p.Note != note {
		t.Fatalf("Partner = %+v, %v; want name %q and note %q", p, err, name, note)
	}
	ps, err := db.Partners(t.Context())
	if err != nil || len(ps) != 1 || ps[0].Name != name {
		t.Fatalf("Partners = %+v, %v", ps, err)
	}
}
