package storetest

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/sample"
)

var customerTests = []test{
	{"CustomersRoundTrip", testCustomersRoundTrip},
	{"InsertCustomersIsAtomic", testInsertCustomersIsAtomic},
	{"EmailUniqueCaseInsensitive", testEmailUniqueCaseInsensitive},
	{"SnapshotOfEmptyStore", testSnapshotOfEmptyStore},
	{"SnapshotFilterRange", testSnapshotFilterRange},
	{"SnapshotRangeBoundaries", testSnapshotRangeBoundaries},
	{"SnapshotOrderDateThenGUIDBytes", testSnapshotOrder},
	{"SnapshotIsolation", testSnapshotIsolation},
	{"SnapshotStopsOnCallbackErrorAndCancel", testSnapshotStops},
	{"SnapshotAllDeliveryInOrder", testSnapshotAllDelivery},
	{"SnapshotLargeReadsEveryRowInOrder", testSnapshotLarge},
}

// Every field of every sample customer comes back as stored, in export order; without
// AllDelivery only the default delivery address is loaded.
func testCustomersRoundTrip(t *testing.T, db custexport.Database) {
	ctx := t.Context()
	if n, err := db.CountCustomers(ctx); err != nil || n != 0 {
		t.Fatalf("a new store counts %d customers, %v; want 0", n, err)
	}
	want := sample.Customers()
	insert(t, db, want...)
	if n, err := db.CountCustomers(ctx); err != nil || n != int64(len(want)) {
		t.Fatalf("CountCustomers = %d, %v; want %d", n, err, len(want))
	}
	total, got := ReadAll(t, db, custexport.SnapshotQuery{AllDelivery: true})
	if total != int64(len(want)) {
		t.Fatalf("Total = %d, want %d", total, len(want))
	}
	if !reflect.DeepEqual(Normalise(got), Normalise(want)) {
		for i := range want {
			if i < len(got) && !reflect.DeepEqual(Normalise(got[i:i+1]), Normalise(want[i:i+1])) {
				t.Errorf("customer %d:\n got %+v\nwant %+v", i, got[i], want[i])
			}
		}
		t.Fatalf("read %d customers, want %d equal to the stored ones", len(got), len(want))
	}

	t.Run("DefaultDeliveryOnly", func(t *testing.T) {
		total, got := ReadAll(t, db, custexport.SnapshotQuery{})
		if total != int64(len(want)) || len(got) != len(want) {
			t.Fatalf("Total %d, %d rows; want %d", total, len(got), len(want))
		}
		for i, c := range got {
			wantN := min(len(want[i].Delivery), 1)
			if len(c.Delivery) != wantN {
				t.Errorf("customer %s: %d delivery addresses without AllDelivery, want %d", c.GUID, len(c.Delivery), wantN)
			}
			w := want[i]
			w.Delivery = w.Delivery[:wantN]
			if !reflect.DeepEqual(Normalise([]custexport.Customer{c}), Normalise([]custexport.Customer{w})) {
				t.Errorf("customer %d without AllDelivery:\n got %+v\nwant %+v", i, c, w)
			}
		}
	})
}

// InsertCustomers stores all of its customers or none; a clash names the guid or the e-mail.
func testInsertCustomersIsAtomic(t *testing.T, db custexport.Database) {
	ctx := t.Context()
	cs := sample.Customers()
	insert(t, db, cs[0])
	dupGUID := cs[2]
	dupGUID.GUID = cs[0].GUID
	err := db.InsertCustomers(ctx, []custexport.Customer{cs[1], dupGUID})
	if e := wantCode(t, "inserting a guid that exists", err, custexport.CodeConflict); e.Field != "guid" || !strings.Contains(e.Message, "already exists") {
		t.Errorf("guid conflict %+v: want field guid and a message saying it already exists", e)
	}
	inBatch := cs[3]
	inBatch.Email = strings.ToUpper(cs[1].Email)
	err = db.InsertCustomers(ctx, []custexport.Customer{cs[1], inBatch})
	if e := wantCode(t, "two e-mails of one batch", err, custexport.CodeConflict); e.Field != "email" {
		t.Errorf("e-mail conflict %+v: want field email", e)
	}
	if n, _ := db.CountCustomers(ctx); n != 1 {
		t.Fatalf("after two refused batches the store holds %d customers, want 1 (nothing of them)", n)
	}
	if _, got := ReadAll(t, db, custexport.SnapshotQuery{}); len(got) != 1 || got[0].GUID != cs[0].GUID {
		t.Fatalf("after refused batches the snapshot reads %v", guids(got))
	}
	// The store is usable after the refusals.
	insert(t, db, cs[1:]...)
	if n, _ := db.CountCustomers(ctx); n != int64(len(cs)) {
		t.Fatalf("%d customers, want %d", n, len(cs))
	}
}

