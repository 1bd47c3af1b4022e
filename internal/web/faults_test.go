package web

import (
	"database/sql"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/custexport/custexport"
	_ "github.com/ncruces/go-sqlite3/driver"
)

// A client that starts a download and then stops reading, keeping its connection open, is cut
// off after stallTimeout: its slot is free again and the attempt is logged as ended early.
// The test waits for the download's end itself (WaitForExports), not for a poll to see the slot
// free. The stall timeout is shortened, but kept well above the time a loaded machine needs to
// send the first bytes: the write deadline is set before them, and a deadline that passed first
// would fail the download before its headers, not test the stall.
func TestStalledClientIsCutOff(t *testing.T) {
	stallTimeout = 2 * time.Second
	defer func() { stallTimeout = 60 * time.Second }()
	f := newFixture(t, 20000)
	link := f.link(f.partner, "customers.xml", nil)
	started := time.Now()
	conn, resp := openSlowDownload(t, link) // never read on
	defer conn.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("first download: %d", resp.StatusCode)
	}
	if second, _ := f.get(link); second.StatusCode != 429 && second.StatusCode != 200 {
		t.Fatalf("while the first client stalls: %d, want 429 (or 200 once it was cut off)", second.StatusCode)
	}
	f.waitForExports(20 * time.Second)
	// The deadline was set after started, so the cut-off cannot come sooner; sooner would mean
	// something else than the stall timeout ended the download.
	if took := time.Since(started); took < stallTimeout {
		t.Fatalf("the stalled download ended after %s, before the stall timeout of %s", took, stallTimeout)
	}
	if second, _ := f.get(link); second.StatusCode != 200 {
		t.Fatalf("after the stalled download was cut off: %d; the slot was never freed", second.StatusCode)
	}
	var first *custexport.AccessEntry
	f.db.AccessEntries(t.Context(), time.Time{}, func(e *custexport.AccessEntry) error {
		if first == nil && e.Principal.Kind == custexport.PrincipalPartner && e.Outcome != custexport.OutcomeBusy && e.Outcome != custexport.OutcomeStarted {
			c := *e
			first = &c
		}
		return nil
	})
	if first == nil || (first.Outcome != custexport.OutcomeAborted && first.Outcome != custexport.OutcomeFailed) {
		t.Fatalf("the stalled download's log entry: %+v, want aborted or failed", first)
	}
}

// A failure before the first row (a damaged stored value) is answered 500, in every format:
// nothing of the file, not even its header, has gone out.
func TestFailureBeforeFirstRowIs500(t *testing.T) {
	f := newFixture(t, 20)
	raw, err := sql.Open("sqlite3", "file:"+f.db.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`UPDATE customer SET birth_date = 'garbage'
		WHERE rowid = (SELECT rowid FROM customer ORDER BY registration_date, guid LIMIT 1)`); err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{"customers.csv", "customers.xml", "customers.xlsx"} {
		resp, err := http.Get(f.link(f.partner, file, nil))
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusInternalServerError {
			t.Errorf("%s with a damaged first row: %d, want 500", file, resp.StatusCode)
		}
		if e := f.lastLog(); e.Outcome != custexport.OutcomeFailed {
			t.Errorf("%s: logged %s, want failed", file, e.Outcome)
		}
	}
}
