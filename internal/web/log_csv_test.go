package web

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/logformat"
)

// The admin's "Stáhnout jako CSV" is the access log rendered by the one renderer that
// `custexport log --format csv` uses: the same bytes for the same entries, with a hostile user
// agent escaped and guarded.
func TestAccessLogCSVIsTheSharedRenderer(t *testing.T) {
	af, c := signedIn(t, 10)
	ctx := context.Background()
	evil := "=HYPERLINK(\"http://x\")\r\n2099-01-01\x1b[2J"
	if err := af.db.AppendAccess(ctx, &custexport.AccessEntry{At: time.Now(), Principal: custexport.Principal{Kind: custexport.PrincipalPartner, ID: 9, Name: "-Sklad"},
		Channel: custexport.ChannelURL, ClientIP: "192.0.2.1", UserAgent: evil, Format: custexport.FormatCSV, Outcome: custexport.OutcomeDenied, Reason: "hash missing"}); err != nil {
		t.Fatal(err)
	}

	resp, body := af.do(c, http.MethodGet, "/customers/export/log?format=csv", nil)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV download: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var want bytes.Buffer
	out := logformat.NewCSV(&want, af.admin.Location)
	err := af.db.QueryAccess(ctx, custexport.AccessQuery{}, out.Entry)
	if closeErr := out.Close(); err != nil || closeErr != nil {
		t.Fatal(err, closeErr)
	}
	if body != want.String() {
		t.Errorf("admin CSV differs from the shared renderer's:\n%s\nwant:\n%s", body, want.String())
	}
	if strings.Contains(body, "\x1b") || strings.Contains(body, "\r\n2099") || !strings.Contains(body, `'-Sklad`) {
		t.Errorf("the hostile entry is not escaped and guarded:\n%s", body)
	}
}
