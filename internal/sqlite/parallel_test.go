package sqlite

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ncruces/go-sqlite3"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/seed"
	"github.com/custexport/custexport/internal/storetest"
)

// seeded fills a new database with n generated customers and returns them as stored.
func seeded(t *testing.T, n int) (*DB, []custexport.Customer) {
	t.Helper()
	db := openTemp(t)
	gen := seed.New(3, n, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	all := make([]custexport.Customer, n)
	for i := range all {
		if !gen.Next(&all[i]) {
			t.Fatal("generator ended early")
		}
	}
	if err := db.InsertCustomers(context.Background(), all); err != nil {
		t.Fatal(err)
	}
	return db, all
}

func parallelSnapshot(t *testing.T, db *DB, q custexport.SnapshotQuery) *snapshot {
	t.Helper()
	snap, err := db.OpenSnapshot(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	s := snap.(*snapshot)
	if len(s.conns) != 3 {
		t.Fatalf("a %d-row snapshot reads with %d connections, want 3 (parallel)", s.total, len(s.conns))
	}
	return s
}

func TestParallelScanReadsEveryRowInOrder(t *testing.T) {
	n := parallelMinRows*2 + 77 // several chunks and a short last one
	db, want := seeded(t, n)
	for _, all := range []bool{false, true} {
		s := parallelSnapshot(t, db, custexport.SnapshotQuery{AllDelivery: all})
		var got []custexport.Customer
		err := s.Each(func(c *custexport.Customer) error {
			got = append(got, clone(c))
			return nil
		})
		s.Close()
		if err != nil {
			t.Fatal(err)
		}
		if s.total != int64(n) || len(got) != n {
			t.Fatalf("AllDelivery=%v: total %d, read %d, want %d", all, s.total, len(got), n)
		}
		for i := range want {
			w := want[i]
			if !all && len(w.Delivery) > 1 {
				w.Delivery = w.Delivery[:1]
			}
			if !reflect.DeepEqual(normalise([]custexport.Customer{got[i]}), normalise([]custexport.Customer{w})) {
				t.Fatalf("AllDelivery=%v: row %d is %s, want %s", all, i, got[i].GUID, w.GUID)
			}
		}
	}
}

func TestParallelScanHonoursTheRange(t *testing.T) {
	db, all := seeded(t, parallelMinRows*3)
	// A range that starts and ends inside chunks.
	lo, hi := all[1000].RegistrationDate, all[len(all)-1000].RegistrationDate
	s := parallelSnapshot(t, db, custexport.SnapshotQuery{Range: custexport.Range{From: lo, Until: hi}})
	defer s.Close()
	var first, last string
	var n int64
	err := s.Each(func(c *custexport.Customer) error {
		if n == 0 {
			first = strings.Clone(c.GUID)
		}
		last = strings.Clone(c.GUID)
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	wantN := int64(len(all) - 2000)
	if n != wantN || s.total != wantN || first != all[1000].GUID || last != all[len(all)-1001].GUID {
		t.Fatalf("read %d rows (total %d) from %s to %s; want %d from %s to %s",
			n, s.total, first, last, wantN, all[1000].GUID, all[len(all)-1001].GUID)
	}
}

// A commit that lands after the parallel snapshot was taken is invisible to all three
// connections: the count, and both scanners' rows.
func TestParallelSnapshotIsConsistent(t *testing.T) {
	db, all := seeded(t, parallelMinRows*2)
	s := parallelSnapshot(t, db, custexport.SnapshotQuery{})
	defer s.Close()
	extra := all[0]
	extra.GUID, extra.Email = "ffffffff-ffff-4fff-8fff-ffffffffffff", "late@example.com"
	extra.AccountGUID = storetest.AccountFor(extra.GUID)
	extra.RegistrationDate = all[len(all)/2].RegistrationDate // lands in the middle, in some chunk
	if err := db.InsertCustomers(context.Background(), []custexport.Customer{extra}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.sql.Exec(`DELETE FROM customer WHERE guid = ?`, all[100].GUID); err != nil {
		t.Fatal(err)
	}
	var n int
	sawDeleted := false
	err := s.Each(func(c *custexport.Customer) error {
		n++
		if c.GUID == extra.GUID {
			t.Errorf("the snapshot shows a customer inserted after it began")
		}
		sawDeleted = sawDeleted || c.GUID == all[100].GUID
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != len(all) || s.total != int64(len(all)) || !sawDeleted {
		t.Fatalf("read %d rows (total %d, deleted one seen: %v), want the %d of the snapshot", n, s.total, sawDeleted, len(all))
	}
}

func TestParallelScanStops(t *testing.T) {
	db, _ := seeded(t, parallelMinRows*2)
	storetest.EachStopsAt(t, parallelSnapshot(t, db, custexport.SnapshotQuery{}), 5000)
	storetest.EachCancelledAt(t, db, 3000, parallelMinRows*2)
}

// While another connection holds the write lock (an import committing), an export does not
// wait for it: it reads with one connection.
func TestSnapshotFallsBackWhenWriteLockIsHeld(t *testing.T) {
	db, all := seeded(t, parallelMinRows*2)
	writer, err := sqlite3.Open(db.path)
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	if err := writer.Exec(`BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	defer writer.Exec(`ROLLBACK`)
	snap, err := db.OpenSnapshot(context.Background(), custexport.SnapshotQuery{})
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	if conns := len(snap.(*snapshot).conns); conns != 1 {
		t.Fatalf("with the write lock taken the snapshot uses %d connections, want 1", conns)
	}
	n := 0
	if err := snap.Each(func(*custexport.Customer) error { n++; return nil }); err != nil || n != len(all) {
		t.Fatalf("serial fallback read %d rows, err %v; want %d", n, err, len(all))
	}
}