func testEmailUniqueCaseInsensitive(t *testing.T, db custexport.Database) {
	cs := sample.Customers()[:1]
	insert(t, db, cs...)
	dup := cs[0]
	dup.GUID = "99999999-9999-4999-8999-999999999999"
	dup.AccountGUID = AccountFor(dup.GUID)
	dup.Email = strings.ToUpper(dup.Email)
	err := db.InsertCustomers(t.Context(), []custexport.Customer{dup})
	if custexport.ErrorCode(err) != custexport.CodeConflict || !strings.Contains(err.Error(), "already registered") {
		t.Fatalf("inserting %s next to %s: got %v, want a conflict naming the e-mail", dup.Email, cs[0].Email, err)
	}
}

func testSnapshotOfEmptyStore(t *testing.T, db custexport.Database) {
	for _, all := range []bool{false, true} {
		total, got := ReadAll(t, db, custexport.SnapshotQuery{AllDelivery: all})
		if total != 0 || len(got) != 0 {
			t.Fatalf("AllDelivery=%v: an empty store's snapshot: Total %d, %d rows", all, total, len(got))
		}
	}
}

func testSnapshotFilterRange(t *testing.T, db custexport.Database) {
	insert(t, db, sample.Customers()...)
	// 2018-12-01 in Prague starts at 2018-11-30 23:00 UTC: the customer registered at 23:30 UTC
	// belongs to 1 December in shop time.
	f := custexport.Filter{From: custexport.Date{Year: 2018, Month: 12, Day: 1}, Until: custexport.Date{Year: 2024, Month: 10, Day: 27}}
	total, got := ReadAll(t, db, custexport.SnapshotQuery{Range: f.Range(sample.Prague)})
	var short []string
	for _, c := range got {
		short = append(short, c.GUID[:4])
	}
	want := []string{"1c2d", "2a2a", "3b3b", "4c4c", "5d5d"}
	if !reflect.DeepEqual(short, want) || total != int64(len(want)) {
		t.Fatalf("filter %v..%v selected %v (total %d), want %v", f.From, f.Until, short, total, want)
	}
}

