package csvimport_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/csvimport"
	"github.com/custexport/custexport/internal/sqlite"
)

// gateReader gives the file up to the gate, then says so on reached and waits for release
// before giving the rest: the import is held still in the middle of its transaction.
type gateReader struct {
	data    []byte
	gate    int
	off     int
	reached chan struct{}
	release chan struct{}
	once    sync.Once
}

func newGateReader(data []byte, gate int) *gateReader {
	return &gateReader{data: data, gate: gate, reached: make(chan struct{}), release: make(chan struct{})}
}

func (g *gateReader) Read(p []byte) (int, error) {
	if g.off == g.gate {
		g.once.Do(func() { close(g.reached) })
		<-g.release
	}
	if g.off == len(g.data) {
		return 0, io.EOF
	}
	end := len(g.data)
	if g.off < g.gate {
		end = g.gate
	}
	n := copy(p, g.data[g.off:end])
	g.off += n
	return n, nil
}

// phoneFile is a file changing the phone of every customer (guid;phone). An ignored column
// makes a file of few rows large enough that the gate below lies well past the part the import
// reads before its transaction (the 64 KiB it detects the encoding and delimiter from).
func phoneFile(t *testing.T, before map[string]custexport.Customer) []byte {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("guid;phone;padding\r\n")
	pad := strings.Repeat("x", max(0, (320<<10)/len(before)-60))
	for _, g := range guids(before) {
		b.WriteString(g + ";\"new " + g[:8] + "\";" + pad + "\r\n")
	}
	if b.Len() < 256<<10 {
		t.Fatalf("the file has only %d bytes", b.Len())
	}
	return b.Bytes()
}

