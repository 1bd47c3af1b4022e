package sqlite

import (
	"strings"
	"testing"
	"time"

	"github.com/custexport/custexport"
)

var operator = custexport.Principal{Kind: custexport.PrincipalOperator, Name: "root"}

// The chain catches an entry altered or removed behind the store's back (here with SQL; the
// contract's chain tests are in internal/storetest).
func TestAccessLogTamperingIsDetected(t *testing.T) {
	db := openTemp(t)
	ctx := t.Context()
	for i, outcome := range []custexport.Outcome{custexport.OutcomeServed, custexport.OutcomeDenied, custexport.OutcomeBusy} {
		e := &custexport.AccessEntry{
			Principal: custexport.Principal{Kind: custexport.PrincipalPartner, ID: 7, Name: "Účetní"},
			Channel:   custexport.ChannelURL, ClientIP: "192.0.2.1", UserAgent: "curl/8\r\nX-Injected: 1",
			Format: custexport.FormatCSV, Outcome: outcome, Reason: "r" + string(rune('0'+i)), Rows: int64(i * 10),
		}
		if err := db.AppendAccess(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	p := &custexport.Partner{Name: "Sklad", LinkSalt: []byte("salt")}
	if err := db.CreatePartner(ctx, p, operator); err != nil {
		t.Fatal(err)
	}
	verify := func() *custexport.ChainBreak {
		var v custexport.ChainVerifier
		var brk *custexport.ChainBreak
		err := db.AccessEntries(ctx, time.Time{}, func(e *custexport.AccessEntry) error {
			if brk == nil {
				brk = v.Check(e)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
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

// Not a store test, kept here from before the conformance suite: a partner's links work until
// the end of its valid-until day in shop time.
func TestPartnerActiveUntilEndOfDay(t *testing.T) {
	p := custexport.Partner{ValidUntil: custexport.Date{Year: 2026, Month: 3, Day: 31}}
	prague, _ := time.LoadLocation("Europe/Prague")
	if !p.ActiveAt(time.Date(2026, 3, 31, 23, 59, 59, 0, prague), prague) || p.ActiveAt(time.Date(2026, 4, 1, 0, 0, 0, 0, prague), prague) {
		t.Fatal("a partner's links work until the end of its valid-until day in shop time, not longer")
	}
}
