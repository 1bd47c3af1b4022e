package atomicfile

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// names lists the directory's entries.
func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var list []string
	for _, e := range entries {
		list = append(list, e.Name())
	}
	return list
}

// A file larger than a few write-back steps, written in odd-sized pieces, arrives whole, with or
// without the sync, and only under its name.
func TestCommitPublishesTheWholeFile(t *testing.T) {
	for _, opts := range []Options{{}, {NoSync: true}} {
		dir := t.TempDir()
		target := filepath.Join(dir, "customers.xml")
		f, err := Create(target, ".partial", opts)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Discard()
		if !strings.HasPrefix(filepath.Base(f.Name()), ".customers.xml.") || !strings.HasSuffix(f.Name(), ".partial") {
			t.Errorf("temporary name %s, want .customers.xml.*.partial", f.Name())
		}
		var want bytes.Buffer
		piece := bytes.Repeat([]byte("<customer>ř😀</customer>\n"), 40_000) // about 1.2 MiB
		for i := 0; i < 3*writebackEvery/len(piece)+2; i++ {
			piece[0] = byte('a' + i%26)
			want.Write(piece)
			if _, err := f.Write(piece); err != nil {
				t.Fatal(err)
			}
		}
		if got := names(t, dir); len(got) != 1 || got[0] != filepath.Base(f.Name()) {
			t.Errorf("before Commit the directory holds %v, want only the temporary file", got)
		}
		if err := f.Commit(); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(target)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("NoSync %v: the file has %d bytes, want the %d written", opts.NoSync, len(got), want.Len())
		}
		if got := names(t, dir); len(got) != 1 || got[0] != "customers.xml" {
			t.Errorf("after Commit the directory holds %v, want only customers.xml", got)
		}
		if info, err := os.Stat(target); err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("mode %v (%v), want 0600: the files hold customer data", info.Mode().Perm(), err)
		}
		if err := f.Commit(); err == nil {
			t.Error("a second Commit succeeded")
		}
	}
}

// Discard leaves nothing, and an existing file of the same name keeps its content.
func TestDiscardLeavesTheTargetAlone(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "c.csv")
	if err := os.WriteFile(target, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := Create(target, ".partial", Options{})
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("new, half written"))
	f.Discard()
	f.Discard() // twice is fine
	if got := names(t, dir); len(got) != 1 || got[0] != "c.csv" {
		t.Errorf("the directory holds %v, want only c.csv", got)
	}
	if b, _ := os.ReadFile(target); string(b) != "old" {
		t.Errorf("c.csv holds %q, want the old content", b)
	}
	if err := f.Commit(); err == nil {
		t.Error("Commit after Discard succeeded")
	}
}

// A failed write makes Commit fail, naming the target, and removes the temporary file.
func TestCommitAfterAFailedWrite(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "c.xlsx")
	f, err := Create(target, ".partial", Options{})
	if err != nil {
		t.Fatal(err)
	}
	f.tmp.Close() // the next write fails as a full disk would
	if _, err := f.Write([]byte("rows")); err == nil {
		t.Fatal("write to a closed file succeeded")
	}
	err = f.Commit()
	if err == nil || !strings.Contains(err.Error(), target) || !errors.Is(err, os.ErrClosed) {
		t.Errorf("Commit: %v, want the write's error naming %s", err, target)
	}
	if got := names(t, dir); len(got) != 0 {
		t.Errorf("the directory holds %v, want nothing", got)
	}
}

// A directory that cannot be written is refused at Create.
func TestCreateInAMissingDirectory(t *testing.T) {
	if _, err := Create(filepath.Join(t.TempDir(), "missing", "c.csv"), ".partial", Options{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Create: %v, want not exist", err)
	}
}
