package exporter

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/csvfile"
	"github.com/custexport/custexport/internal/filetest"
	"github.com/custexport/custexport/internal/sample"
	"github.com/custexport/custexport/internal/sqlite"
)

func newEngine(t *testing.T) (*Engine, *sqlite.DB) {
	t.Helper()
	db := filetest.OpenSQLite(t)
	if err := db.InsertCustomers(context.Background(), sample.Customers()); err != nil {
		t.Fatal(err)
	}
	e := &Engine{
		Store: db, Leases: db, Log: db, Holder: "test", Location: sample.Prague,
		Encoders: map[custexport.Format]EncoderFunc{
			custexport.FormatCSV: func(w io.Writer, o custexport.EncodeOptions) custexport.Encoder { return csvfile.New(w, o) },
		},
	}
	return e, db
}

var partner = custexport.Principal{Kind: custexport.PrincipalPartner, ID: 7, Name: "Účetní"}

func request(p custexport.Principal) Request {
	return Request{Principal: p, Channel: custexport.ChannelURL, ClientIP: "192.0.2.1", UserAgent: "test",
		Options: custexport.ExportOptions{Format: custexport.FormatCSV, FormulaGuard: true,
			Filter: custexport.Filter{From: custexport.Date{Year: 2018, Month: 1, Day: 1}}}}
}

func outcomes(t *testing.T, db *sqlite.DB) []string {
	var out []string
	db.AccessEntries(context.Background(), time.Time{}, func(e *custexport.AccessEntry) error {
		out = append(out, string(e.Outcome)+":"+e.Principal.Key()+":"+e.Filter)
		return nil
	})
	return out
}

// blockingWriter holds the export at its first write until released, so a second export can
// be started while the first one surely runs.
type blockingWriter struct {
	started chan struct{}
	release chan struct{}
	buf     bytes.Buffer
}

func (w *blockingWriter) Write(p []byte) (int, error) {
	if w.started != nil {
		close(w.started)
		w.started = nil
		<-w.release
	}
	return w.buf.Write(p)
}

func TestRunOneAtATimePerPrincipal(t *testing.T) {
	e, db := newEngine(t)
	ctx := context.Background()
	w := &blockingWriter{started: make(chan struct{}), release: make(chan struct{})}
	started := w.started
	done := make(chan error, 1)
	go func() {
		_, err := e.Run(ctx, request(partner), w, nil)
		done <- err
	}()
	<-started
	_, err := e.Run(ctx, request(partner), io.Discard, nil)
	if custexport.ErrorCode(err) != custexport.CodeBusy {
		t.Fatalf("a second export of the same partner: %v, want CodeBusy", err)
	}
	other := custexport.Principal{Kind: custexport.PrincipalUser, ID: 1, Name: "admin"}
	if res, err := e.Run(ctx, request(other), io.Discard, nil); err != nil || res.Rows != 6 {
		t.Fatalf("another principal exports in parallel: rows %d, %v", res.Rows, err)
	}
	close(w.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := e.Run(ctx, request(partner), io.Discard, nil); err != nil {
		t.Fatalf("after the first export ended the slot is free: %v", err)
	}
	got := strings.Join(outcomes(t, db), " ")
	for _, want := range []string{"busy:partner:7:2018-01-01..", "served:user:1:", "served:partner:7:"} {
		if !strings.Contains(got, want) {
			t.Errorf("access log %q lacks %q", got, want)
		}
	}
	if strings.Count(got, "served:partner:7") != 2 {
		t.Errorf("access log %q: want two served exports of partner 7", got)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestRunLogsFailedAndAborted(t *testing.T) {
	e, db := newEngine(t)
	if _, err := e.Run(context.Background(), request(partner), failingWriter{}, nil); err == nil {
		t.Fatal("an export to a failing writer succeeded")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.Run(ctx, request(partner), io.Discard, nil); err == nil {
		t.Fatal("a cancelled export succeeded")
	}
	got := outcomes(t, db)
	// The failed export had started (its entry came before its first byte); the cancelled one
	// never got its slot.
	if len(got) != 3 || !strings.HasPrefix(got[0], "started:") || !strings.HasPrefix(got[1], "failed:") || !strings.HasPrefix(got[2], "aborted:") {
		t.Fatalf("access log %q, want started, failed, then aborted", got)
	}
	if _, err := e.Run(context.Background(), request(partner), io.Discard, nil); err != nil {
		t.Fatalf("failed and aborted exports must free the slot: %v", err)
	}
}

// The encoder learns how many customers the export's snapshot holds before the first one
// arrives: XLSX states each sheet's range (<dimension>) ahead of its rows.
func TestEncoderIsToldTheNumberOfRows(t *testing.T) {
	e, _ := newEngine(t)
	var announced []int64
	e.Encoders[custexport.FormatCSV] = func(w io.Writer, o custexport.EncodeOptions) custexport.Encoder {
		announced = append(announced, o.Rows)
		return csvfile.New(w, o)
	}
	for _, tc := range []struct {
		from custexport.Date
		want int64
	}{{custexport.Date{}, 7}, {custexport.Date{Year: 2018, Month: 1, Day: 1}, 6}, {custexport.Date{Year: 2030, Month: 1, Day: 1}, 0}} {
		announced = announced[:0]
		opts := custexport.ExportOptions{Format: custexport.FormatCSV, Filter: custexport.Filter{From: tc.from}}
		res, err := e.Export(context.Background(), opts, io.Discard, nil)
		if err != nil || res.Rows != tc.want || len(announced) != 1 || announced[0] != tc.want {
			t.Errorf("from %v: %d rows (%v), the encoder was told %v; want %d", tc.from, res.Rows, err, announced, tc.want)
		}
	}
}
