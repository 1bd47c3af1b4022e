package atomicfile

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/custexport/custexport/internal/filetest"
)

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
		if got := filetest.Names(t, dir); len(got) != 1 || got[0] != filepath.Base(f.Name()) {
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
		if got := filetest.Names(t, dir); len(got) != 1 || got[0] != "customers.xml" {
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
	if got := filetest.Names(t, dir); len(got) != 1 || got[0] != "c.csv" {
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
	f.file.Close() // the next write fails as a full disk would
	if _, err := f.Write([]byte("rows")); err == nil {
		t.Fatal("write to a closed file succeeded")
	}
	err = f.Commit()
	if err == nil || !strings.Contains(err.Error(), target) || !errors.Is(err, os.ErrClosed) {
		t.Errorf("Commit: %v, want the write's error naming %s", err, target)
	}
	if got := filetest.Names(t, dir); len(got) != 0 {
		t.Errorf("the directory holds %v, want nothing", got)
	}
}

// A directory that cannot be written is refused at Create.
func TestCreateInAMissingDirectory(t *testing.T) {
	if _, err := Create(filepath.Join(t.TempDir(), "missing", "c.csv"), ".partial", Options{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Create: %v, want not exist", err)
	}
}

// write creates target through Create, writes content and commits.
func write(t *testing.T, target, content string) {
	t.Helper()
	f, err := Create(target, ".partial", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Discard()
	if _, err := f.Write([]byte(content)); err != nil {
		t.Fatal(err)
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
}

// modeOf is the mode of what is at path, not following a link; ModeIrregular if nothing is.
func modeOf(path string) os.FileMode {
	info, err := os.Lstat(path)
	if err != nil {
		return os.ModeIrregular
	}
	return info.Mode()
}

// isLinkTo fails the test unless path is still a symbolic link to want.
func isLinkTo(t *testing.T, path, want string) {
	t.Helper()
	got, err := os.Readlink(path)
	if err != nil || got != want {
		t.Errorf("%s: link to %q (%v), want it still a link to %q", path, got, err, want)
	}
}

// A symbolic link is followed: the file it names is replaced through a temporary file in that
// file's directory, and the link stays. Relative targets are read from the link's directory,
// through a chain of links, and a link to a file not there yet creates the file.
func TestCreateFollowsSymbolicLinks(t *testing.T) {
	root := t.TempDir()
	links, files := filepath.Join(root, "links"), filepath.Join(root, "files")
	for _, dir := range []string{links, files} {
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(files, "c.csv"), []byte("yesterday"), 0o644)
	os.Symlink("../files/c.csv", filepath.Join(links, "relative"))
	os.Symlink(filepath.Join(files, "c.csv"), filepath.Join(links, "absolute"))
	os.Symlink("relative", filepath.Join(links, "chain"))
	os.Symlink("../files/new.csv", filepath.Join(links, "dangling"))
	os.Symlink("dangling", filepath.Join(links, "dangling-chain"))

	for _, tc := range []struct{ link, target, file string }{
		{"relative", "../files/c.csv", "c.csv"},
		{"absolute", filepath.Join(files, "c.csv"), "c.csv"},
		{"chain", "relative", "c.csv"},
		{"dangling", "../files/new.csv", "new.csv"},
		{"dangling-chain", "dangling", "new.csv"},
	} {
		content := "exported through " + tc.link
		write(t, filepath.Join(links, tc.link), content)
		isLinkTo(t, filepath.Join(links, tc.link), tc.target)
		b, err := os.ReadFile(filepath.Join(files, tc.file))
		if err != nil || string(b) != content {
			t.Errorf("%s: %s holds %q (%v), want %q", tc.link, tc.file, b, err, content)
		}
		if mode := modeOf(filepath.Join(files, tc.file)); mode != 0o600 {
			t.Errorf("%s: %s has mode %v, want a regular file 0600", tc.link, tc.file, mode)
		}
	}
	if got := filetest.Names(t, files); len(got) != 2 {
		t.Errorf("the target directory holds %v, want c.csv and new.csv only", got)
	}
	if got := filetest.Names(t, links); len(got) != 5 {
		t.Errorf("the link directory holds %v, want the five links only", got)
	}
}

// Discard through a link leaves the link and its target as they were.
func TestDiscardThroughALink(t *testing.T) {
	dir := t.TempDir()
	target, link := filepath.Join(dir, "c.csv"), filepath.Join(dir, "link")
	os.WriteFile(target, []byte("old"), 0o600)
	os.Symlink("c.csv", link)
	f, err := Create(link, ".partial", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(filepath.Base(f.Name()), ".c.csv.") {
		t.Errorf("temporary name %s, want it named after the link's target", f.Name())
	}
	f.Write([]byte("new"))
	f.Discard()
	isLinkTo(t, link, "c.csv")
	if b, _ := os.ReadFile(target); string(b) != "old" {
		t.Errorf("c.csv holds %q, want the old content", b)
	}
	if got := filetest.Names(t, dir); len(got) != 2 {
		t.Errorf("the directory holds %v, want c.csv and link only", got)
	}
}

// A directory, directly or through a link, is refused with an error naming the path; a loop of
// links is refused too. Nothing is written anywhere.
func TestCreateRefusals(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "exports")
	os.Mkdir(sub, 0o700)
	os.Symlink("exports", filepath.Join(dir, "to-dir"))
	os.Symlink("loop-b", filepath.Join(dir, "loop-a"))
	os.Symlink("loop-a", filepath.Join(dir, "loop-b"))
	for _, tc := range []struct {
		path string
		want error
	}{
		{sub, syscall.EISDIR},
		{filepath.Join(dir, "to-dir"), syscall.EISDIR},
		{filepath.Join(dir, "loop-a"), syscall.ELOOP},
	} {
		f, err := Create(tc.path, ".partial", Options{})
		if err == nil {
			f.Discard()
		}
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.path) {
			t.Errorf("Create(%s): %v, want %v naming the path", tc.path, err, tc.want)
		}
	}
	if got := filetest.Names(t, sub); len(got) != 0 {
		t.Errorf("the refused directory holds %v", got)
	}
	if got := filetest.Names(t, dir); len(got) != 4 {
		t.Errorf("the directory holds %v, want only what the test made", got)
	}
}
