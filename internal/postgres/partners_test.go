package postgres_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/custexport/custexport/internal/pgtest"
	"github.com/custexport/custexport/internal/postgres"
)

// A partner stored before names and notes were checked (or written by hand) still loads as it
// is: the check guards writes, never reads, so such a partner can be listed and renamed away
// rather than breaking every page that lists partners.
func TestStoredPartnerWithControlCharactersLoads(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	db, err := postgres.Open(ctx, dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	const name, note = "Sklad\x1b[31m\r\nBrno\u202e", "a\tb\x07"
	var id int64
	err = conn.QueryRow(ctx, `INSERT INTO partner (name, note, link_salt, created_at) VALUES ($1, $2, '\x01'::bytea, 1700000000000) RETURNING id`,
		name, note).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	p, err := db.Partner(ctx, id)
	if err != nil || p.Name != name || p.Note != note {
		t.Fatalf("Partner = %+v, %v; want name %q and note %q", p, err, name, note)
	}
	ps, err := db.Partners(ctx)
	if err != nil || len(ps) != 1 || ps[0].Name != name {
		t.Fatalf("Partners = %+v, %v", ps, err)
	}
}
