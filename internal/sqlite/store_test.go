package sqlite

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ncruces/go-sqlite3/driver"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/sample"
)

func openTemp(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// readAll reads a snapshot into memory; tests only.
func readAll(t *testing.T, db *DB, q custexport.SnapshotQuery) (int64, []custexport.Customer) {
	t.Helper()
	snap, err := db.OpenSnapshot(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	var got []custexport.Customer
	err = snap.Each(func(c *custexport.Customer) error {
		got = append(got, clone(c))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return snap.Total(), got
}

// normalise makes stored and read customers comparable: times as UTC seconds, empty slices nil.
func normalise(cs []custexport.Customer) []custexport.Customer {
	out := make([]custexport.Customer, len(cs))
	for i, c := range cs {
		c.RegistrationDate = c.RegistrationDate.UTC().Truncate(time.Second)
		c.ChangeTime = c.ChangeTime.UTC().Truncate(time.Second)
		if len(c.Delivery) == 0 {
			c.Delivery = nil
		}
		out[i] = c
	}
	return out
}

func TestCustomersRoundTrip(t *testing.T) {
	db := openTemp(t)
	want := sample.Customers()
	if err := db.InsertCustomers(context.Background(), want); err != nil {
		t.Fatal(err)
	}
	total, got := readAll(t, db, custexport.SnapshotQuery{AllDelivery: true})
	if total != int64(len(want)) {
		t.Fatalf("Total = %d, want %d", total, len(want))
	}
	if !reflect.DeepEqual(normalise(got), normalise(want)) {
		for i := range want {
			if i < len(got) && !reflect.DeepEqual(normalise(got[i:i+1]), normalise(want[i:i+1])) {
				t.Errorf("customer %d:\n got %+v\nwant %+v", i, got[i], want[i])
			}
		}
		t.Fatalf("read %d customers, want %d equal to the stored ones", len(got), len(want))
	}

	t.Run("DefaultDeliveryOnly", func(t *testing.T) {
		_, got := readAll(t, db, custexport.SnapshotQuery{})
		for i, c := range got {
			wantN := min(len(want[i].Delivery), 1)
			if len(c.Delivery) != wantN {
				t.Errorf("customer %s: %d delivery addresses without AllDelivery, want %d", c.GUID, len(c.Delivery), wantN)
			}
		}
	})
}

func TestSnapshotFilterRange(t *testing.T) {
	db := openTemp(t)
	if err := db.InsertCustomers(context.Background(), sample.Customers()); err != nil {
		t.Fatal(err)
	}
	// 2018-12-01 in Prague starts at 2018-11-30 23:00 UTC: the customer registered at 23:30 UTC
	// belongs to 1 December in shop time.
	f := custexport.Filter{From: custexport.Date{Year: 2018, Month: 12, Day: 1}, Until: custexport.Date{Year: 2024, Month: 10, Day: 27}}
	total, got := readAll(t, db, custexport.SnapshotQuery{Range: f.Range(sample.Prague)})
	var guids []string
	for _, c := range got {
		guids = append(guids, c.GUID[:4])
	}
	want := []string{"1c2d", "2a2a", "3b3b", "4c4c", "5d5d"}
	if !reflect.DeepEqual(guids, want) || total != int64(len(want)) {
		t.Fatalf("filter %v..%v selected %v (total %d), want %v", f.From, f.Until, guids, total, want)
	}
}

func TestSnapshotIsConsistent(t *testing.T) {
	db := openTemp(t)
	cs := sample.Customers()
	if err := db.InsertCustomers(context.Background(), cs[:3]); err != nil {
		t.Fatal(err)
	}
	snap, err := db.OpenSnapshot(context.Background(), custexport.SnapshotQuery{})
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	// A write commits after the snapshot has counted and before it reads the rows.
	if err := db.InsertCustomers(context.Background(), cs[3:]); err != nil {
		t.Fatal(err)
	}
	var rows int64
	if err := snap.Each(func(*custexport.Customer) error { rows++; return nil }); err != nil {
		t.Fatal(err)
	}
	if snap.Total() != 3 || rows != 3 {
		t.Fatalf("snapshot counted %d and read %d rows, want 3 and 3 (the later insert must not show)", snap.Total(), rows)
	}
	if n, _ := db.CountCustomers(context.Background()); n != int64(len(cs)) {
		t.Fatalf("after the insert the store holds %d customers, want %d", n, len(cs))
	}
}

func TestSnapshotStopsOnCallbackErrorAndCancel(t *testing.T) {
	db := openTemp(t)
	many := make([]custexport.Customer, 0, 3000)
	base := sample.Customers()[0]
	for i := range 3000 {
		c := base
		c.GUID = strings.Replace(c.GUID, "0b9e3c1a", "0b9e"+string(rune('a'+i%26))+string(rune('a'+i/26%26))+string(rune('a'+i/676%26))+"0", 1)
		c.Email = c.GUID + "@example.com"
		c.RegistrationDate = c.RegistrationDate.Add(time.Duration(i) * time.Second)
		many = append(many, c)
	}
	if err := db.InsertCustomers(context.Background(), many); err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	snap, err := db.OpenSnapshot(context.Background(), custexport.SnapshotQuery{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	err = snap.Each(func(*custexport.Customer) error {
		n++
		if n == 700 {
			return stop
		}
		return nil
	})
	snap.Close()
	if !errors.Is(err, stop) || n != 700 {
		t.Fatalf("Each returned %v after %d rows, want the callback's error after 700", err, n)
	}

	ctx, cancel := context.WithCancel(context.Background())
	snap, err = db.OpenSnapshot(ctx, custexport.SnapshotQuery{})
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	n = 0
	err = snap.Each(func(*custexport.Customer) error {
		n++
		if n == 10 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || n >= 3000 {
		t.Fatalf("Each returned %v after %d rows, want context.Canceled before the end", err, n)
	}
}

func TestEmailUniqueCaseInsensitive(t *testing.T) {
	db := openTemp(t)
	cs := sample.Customers()[:1]
	if err := db.InsertCustomers(context.Background(), cs); err != nil {
		t.Fatal(err)
	}
	dup := cs[0]
	dup.GUID = "99999999-9999-4999-8999-999999999999"
	dup.Email = strings.ToUpper(dup.Email)
	err := db.InsertCustomers(context.Background(), []custexport.Customer{dup})
	if custexport.ErrorCode(err) != custexport.CodeConflict || !strings.Contains(err.Error(), "already registered") {
		t.Fatalf("inserting %s next to %s: got %v, want a conflict naming the e-mail", dup.Email, cs[0].Email, err)
	}
}

func TestOpenRefusesForeignFiles(t *testing.T) {
	dir := t.TempDir()
	t.Run("NotADatabase", func(t *testing.T) {
		path := filepath.Join(dir, "text.db")
		os.WriteFile(path, []byte("this is a text file, not a database\n"), 0o600)
		_, err := Open(context.Background(), path)
		if err == nil || !strings.Contains(err.Error(), "not a SQLite database") {
			t.Fatalf("Open(text file) = %v, want an error saying it is not a SQLite database", err)
		}
		if b, _ := os.ReadFile(path); string(b) != "this is a text file, not a database\n" {
			t.Fatal("the file was changed")
		}
	})
	t.Run("OtherApplication", func(t *testing.T) {
		path := filepath.Join(dir, "other.db")
		other, err := driver.Open("file:" + path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := other.Exec(`CREATE TABLE orders (id INTEGER PRIMARY KEY)`); err != nil {
			t.Fatal(err)
		}
		other.Close()
		_, err = Open(context.Background(), path)
		if err == nil || !strings.Contains(err.Error(), "no custexport schema") {
			t.Fatalf("Open(foreign database) = %v, want a refusal", err)
		}
	})
	t.Run("NewerSchema", func(t *testing.T) {
		path := filepath.Join(dir, "newer.db")
		db, err := Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		db.sql.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)`)
		db.Close()
		_, err = Open(context.Background(), path)
		if err == nil || !strings.Contains(err.Error(), "schema version 999 is newer") {
			t.Fatalf("Open(newer schema) = %v, want a refusal naming the version", err)
		}
	})
}

func TestMigrateConcurrentlyAppliesOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "race.db")
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			db, err := Open(context.Background(), path)
			if err == nil {
				db.Close()
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n, maxV int
	db.sql.QueryRow(`SELECT count(*), max(version) FROM schema_migrations`).Scan(&n, &maxV)
	if n != LatestVersion() || maxV != LatestVersion() {
		t.Fatalf("schema_migrations has %d rows up to version %d, want each of %d versions once", n, maxV, LatestVersion())
	}
}

// clone copies a customer and every string in it out of the store's reused buffers.
func clone(c *custexport.Customer) custexport.Customer {
	cp := *c
	for _, p := range []*string{&cp.GUID, &cp.Email, &cp.CompanyID, &cp.VatID, &cp.TaxID, &cp.Phone,
		&cp.CustomerGroup, &cp.PriceList, &cp.Remark} {
		*p = strings.Clone(*p)
	}
	cp.Billing = cloneAddress(c.Billing)
	cp.Delivery = nil
	for _, d := range c.Delivery {
		cp.Delivery = append(cp.Delivery, cloneAddress(d))
	}
	return cp
}

func cloneAddress(a custexport.Address) custexport.Address {
	for _, p := range []*string{&a.FullName, &a.Company, &a.Street, &a.HouseNumber, &a.City,
		&a.District, &a.Additional, &a.Zip, &a.CountryCode} {
		*p = strings.Clone(*p)
	}
	return a
}

// The fast reader of stored extra addresses agrees with encoding/json on whatever
// encodeExtraDelivery writes, and leaves escaped or foreign text to encoding/json.
func FuzzExtraDelivery(f *testing.F) {
	f.Add("Brno", `Sklad "A"`, "60200")
	f.Add("", "", "")
	f.Add("東京", "line\nbreak \\ \u2028", "<&>\xff")
	f.Fuzz(func(t *testing.T, city, company, zip string) {
		addrs := []custexport.Address{{City: "default"}, {City: city, Company: company}, {Zip: zip, FullName: company}}
		text, err := encodeExtraDelivery(addrs)
		if err != nil {
			t.Fatal(err)
		}
		got, err := appendExtraDelivery(nil, text)
		if err != nil {
			t.Fatal(err)
		}
		var want []extraAddress
		if err := json.Unmarshal([]byte(text), &want); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d addresses, want %d", text, len(got), len(want))
		}
		for i := range want {
			if got[i] != custexport.Address(want[i]) {
				t.Fatalf("%s: address %d = %+v, want %+v", text, i, got[i], want[i])
			}
		}
	})
}