// A range is [From, Until): a customer registered exactly at From is in, one registered
// exactly at Until is out; a zero end is open.
func testSnapshotRangeBoundaries(t *testing.T, db custexport.Database) {
	from := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	until := from.Add(48 * time.Hour)
	at := map[string]time.Time{
		"before": from.Add(-time.Second),
		"atFrom": from,
		"inside": from.Add(time.Hour),
		"justIn": until.Add(-time.Second),
		"atEnd":  until,
		"after":  until.Add(time.Second),
	}
	base := sample.Customers()[5]
	var cs []custexport.Customer
	for i, name := range []string{"before", "atFrom", "inside", "justIn", "atEnd", "after"} {
		c := base
		c.GUID = "00000000-0000-4000-8000-00000000000" + string(rune('0'+i))
		c.AccountGUID = AccountFor(c.GUID)
		c.Email = strings.ToLower(name) + "@example.com"
		c.Billing.FullName = name
		c.RegistrationDate = at[name]
		cs = append(cs, c)
	}
	insert(t, db, cs...)
	names := func(r custexport.Range) []string {
		t.Helper()
		total, got := ReadAll(t, db, custexport.SnapshotQuery{Range: r})
		var out []string
		for _, c := range got {
			out = append(out, c.Billing.FullName)
		}
		if total != int64(len(got)) {
			t.Errorf("range %v..%v: Total %d, %d rows", r.From, r.Until, total, len(got))
		}
		return out
	}
	for _, tc := range []struct {
		r    custexport.Range
		want []string
	}{
		{custexport.Range{From: from, Until: until}, []string{"atFrom", "inside", "justIn"}},
		{custexport.Range{From: from}, []string{"atFrom", "inside", "justIn", "atEnd", "after"}},
		{custexport.Range{Until: until}, []string{"before", "atFrom", "inside", "justIn"}},
		{custexport.Range{}, []string{"before", "atFrom", "inside", "justIn", "atEnd", "after"}},
		{custexport.Range{From: from.In(sample.Prague), Until: until.In(sample.Prague)}, []string{"atFrom", "inside", "justIn"}},
		{custexport.Range{From: until, Until: until}, nil},
		{custexport.Range{From: at["atEnd"], Until: at["after"]}, []string{"atEnd"}},
	} {
		if got := names(tc.r); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("range [%v, %v) selected %v, want %v", tc.r.From, tc.r.Until, got, tc.want)
		}
	}
}

// Export order is registration date, then guid in byte order: an upper-case guid sorts before
// every lower-case one (as strings.Compare, not as a collation that ignores case would).
func testSnapshotOrder(t *testing.T, db custexport.Database) {
	same := time.Date(2023, 5, 5, 12, 0, 0, 0, time.UTC)
	base := sample.Customers()[5]
	specs := []struct {
		guid string
		at   time.Time
	}{
		{"a0000000-0000-4000-8000-000000000001", same},
		{"B0000000-0000-4000-8000-000000000002", same},
		{"b0000000-0000-4000-8000-000000000003", same},
		{"A0000000-0000-4000-8000-000000000004", same},
		{"10000000-0000-4000-8000-000000000005", same},
		{"ffffffff-0000-4000-8000-000000000006", same.Add(-time.Second)},
		{"00000000-0000-4000-8000-000000000007", same.Add(time.Second)},
		{"Z0000000-0000-4000-8000-000000000008", same.Add(-24 * time.Hour)},
		{"a0000000-0000-4000-8000-000000000009", same.AddDate(-3, 0, 0)},
	}
	var cs []custexport.Customer
	for i, s := range specs {
		c := base
		c.GUID, c.RegistrationDate = s.guid, s.at
		c.AccountGUID = AccountFor(c.GUID)
		c.Email = "order" + string(rune('a'+i)) + "@example.com"
		cs = append(cs, c)
	}
	// Inserted in neither export order nor its reverse.
	insert(t, db, cs[4], cs[0], cs[7], cs[2], cs[8], cs[1], cs[6], cs[3], cs[5])
	want := slices.Clone(cs)
	slices.SortFunc(want, func(a, b custexport.Customer) int {
		if c := a.RegistrationDate.Compare(b.RegistrationDate); c != 0 {
			return c
		}
		return strings.Compare(a.GUID, b.GUID)
	})
	for _, all := range []bool{false, true} {
		_, got := ReadAll(t, db, custexport.SnapshotQuery{AllDelivery: all})
		if !reflect.DeepEqual(guids(got), guids(want)) {
			t.Errorf("AllDelivery=%v: export order\n %s\nwant (date, then guid bytes)\n %s", all,
				strings.Join(guids(got), "\n "), strings.Join(guids(want), "\n "))
		}
	}
	// A range keeps the order.
	_, got := ReadAll(t, db, custexport.SnapshotQuery{Range: custexport.Range{From: same, Until: same.Add(time.Second)}})
	if w := guids(want[3:8]); !reflect.DeepEqual(guids(got), w) {
		t.Errorf("one second's customers read as %v, want %v", guids(got), w)
	}
}

