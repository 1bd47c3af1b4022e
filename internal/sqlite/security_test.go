package sqlite

import (
	"strings"
	"testing"
	"time"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/storetest"
)

// The chain catches an entry altered or removed behind the store's back (here with SQL; the
// contract's chain tests are in internal/storetest).
func TestAccessLogTamperingIsDetected(t *testing.T) {
	db := openTemp(t)
	storetest.FillAccessLog(t, db)
	verify := func() *custexport.ChainBreak {
		brk, _ := storetest.VerifyChain(t, db)
		return brk
	}
	if brk := verify(); brk != nil {
		t.Fatalf("an untouched log fails at %d: %s", brk.ID, brk.Reason)
	}
	if _, err := db.sql.Exec(`UPDATE access_log SET rows = 999 WHERE id = 2`); err != nil {
		t.Fatal(err)
	}
	if brk := verify(); brk == nil || brk.ID != 2 || !strings.Contains(brk.Reason, "altered") {
		t.Fatalf("altering entry 2 gave %+v, want a break at 2", brk)
	}
	db.sql.Exec(`UPDATE access_log SET rows = 10 WHERE id = 2`)
	if _, err := db.sql.Exec(`DELETE FROM access_log WHERE id = 3`); err != nil {
		t.Fatal(err)
	}
	if brk := verify(); brk == nil || brk.ID != 4 || !strings.Contains(brk.Reason, "removed") {
		t.Fatalf("removing entry 3 gave %+v, want a break at 4", brk)
	}
}

// Every attack on the log's chain of issue 16 is caught (storetest.RunTampering).
func TestAccessLogTampering(t *testing.T) {
	storetest.RunTampering(t, func(t *testing.T) (custexport.Database, storetest.Exec) {
		db := openTemp(t)
		return db, func(t *testing.T, query string) {
			t.Helper()
			if _, err := db.sql.Exec(query); err != nil {
				t.Fatalf("%s: %v", query, err)
			}
		}
	})
}

// Not a store test, kept here from before the conformance suite: a partner's links work until
// the end of its valid-until day in shop time.
func TestPartnerActiveUntilEndOfDay(t *testing.T) {
	p := custexport.Partner{ValidUntil: custexport.Date{Year: 2026, Month: 3, Day: 31}}
	prague, _ := time.LoadLocation("Europe/Prague")
	if !p.ActiveAt(time.Date(2026, 3, 31, 23, 59, 59, 0, prague), prague) || p.ActiveAt(time.Date(2026, 4, 1, 0, 0, 0, 0, prague), prague) {
		t.Fatal("a partner's links work until the end of its valid-until day in shop time, not longer")
	}
}
