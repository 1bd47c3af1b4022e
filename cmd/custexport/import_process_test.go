package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// sqlite3CLI runs the sqlite3 command-line tool, a reader that shares no code with the store.
func sqlite3CLI(t *testing.T, db, sql string) string {
	t.Helper()
	out, err := exec.Command("sqlite3", db, sql).CombinedOutput()
	if err != nil {
		t.Fatalf("sqlite3 %s: %v\n%s", sql, err, out)
	}
	return strings.TrimSpace(string(out))
}

// editedExport seeds a data directory with n customers and returns it with the product's CSV
// export of the same customers, every phone changed: a file in which every row is an update.
// The change is made in a copy of the database, so the file is exactly what the export writes.
func editedExport(t *testing.T, bin string, n string) (dir, file string) {
	t.Helper()
	dir, other := t.TempDir(), t.TempDir()
	if out, err := exec.Command(bin, "seed", "--customers", n, "--data-dir", dir).CombinedOutput(); err != nil {
		t.Fatalf("seed: %v\n%s", err, out)
	}
	data, err := os.ReadFile(filepath.Join(dir, "custexport.db")) // seed checkpoints: the file is whole
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(other, "custexport.db"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	// The copy is the same shop: it needs the shop's master key.
	key, err := os.ReadFile(filepath.Join(dir, masterKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(other, masterKeyFile), key, 0o600); err != nil {
		t.Fatal(err)
	}
	sqlite3CLI(t, filepath.Join(other, "custexport.db"), `UPDATE customer SET phone = '#' || id`)
	file = filepath.Join(t.TempDir(), "edited.csv")
	if out, err := exec.Command(bin, "export", "--format", "csv", "--data-dir", other, "-o", file).CombinedOutput(); err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	return dir, file
}

// fifoImport is `custexport import` reading its file from a named pipe that the test fills:
// the import cannot end while the test holds the rest of the file back.
type fifoImport struct {
	cmd    *exec.Cmd
	w      *os.File
	out    bytes.Buffer
	exited chan error
}

func startFIFOImport(t *testing.T, bin, dir string) *fifoImport {
	t.Helper()
	fifo := filepath.Join(t.TempDir(), "import.csv")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	f := &fifoImport{cmd: exec.Command(bin, "import", fifo, "--data-dir", dir), exited: make(chan error, 1)}
	f.cmd.Stdout, f.cmd.Stderr = &f.out, &f.out
	if err := f.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { f.exited <- f.cmd.Wait() }()
	t.Cleanup(func() {
		f.cmd.Process.Kill()
		if f.w != nil {
			f.w.Close()
		}
	})
	opened := make(chan *os.File, 1)
	go func() {
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0) // returns once the child opened the pipe
		if err == nil {
			opened <- w
		}
	}()
	select {
	case f.w = <-opened:
	case err := <-f.exited:
		unblock, _ := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0)
		unblock.Close()
		t.Fatalf("the import ended before opening its file: %v\n%s", err, &f.out)
	}
	return f
}

// feed writes n bytes of r into the pipe (all of it when n < 0). A write to a pipe returns when the reader has taken
// all but the pipe's buffer (64 KiB): the import has read that far.
func (f *fifoImport) feed(t *testing.T, r io.Reader, n int64) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		var err error
		if n < 0 {
			_, err = io.Copy(f.w, r)
		} else {
			_, err = io.CopyN(f.w, r, n)
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case err := <-f.exited:
		t.Fatalf("the import ended while reading: %v\n%s", err, &f.out)
	}
}

// finish writes the rest of the file and waits for the import.
func (f *fifoImport) finish(t *testing.T, r io.Reader) (int, string) {
	t.Helper()
	f.feed(t, r, -1)
	f.w.Close()
	f.w = nil
	err := <-f.exited
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		t.Fatal(err)
	}
	return f.cmd.ProcessState.ExitCode(), f.out.String()
}

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