// A snapshot opened before an insert does not see it: its count and its rows agree, and the
// rows are exactly those stored when it was opened.
func testSnapshotIsolation(t *testing.T, db custexport.Database) {
	ctx := t.Context()
	cs := sample.Customers()
	insert(t, db, cs[:3]...)
	if _, got := ReadAll(t, db, custexport.SnapshotQuery{}); !reflect.DeepEqual(guids(got), guids(cs[:3])) {
		t.Fatalf("stored %v, read %v", guids(cs[:3]), guids(got))
	}
	for _, all := range []bool{false, true} {
		_, before := ReadAll(t, db, custexport.SnapshotQuery{AllDelivery: all})
		snap, err := db.OpenSnapshot(ctx, custexport.SnapshotQuery{AllDelivery: all})
		if err != nil {
			t.Fatal(err)
		}
		// A write commits after the snapshot has counted and before it reads the rows. The
		// late customer sorts first (its registration date is the earliest).
		late := cs[3]
		late.GUID = "00000000-1111-4000-8000-00000000000" + map[bool]string{false: "1", true: "2"}[all]
		late.AccountGUID = AccountFor(late.GUID)
		late.Email = late.GUID + "@example.com"
		late.RegistrationDate = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
		if err := db.InsertCustomers(ctx, []custexport.Customer{late}); err != nil {
			snap.Close()
			t.Fatal(err)
		}
		var rows []string
		err = snap.Each(func(c *custexport.Customer) error { rows = append(rows, strings.Clone(c.GUID)); return nil })
		snap.Close()
		if err != nil {
			t.Fatal(err)
		}
		if snap.Total() != int64(len(before)) || !reflect.DeepEqual(rows, guids(before)) {
			t.Fatalf("AllDelivery=%v: snapshot counted %d and read %v, want %d and %v (the later insert must not show)",
				all, snap.Total(), rows, len(before), guids(before))
		}
	}
	if n, _ := db.CountCustomers(ctx); n != 5 {
		t.Fatalf("after the inserts the store holds %d customers, want 5", n)
	}
	// A snapshot opened afterwards sees them.
	if total, got := ReadAll(t, db, custexport.SnapshotQuery{}); total != 5 || len(got) != 5 {
		t.Fatalf("a new snapshot counts %d and reads %d rows, want 5", total, len(got))
	}
}

func testSnapshotStops(t *testing.T, db custexport.Database) {
	many := make([]custexport.Customer, 0, 3000)
	base := sample.Customers()[0]
	for i := range 3000 {
		c := base
		c.GUID = strings.Replace(c.GUID, "0b9e3c1a", "0b9e"+string(rune('a'+i%26))+string(rune('a'+i/26%26))+string(rune('a'+i/676%26))+"0", 1)
		c.AccountGUID = AccountFor(c.GUID)
		c.Email = c.GUID + "@example.com"
		c.RegistrationDate = c.RegistrationDate.Add(time.Duration(i) * time.Second)
		many = append(many, c)
	}
	insert(t, db, many...)
	snap, err := db.OpenSnapshot(t.Context(), custexport.SnapshotQuery{})
	if err != nil {
		t.Fatal(err)
	}
	EachStopsAt(t, snap, 700)
	EachCancelledAt(t, db, 10, 3000)
	// The store still answers.
	if n, err := db.CountCustomers(t.Context()); err != nil || n != 3000 {
		t.Fatalf("after a cancelled export: %d customers, %v", n, err)
	}
}

// EachStopsAt fails the test unless snap.Each, whose callback fails at row n, returns the
// callback's error having called it exactly n times. It closes snap.
func EachStopsAt(t *testing.T, snap custexport.CustomerSnapshot, n int) {
	t.Helper()
	stop := errors.New("stop")
	calls := 0
	err := snap.Each(func(*custexport.Customer) error {
		if calls++; calls == n {
			return stop
		}
		return nil
	})
	snap.Close()
	if !errors.Is(err, stop) || calls != n {
		t.Fatalf("Each returned %v after %d rows, want the callback's error after %d", err, calls, n)
	}
}

