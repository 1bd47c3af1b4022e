package dirfiles

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/custexport/custexport/internal/exporter"
	"github.com/custexport/custexport/internal/filetest"
)

var _ exporter.FileStore = (*Store)(nil)

func content(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

// Put makes the missing directory (0700), and the file reads back with its size; while it is
// written only a .part file exists.
func TestPutAndOpen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "jobs")
	s := New(dir)
	ctx := context.Background()
	data := content(3<<20 + 17)
	err := s.Put(ctx, "job-1.csv", func(w io.Writer) error {
		if _, err := w.Write(data[:1000]); err != nil {
			return err
		}
		if _, _, err := s.Open(ctx, "job-1.csv"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("the file is visible while written: %v", err)
		}
		if n := filetest.Names(t, dir); len(n) != 1 || filepath.Ext(n[0]) != ".part" {
			t.Errorf("while writing the directory holds %v, want one .part file", n)
		}
		_, err := w.Write(data[1000:])
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(dir); err != nil || (runtime.GOOS != "windows" && info.Mode().Perm() != 0o700) {
		t.Fatalf("the directory: %v %v, want mode 0700", info.Mode(), err)
	}
	if n := filetest.Names(t, dir); len(n) != 1 || n[0] != "job-1.csv" {
		t.Fatalf("the directory holds %v, want job-1.csv only", n)
	}
	r, size, err := s.Open(ctx, "job-1.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, err := io.ReadAll(r)
	if err != nil || size != int64(len(data)) || !bytes.Equal(got, data) {
		t.Fatalf("size %d, read %d bytes (%v); want %d equal bytes", size, len(got), err, len(data))
	}
}

// A failed write, a cancelled context or a panic leaves nothing behind.
func TestFailedPutLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	s := New(dir)
	boom := errors.New("the database went away")
	if err := s.Put(context.Background(), "job-2.csv", func(w io.Writer) error {
		w.Write(content(1000))
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("Put: %v, want the write's error", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := s.Put(ctx, "job-3.csv", func(w io.Writer) error {
		w.Write(content(1000))
		cancel()
		return nil
	}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Put with a cancelled context: %v", err)
	}
	func() {
		defer func() { recover() }()
		s.Put(context.Background(), "job-4.csv", func(w io.Writer) error {
			w.Write(content(1000))
			panic("encoder bug")
		})
	}()
	if n := filetest.Names(t, dir); len(n) != 0 {
		t.Fatalf("left behind: %v", n)
	}
}

// Open of a missing file is fs.ErrNotExist; Remove deletes and a second Remove is no error;
// names that are not plain file names are refused.
func TestOpenMissingAndRemove(t *testing.T) {
	dir := t.TempDir()
	s := New(dir)
	ctx := context.Background()
	if _, _, err := s.Open(ctx, "job-404.csv"); !errors.Is(err, fs.ErrNotExist) || !os.IsNotExist(err) {
		t.Fatalf("open of a missing file: %v", err)
	}
	if err := s.Put(ctx, "job-5.csv", func(w io.Writer) error { _, err := w.Write([]byte("x")); return err }); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(ctx, "job-5.csv"); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(ctx, "job-5.csv"); err != nil {
		t.Fatalf("second remove: %v", err)
	}
	if n := filetest.Names(t, dir); len(n) != 0 {
		t.Fatalf("left behind: %v", n)
	}
	os.WriteFile(filepath.Join(filepath.Dir(dir), "outside.csv"), []byte("secret"), 0o600)
	for _, bad := range []string{"", "../outside.csv", "a/b", `a\b`, ".hidden", "job-1.csv.123.part"} {
		if _, _, err := s.Open(ctx, bad); err == nil || errors.Is(err, fs.ErrNotExist) {
			t.Errorf("open %q: %v, want an invalid-name error", bad, err)
		}
		if err := s.Put(ctx, bad, func(io.Writer) error { return nil }); err == nil {
			t.Errorf("put %q accepted", bad)
		}
	}
}

// CleanPartial deletes old .part files only; a missing directory is nothing to clean.
func TestCleanPartial(t *testing.T) {
	if err := New(filepath.Join(t.TempDir(), "none")).CleanPartial(context.Background(), time.Now()); err != nil {
		t.Fatalf("missing directory: %v", err)
	}
	dir := t.TempDir()
	s := New(dir)
	old := time.Now().Add(-48 * time.Hour)
	for _, name := range []string{"job-1.csv.1.part", "job-2.csv.2.part", "job-3.csv"} {
		path := filepath.Join(dir, name)
		os.WriteFile(path, []byte("x"), 0o600)
		if name != "job-2.csv.2.part" {
			os.Chtimes(path, old, old)
		}
	}
	if err := s.CleanPartial(context.Background(), time.Now().Add(-24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n := filetest.Names(t, dir); len(n) != 2 || n[0] != "job-2.csv.2.part" || n[1] != "job-3.csv" {
		t.Fatalf("after cleaning: %v, want the recent .part file and the finished file", n)
	}
}

// RemovePartial deletes the temporary files of one name's Puts (a dead admin job's) and only
// those: another name's, and finished files, stay.
func TestRemovePartial(t *testing.T) {
	dir := t.TempDir()
	s := New(dir)
	for _, name := range []string{".job-8.csv.123.part", ".job-80.csv.456.part", "job-8.csv"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RemovePartial(context.Background(), "job-8.csv"); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if strings.Join(left, ",") != ".job-80.csv.456.part,job-8.csv" {
		t.Fatalf("left %v; want the other job's partial file and the finished file", left)
	}
	if err := s.RemovePartial(context.Background(), "../x"); err == nil {
		t.Fatal("an invalid name was accepted")
	}
}