// An import process killed with SIGKILL in the middle of a 200,000-row file, its uncommitted
// changes already in the write-ahead log, leaves the database exactly as it was: the same
// content hash of every customer row (sqlite3 CLI), and a sound file.
func TestKilledImportLeavesDatabaseAsItWas(t *testing.T) {
	bin := custexportBinary(t)
	dir, file := editedExport(t, bin, "200000")
	db := filepath.Join(dir, "custexport.db")
	const hashSQL = `SELECT (SELECT count(*) FROM customer), hex(sha3_query('SELECT * FROM customer ORDER BY id'))`
	before := sqlite3CLI(t, db, hashSQL)

	imp := startFIFOImport(t, bin, dir)
	src, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	size := fileSize(file)
	// Three quarters of the file: the import has read far past the 64 KiB it reads before it
	// takes the write lock, and can never see the end of the file, so it cannot commit.
	imp.feed(t, src, size*3/4)
	// Its updates outgrow SQLite's page cache and are written to the WAL uncommitted; wait
	// until megabytes of them are on disk.
	wal := db + "-wal"
	if !waitUntil(60*time.Second, 10*time.Millisecond, func() bool { return fileSize(wal) >= 8<<20 }) {
		t.Fatalf("the WAL holds %d bytes after three quarters of the file; the import wrote nothing?\n%s", fileSize(wal), &imp.out)
	}
	if err := imp.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-imp.exited
	if ws, ok := imp.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("the import was not killed but ended: %v\n%s", imp.cmd.ProcessState, &imp.out)
	}
	walSize := fileSize(wal)

	if after := sqlite3CLI(t, db, hashSQL); after != before {
		t.Fatalf("the killed import changed the customers:\nbefore %s\nafter  %s", before, after)
	}
	if got := sqlite3CLI(t, db, `PRAGMA integrity_check`); got != "ok" {
		t.Fatalf("integrity_check after the kill: %s", got)
	}
	if got := sqlite3CLI(t, db, `SELECT count(*) FROM import_log`); got != "0" {
		t.Errorf("the killed import left %s log entries", got)
	}
	t.Logf("killed with %d MiB of uncommitted pages in the WAL; %s customers unchanged", walSize>>20, strings.SplitN(before, "|", 2)[0])
}

// Two `custexport import` processes with the same file: while the first holds its transaction,
// the second waits for the lock, then is refused (exit 3) having written nothing; the first
// then applies every row, and the same file again changes nothing.
func TestSecondCLIImportIsRefused(t *testing.T) {
	bin := custexportBinary(t)
	dir, file := editedExport(t, bin, "3000")
	db := filepath.Join(dir, "custexport.db")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) < 512<<10 {
		t.Fatalf("the file has %d bytes, too few to hold the first import inside its transaction", len(data))
	}
	first := startFIFOImport(t, bin, dir)
	rest := bytes.NewReader(data)
	first.feed(t, rest, int64(len(data)-1024)) // all but the last KiB: the first import holds the lock

	start := time.Now()
	out, err := exec.Command(bin, "import", file, "--data-dir", dir).CombinedOutput()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != exitBusy ||
		!strings.Contains(string(out), "refused, nothing was written: another import or write is running") {
		t.Fatalf("the second import: %v after %s\n%s\nwant exit 3, refused as busy", err, time.Since(start), out)
	}
	if got := sqlite3CLI(t, db, `SELECT count(*) FROM customer WHERE phone LIKE '#%'`); got != "0" {
		t.Fatalf("%s customers changed before the first import committed", got)
	}

	code, report := first.finish(t, rest)
	if code != exitOK || !strings.Contains(report, "rows:       3000\ncreated:    0\nupdated:    3000\nunchanged:  0\nskipped:    0\n") {
		t.Fatalf("the first import: exit %d\n%s", code, report)
	}
	out, err = exec.Command(bin, "import", file, "--data-dir", dir).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "updated:    0\nunchanged:  3000\n") {
		t.Fatalf("the same file again: %v\n%s", err, out)
	}
	if got := sqlite3CLI(t, db, `SELECT count(*) FROM customer WHERE phone LIKE '#%'`); got != "3000" {
		t.Fatalf("%s of 3000 customers have the new phone", got)
	}
	if got := sqlite3CLI(t, db, `SELECT group_concat(updated || '/' || unchanged) FROM import_log`); got != "3000/0,0/3000" {
		t.Errorf("import log: %s", got)
	}
}