// EachCancelledAt reads a snapshot of all the customers of db, which holds total, and cancels
// its context at row n: Each must return context.Canceled before the end. The snapshot is
// closed when the test ends, so that what the test does next runs beside a cancelled one.
func EachCancelledAt(t *testing.T, db custexport.Database, n, total int) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	snap, err := db.OpenSnapshot(ctx, custexport.SnapshotQuery{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { snap.Close() })
	calls := 0
	err = snap.Each(func(*custexport.Customer) error {
		if calls++; calls == n {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || calls >= total {
		t.Fatalf("Each returned %v after %d rows, want context.Canceled before the end", err, calls)
	}
}

// AllDelivery loads every delivery address in its stored order, the default first; without it
// only the default; a customer without addresses has none either way.
func testSnapshotAllDelivery(t *testing.T, db custexport.Database) {
	base := sample.Customers()[5]
	addr := func(city string) custexport.Address {
		return custexport.Address{FullName: "Adresát " + city, Street: "Ulice", HouseNumber: "1", City: city, Zip: "10000", CountryCode: "CZ"}
	}
	counts := []int{0, 1, 2, 5}
	var cs []custexport.Customer
	for i, n := range counts {
		c := base
		c.GUID = "dddddddd-0000-4000-8000-00000000000" + string(rune('0'+i))
		c.AccountGUID = AccountFor(c.GUID)
		c.Email = "delivery" + string(rune('0'+i)) + "@example.com"
		c.RegistrationDate = base.RegistrationDate.Add(time.Duration(i) * time.Minute)
		c.Delivery = nil
		for j := range n {
			c.Delivery = append(c.Delivery, addr(string(rune('Z'-j))+"-město"))
		}
		cs = append(cs, c)
	}
	// An address with only one field set, and escaped text, keep their place.
	cs[3].Delivery[2] = custexport.Address{Zip: "00001"}
	cs[3].Delivery[3].Company = `Sklad "B" <&> \ 😀` + "\n" + "řádek"
	insert(t, db, cs...)
	_, all := ReadAll(t, db, custexport.SnapshotQuery{AllDelivery: true})
	_, flat := ReadAll(t, db, custexport.SnapshotQuery{})
	for i := range cs {
		want := cs[i].Delivery
		if !reflect.DeepEqual(Normalise(all[i : i+1])[0].Delivery, want) {
			t.Errorf("customer with %d addresses, AllDelivery:\n got %+v\nwant %+v", counts[i], all[i].Delivery, want)
		}
		if len(want) > 1 {
			want = want[:1]
		}
		if !reflect.DeepEqual(Normalise(flat[i : i+1])[0].Delivery, want) {
			t.Errorf("customer with %d addresses, default only:\n got %+v\nwant %+v", counts[i], flat[i].Delivery, want)
		}
		if got := flat[i].DefaultDelivery(); got != cs[i].DefaultDelivery() {
			t.Errorf("customer with %d addresses: default %+v, want %+v", counts[i], got, cs[i].DefaultDelivery())
		}
	}
}

// A few thousand generated customers read back whole and in order, with and without every
// delivery address (stores may read large snapshots differently, e.g. in parallel).
func testSnapshotLarge(t *testing.T, db custexport.Database) {
	const n = 4000
	want := seeded(t, db, n)
	for _, all := range []bool{false, true} {
		total, got := ReadAll(t, db, custexport.SnapshotQuery{AllDelivery: all})
		if total != n || len(got) != n {
			t.Fatalf("AllDelivery=%v: total %d, read %d, want %d", all, total, len(got), n)
		}
		for i := range want {
			w := want[i]
			if !all && len(w.Delivery) > 1 {
				w.Delivery = w.Delivery[:1]
			}
			if !reflect.DeepEqual(Normalise([]custexport.Customer{got[i]}), Normalise([]custexport.Customer{w})) {
				t.Fatalf("AllDelivery=%v: row %d:\n got %+v\nwant %+v", all, i, got[i], w)
			}
		}
	}
}
