package web

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/linksign"
	"github.com/custexport/custexport/internal/sample"
	"github.com/custexport/custexport/internal/sqlite"
)

// Revoking a partner stops its running download at the next heartbeat (issue 16 item 7):
// regenerate, delete and expiry each end a download whose client reads slowly (here: not at
// all after the headers) as aborted, "partner revoked", long before the stall timeout; the
// next request with the old link is refused.
func TestRevocationStopsRunningDownload(t *testing.T) {
	operator := custexport.Principal{Kind: custexport.PrincipalOperator, Name: "test"}
	for _, tc := range []struct {
		name   string
		before func(t *testing.T, f *fixture)
		revoke func(t *testing.T, f *fixture, now *atomic.Int64)
		why    string
	}{
		{name: "Regenerate", why: "regenerated", revoke: func(t *testing.T, f *fixture, _ *atomic.Int64) {
			salt, _ := linksign.NewSalt()
			if err := f.db.RegeneratePartner(t.Context(), f.partner.ID, salt, operator); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "Delete", why: "deleted", revoke: func(t *testing.T, f *fixture, _ *atomic.Int64) {
			if err := f.db.DeletePartner(t.Context(), f.partner.ID, operator); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "Expiry", why: "expired",
			before: func(t *testing.T, f *fixture) {
				y, m, d := time.Now().In(sample.Prague).Date()
				today := custexport.Date{Year: y, Month: m, Day: d}
				if err := f.db.SetPartnerValidUntil(t.Context(), f.partner.ID, today, operator); err != nil {
					t.Fatal(err)
				}
			},
			// The end of the valid-until day passes on the engine's clock.
			revoke: func(t *testing.T, f *fixture, now *atomic.Int64) { now.Add(int64(48 * time.Hour)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var skew atomic.Int64
			f := startFixture(t, 5000, func(s *Server, db *sqlite.DB) {
				s.Engine.Partners = db
				s.Engine.LeaseTTL = 3 * time.Second // a heartbeat every second; short renewal windows flake on a loaded machine
				s.Engine.Now = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
			})
			if tc.before != nil {
				tc.before(t, f)
			}
			conn := f.dial()
			req := "GET " + strings.TrimPrefix(f.link(f.partner, "customers.xml", nil), f.srv.URL) + " HTTP/1.1\r\nHost: x\r\n\r\n"
			if _, err := conn.Write([]byte(req)); err != nil {
				t.Fatal(err)
			}
			head := make([]byte, 12)
			if _, err := conn.Read(head); err != nil || !strings.HasPrefix(string(head), "HTTP/1.1 200") {
				t.Fatalf("download answered %q, %v", head, err)
			}
			// The client reads no more: the export is held in a write to it.
			tc.revoke(t, f, &skew)
			f.waitForExports(30 * time.Second) // far below the stall timeout
			var got *custexport.AccessEntry
			f.db.AccessEntries(context.Background(), time.Time{}, func(e *custexport.AccessEntry) error {
				if e.Principal.Kind == custexport.PrincipalPartner && e.Outcome != custexport.OutcomeStarted {
					c := *e
					got = &c
				}
				return nil
			})
			if got == nil || got.Outcome != custexport.OutcomeAborted || !strings.Contains(got.Reason, "partner revoked") || !strings.Contains(got.Reason, tc.why) {
				t.Fatalf("the revoked download's entry: %+v; want aborted, partner revoked (%s)", got, tc.why)
			}
			if got.Rows >= 5000 {
				t.Fatalf("the revoked download wrote all its %d rows", got.Rows)
			}
			// (Expiry moved only the engine's clock; the link itself expires at the day's end.)
			if tc.name != "Expiry" {
				if again, _ := f.get(f.link(f.partner, "customers.xml", nil)); again.StatusCode != 403 {
					t.Fatalf("the next request with the revoked link got %d, want 403", again.StatusCode)
				}
			}
		})
	}
}
