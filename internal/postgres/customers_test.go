package postgres_test

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/pgtest"
	"github.com/custexport/custexport/internal/postgres"
	"github.com/custexport/custexport/internal/seed"
	"github.com/custexport/custexport/internal/sqlite"
	"github.com/custexport/custexport/internal/storetest"
)

func openPG(t *testing.T) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), pgtest.NewDatabase(t), postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestSnapshotsMatchSQLite stores the same seeded customers in both stores and reads every
// field back alike, in the same order, with and without every delivery address and with a
// date range.
func TestSnapshotsMatchSQLite(t *testing.T) {
	ctx := context.Background()
	pg := openPG(t)
	lite, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	gen := seed.New(7, 3000, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	var all []custexport.Customer
	for {
		var c custexport.Customer
		if !gen.Next(&c) {
			break
		}
		all = append(all, c)
	}
	// Two guids that differ in letter case only: byte order puts upper case first.
	all[1].RegistrationDate, all[2].RegistrationDate = all[0].RegistrationDate, all[0].RegistrationDate
	all[1].GUID, all[2].GUID = "B0000000-0000-4000-8000-000000000000", "a0000000-0000-4000-8000-000000000000"
	for _, s := range []custexport.CustomerStore{pg, lite} {
		if err := s.InsertCustomers(ctx, all); err != nil {
			t.Fatal(err)
		}
	}
	from := all[100].RegistrationDate
	for _, q := range []custexport.SnapshotQuery{
		{}, {AllDelivery: true},
		{Range: custexport.Range{From: from, Until: from.AddDate(2, 0, 0)}, AllDelivery: true},
	} {
		nPG, gotPG := storetest.ReadAll(t, pg, q)
		nLite, gotLite := storetest.ReadAll(t, lite, q)
		gotPG, gotLite = storetest.Normalise(gotPG), storetest.Normalise(gotLite)
		if nPG != nLite || len(gotPG) != int(nPG) || len(gotLite) != int(nLite) {
			t.Fatalf("%+v: totals PostgreSQL %d (%d rows), SQLite %d (%d rows)", q, nPG, len(gotPG), nLite, len(gotLite))
		}
		if nPG == 0 {
			t.Fatalf("%+v: no customers read", q)
		}
		for i := range gotPG {
			if !reflect.DeepEqual(gotPG[i], gotLite[i]) {
				t.Fatalf("%+v: row %d differs:\nPostgreSQL %+v\nSQLite     %+v", q, i, gotPG[i], gotLite[i])
			}
		}
	}
}

// TestInsertConflictNamesTheValue: a taken e-mail is refused as a conflict that says which.
func TestInsertConflictNamesTheValue(t *testing.T) {
	ctx := context.Background()
	pg := openPG(t)
	gen := seed.New(1, 2, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	var a, b custexport.Customer
	gen.Next(&a)
	gen.Next(&b)
	b.Email = "X" + a.Email[1:]
	a.Email = "x" + a.Email[1:]
	if err := pg.InsertCustomers(ctx, []custexport.Customer{a}); err != nil {
		t.Fatal(err)
	}
	err := pg.InsertCustomers(ctx, []custexport.Customer{b})
	if custexport.ErrorCode(err) != custexport.CodeConflict {
		t.Fatalf("a case-different e-mail: %v, want a conflict", err)
	}
	if n, _ := pg.CountCustomers(ctx); n != 1 {
		t.Fatalf("%d customers after a refused insert, want 1", n)
	}
}
