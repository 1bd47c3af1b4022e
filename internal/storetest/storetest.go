// Package storetest is the conformance suite of the store contract, custexport.Database. Every
// store runs it from a test of its own package:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) (custexport.Database, error) { … a new, empty database … })
//	}
//
// The tests use the domain interfaces only, so they run unchanged on every store; what only one
// store can check (its files, its SQL, its internals) stays in that store's own tests.
package storetest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/seed"
)

// test is one contract test; it gets a fresh, empty database.
type test struct {
	name string
	fn   func(t *testing.T, db custexport.Database)
}

// tests lists every contract test, grouped by the part of the contract it checks.
func tests() []test {
	var all []test
	for _, group := range [][]test{customerTests, accountTests, securityTests, boundTests, userTests, jobTests, importTests, importChangeTests, adminTests} {
		all = append(all, group...)
	}
	return all
}

// Run runs every contract test as a subtest of t, each on a new empty database from open, which
// Run gives LogKey and closes when the subtest ends (before the cleanups open registered).
func Run(t *testing.T, open func(t *testing.T) (custexport.Database, error)) {
	seen := map[string]bool{}
	for _, tc := range tests() {
		if seen[tc.name] {
			t.Fatalf("two contract tests are named %s", tc.name)
		}
		seen[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			db, err := open(t)
			if err != nil {
				t.Fatal(err)
			}
			if db == nil {
				t.Fatal("open returned no database")
			}
			db.SetLogKey(LogKey)
			t.Cleanup(func() {
				if err := db.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tc.fn(t, db)
		})
	}
}

// operator is the principal of changes made from the CLI.
var operator = custexport.Principal{Kind: custexport.PrincipalOperator, Name: "root"}

// testHash is a well-formed password hash; the store never judges it.
const testHash = "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$bm90IGEgcmVhbCBoYXNoIGJ1dCB3ZWxsLWZvcm1lZA"

// ReadAll reads a snapshot into memory, each customer copied out of the store's buffers, and
// returns its Total and rows.
func ReadAll(t testing.TB, db custexport.CustomerStore, q custexport.SnapshotQuery) (int64, []custexport.Customer) {
	t.Helper()
	snap, err := db.OpenSnapshot(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	var got []custexport.Customer
	err = snap.Each(func(c *custexport.Customer) error {
		got = append(got, Clone(c))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return snap.Total(), got
}

// Normalise makes stored and read customers comparable: times as UTC seconds (stores keep
// seconds), empty delivery lists nil.
func Normalise(cs []custexport.Customer) []custexport.Customer {
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

// Clone copies a customer and every string in it out of the store's reused buffers.
func Clone(c *custexport.Customer) custexport.Customer {
	cp := *c
	for _, p := range []*string{&cp.GUID, &cp.AccountGUID, &cp.Email, &cp.CompanyID, &cp.VatID, &cp.TaxID, &cp.Phone,
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

// AccountFor is the account guid of a test customer made by copying another and giving it the
// guid: account guids are unique, so the copy cannot keep the original's.
func AccountFor(guid string) string { return "acc0" + guid[4:] }

// Generate returns n generated customers in export order (internal/seed), not stored.
func Generate(t testing.TB, n int) []custexport.Customer {
	t.Helper()
	gen := seed.New(3, n, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	all := make([]custexport.Customer, n)
	for i := range all {
		if !gen.Next(&all[i]) {
			t.Fatal("generator ended early")
		}
	}
	return all
}

// seeded stores n generated customers and returns them as stored.
func seeded(t *testing.T, db custexport.Database, n int) []custexport.Customer {
	t.Helper()
	all := Generate(t, n)
	if err := db.InsertCustomers(t.Context(), all); err != nil {
		t.Fatal(err)
	}
	return all
}

func insert(t *testing.T, db custexport.Database, cs ...custexport.Customer) {
	t.Helper()
	if err := db.InsertCustomers(t.Context(), cs); err != nil {
		t.Fatal(err)
	}
}

// wantCode fails t unless err is a domain error of the code, and returns it.
func wantCode(t *testing.T, what string, err error, code custexport.Code) *custexport.Error {
	t.Helper()
	var e *custexport.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("%s: %v, want a %s error", what, err, code)
	}
	return e
}

// guids lists the customers' guids.
func guids(cs []custexport.Customer) []string {
	out := make([]string, len(cs))
	for i := range cs {
		out[i] = cs[i].GUID
	}
	return out
}

// operatorEvents reads the whole access log, oldest first, and returns the entries' texts,
// failing the test for an entry that is not an event of the operator's made from the CLI.
func operatorEvents(t *testing.T, db custexport.Database) []string {
	t.Helper()
	var events []string
	for _, e := range accessLog(t, db) {
		if e.Outcome != custexport.OutcomeEvent || e.Principal != operator || e.Channel != custexport.ChannelCLI {
			t.Errorf("not an operator's CLI event: %+v", e)
		}
		events = append(events, e.Reason)
	}
	return events
}

// accessLog reads the whole access log, oldest first.
func accessLog(t *testing.T, db custexport.Database) []custexport.AccessEntry {
	t.Helper()
	var out []custexport.AccessEntry
	err := db.AccessEntries(t.Context(), time.Time{}, func(e *custexport.AccessEntry) error {
		out = append(out, *e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// LogKey is the access log's key in tests: a store under test is given it (SetLogKey), and
// VerifyChain checks with it.
var LogKey = custexport.NewLogKey([]byte("storetest: the access log's key"))

// VerifyChain verifies db's whole access log with LogKey (custexport.VerifyAccessLog) and
// returns the first break, nil when intact, and how many entries were checked.
func VerifyChain(t *testing.T, db custexport.Database) (*custexport.ChainBreak, int64) {
	t.Helper()
	v, brk, err := custexport.VerifyAccessLog(t.Context(), db, LogKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	return brk, v.Checked
}