// phases classifies the phones a read saw: how many old, how many new.
func phases(t *testing.T, before map[string]custexport.Customer, read func(fn func(*custexport.Customer) error) error) (old, new int) {
	t.Helper()
	err := read(func(c *custexport.Customer) error {
		switch c.Phone {
		case before[c.GUID].Phone:
			old++
		case "new " + c.GUID[:8]:
			new++
		default:
			t.Errorf("customer %s has phone %q, neither old nor new", c.GUID, c.Phone)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return old, new
}

// An export reads one snapshot: opened before the import, or while its transaction is open, it
// sees none of the import even when read after the commit; opened after, all of it. Above 8192
// rows a snapshot reads with two connections pinned together while holding the write lock for
// a moment; an import holding that lock makes it fall back to one connection, not wait.
func TestExportDuringImportSeesAllOrNothing(t *testing.T) {
	t.Parallel()
	db := openStore(t)
	seedStore(t, db, 8400)
	before := stored(t, db)
	n := len(before)
	file := phoneFile(t, before)
	ctx := context.Background()

	early, err := db.OpenSnapshot(ctx, custexport.SnapshotQuery{})
	if err != nil {
		t.Fatal(err)
	}
	defer early.Close()

	gate := newGateReader(file, len(file)/2)
	done := make(chan error, 1)
	rec := &custexport.ImportRecord{}
	go func() { done <- csvimport.Run(ctx, db, gate, csvimport.Options{Location: prague}, rec) }()
	<-gate.reached // the transaction is open and has updated at least the first half's rows but a buffer

	during, err := db.OpenSnapshot(ctx, custexport.SnapshotQuery{})
	if err != nil {
		t.Fatal(err)
	}
	defer during.Close()
	if old, new := phases(t, before, during.Each); old != n || new != 0 {
		t.Fatalf("a snapshot taken during the import saw %d old and %d new phones, want all %d old", old, new, n)
	}
	// A whole export through the engine, as a download would run it.
	csvDuring := exportCSV(t, db, custexport.EncodingUTF8, true)

	close(gate.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	wantCounts(t, rec, int64(n), 0, int64(n), 0, 0)

	if old, new := phases(t, before, early.Each); old != n || new != 0 {
		t.Errorf("a snapshot taken before the import, read after it, saw %d old and %d new", old, new)
	}
	after, err := db.OpenSnapshot(ctx, custexport.SnapshotQuery{})
	if err != nil {
		t.Fatal(err)
	}
	defer after.Close()
	if old, new := phases(t, before, after.Each); old != 0 || new != n {
		t.Errorf("a snapshot taken after the import saw %d old and %d new, want all %d new", old, new, n)
	}
	if old := strings.Count(string(csvDuring), "\"new "); old != 0 {
		t.Errorf("an export during the import has %d new phones", old)
	}
}

// The same file imported twice at once through two handles on the database, as two processes
// would: the second waits for the first's transaction and then finds nothing to change, or,
// when it gives up waiting, is refused with CodeBusy having written nothing. Never half.
func TestSameFileTwiceConcurrently(t *testing.T) {
	first := openStore(t)
	seedStore(t, first, 300)
	before := stored(t, first)
	second, err := sqlite.Open(context.Background(), first.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	file := append(phoneFile(t, before), "\"\";\"+420 1\"\r\n"...) // and a row without guid: skipped, no email
	rows := make([][]string, 0, 3)
	rows = append(rows, []string{"email", "billingFullName"}, []string{"nova@example.cz", "Nová"})
	createFile := formatCSV(rows, exportStyle)

	// One import held in its transaction.
	gate := newGateReader(file, len(file)/2)
	done := make(chan error, 1)
	rec1 := &custexport.ImportRecord{}
	go func() {
		done <- csvimport.Run(context.Background(), first, gate, csvimport.Options{Location: prague}, rec1)
	}()
	<-gate.reached

	t.Run("GivesUp", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		rec := &custexport.ImportRecord{}
		err := csvimport.Run(ctx, second, bytes.NewReader(file), csvimport.Options{Location: prague}, rec)
		if custexport.ErrorCode(err) != custexport.CodeBusy || !strings.Contains(err.Error(), "another import or write is running") {
			t.Fatalf("a second import while the first holds the database: %v (code %q), want CodeBusy", err, custexport.ErrorCode(err))
		}
		if rec.Created+rec.Updated+rec.Unchanged != 0 {
			t.Errorf("a refused import reports %s", counts(rec))
		}
	})

	// Imports that wait: started while the first holds the lock, they can only run after the
	// first's commit.
	inBackground := func(data []byte) <-chan *custexport.ImportRecord {
		rec := make(chan *custexport.ImportRecord, 1)
		go func() {
			r, err := importFile(second, data, csvimport.Options{})
			if err != nil {
				t.Error(err)
			}
			rec <- r
		}()
		return rec
	}
	waited := inBackground(file)
	created := inBackground(createFile)
	close(gate.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	n := int64(len(before))
	wantCounts(t, rec1, n+1, 0, n, 0, 1)
	wantCounts(t, <-waited, n+1, 0, 0, n, 1)
	wantCounts(t, <-created, 1, 1, 0, 0, 0)
	after := stored(t, first)
	if len(after) != len(before)+1 {
		t.Fatalf("%d customers after, want %d", len(after), len(before)+1)
	}
	for g, c := range before {
		if after[g].Phone != "new "+g[:8] {
			t.Fatalf("customer %s phone %q after both imports (was %q)", g, after[g].Phone, c.Phone)
		}
	}
	// The same creating file again: the e-mail is taken now.
	rec := mustImport(t, first, createFile, csvimport.Options{})
	wantCounts(t, rec, 1, 0, 0, 0, 1)
	if !strings.Contains(rec.SkippedRows[0].Reason, "already registered") {
		t.Errorf("second creation skipped with %q", rec.SkippedRows[0].Reason)
	}
}

// An import whose context ends in the middle of its transaction (a client gone, Ctrl-C) writes
// nothing and leaves the database free: the next import runs at once on the same handle.
func TestCancelledImportWritesNothing(t *testing.T) {
	db := openStore(t)
	seedStore(t, db, 300)
	before := stored(t, db)
	file := phoneFile(t, before)
	ctx, cancel := context.WithCancel(context.Background())
	gate := newGateReader(file, len(file)/2)
	done := make(chan error, 1)
	rec := &custexport.ImportRecord{}
	go func() { done <- csvimport.Run(ctx, db, gate, csvimport.Options{Location: prague}, rec) }()
	<-gate.reached
	cancel()
	close(gate.release)
	if err := <-done; err == nil {
		t.Fatal("a cancelled import succeeded")
	}
	if rec.Created+rec.Updated+rec.Unchanged != 0 {
		t.Errorf("a cancelled import reports %s", counts(rec))
	}
	if d := changes(before, stored(t, db)); len(d) > 0 {
		t.Fatalf("a cancelled import changed %d values", len(d))
	}
	for range 3 { // every pooled connection is free of the cancelled transaction
		quick, stop := context.WithTimeout(context.Background(), 5*time.Second)
		err := csvimport.Run(quick, db, bytes.NewReader(formatCSV([][]string{{"guid", "phone"}, {guids(before)[0], "1"}}, exportStyle)), csvimport.Options{}, &custexport.ImportRecord{})
		stop()
		if err != nil {
			t.Fatalf("the import after a cancelled one: %v", err)
		}
	}
	if d := changedFields(before, stored(t, db)); len(d) != 1 {
		t.Fatalf("changed %v, want one phone", d)
	}
}
