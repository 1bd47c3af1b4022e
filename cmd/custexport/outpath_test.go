//go:build linux

package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/custexport/custexport/internal/filetest"
)

// outPathCLI is a seeded data directory and the CSV export it gives on standard output, which
// every -o destination must receive byte for byte.
func outPathCLI(t *testing.T) (*cli, []byte) {
	c := newCLI(t)
	c.mustRun("seed", "--customers", "2000", "--seed", "3")
	out, _ := c.mustRun("export", "--format", "csv")
	if len(out) < 1<<17 {
		t.Fatalf("the export has %d bytes, want more than a pipe holds", len(out))
	}
	return c, []byte(out)
}

// dirHolds fails the test unless dir holds exactly the given names, in ReadDir's sorted order:
// nothing was left or replaced beside them.
func dirHolds(t *testing.T, dir string, want ...string) {
	t.Helper()
	if got := filetest.Names(t, dir); !slices.Equal(got, want) {
		t.Errorf("%s holds %q, want %q", dir, got, want)
	}
}

// lmode is the mode of what is at path, not following a link; ModeIrregular if nothing is.
func lmode(path string) os.FileMode {
	info, err := os.Lstat(path)
	if err != nil {
		return os.ModeIrregular
	}
	return info.Mode()
}

// -o on a character device writes to it: run as root, -o /dev/null must leave /dev/null a
// device. Tried on a copy of /dev/null, never on the real one.
func TestOutPathCharacterDevice(t *testing.T) {
	c, _ := outPathCLI(t)
	dir := t.TempDir()
	null := filepath.Join(dir, "null")
	if err := syscall.Mknod(null, syscall.S_IFCHR|0o666, int(unix.Mkdev(1, 3))); err != nil {
		t.Fatal(err)
	}
	_, errOut := c.mustRun("export", "--format", "csv", "-o", null)
	if !strings.Contains(errOut, "exported 2000 customers") {
		t.Errorf("summary %q", errOut)
	}
	var st syscall.Stat_t
	if err := syscall.Lstat(null, &st); err != nil {
		t.Fatal(err)
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFCHR || st.Rdev != unix.Mkdev(1, 3) || st.Size != 0 {
		t.Errorf("after the export the copy of /dev/null has mode %#o, device %#x, %d bytes; want a character device 0x103",
			st.Mode, st.Rdev, st.Size)
	}
	dirHolds(t, dir, "null")
}

// -o on a FIFO feeds the process reading it, and the FIFO stays.
func TestOutPathFIFO(t *testing.T) {
	c, want := outPathCLI(t)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	// cat sees the end only when hold closes: an export that wrote elsewhere fails the test.
	hold := filetest.HeldFIFO(t, fifo)
	var got bytes.Buffer
	cat := exec.Command("cat", fifo)
	cat.Stdout = &got
	if err := cat.Start(); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := c.run(context.Background(), "export", "--format", "csv", "-o", fifo)
	hold.Close()
	if err := cat.Wait(); err != nil {
		t.Fatalf("cat: %v", err)
	}
	if code != exitOK {
		t.Fatalf("export to a FIFO: exit %d\n%s", code, errOut)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("the FIFO's reader got %d bytes, want the export's %d", got.Len(), len(want))
	}
	if mode := lmode(fifo); mode.Type() != os.ModeNamedPipe {
		t.Errorf("the FIFO is gone or replaced: mode %v", mode)
	}
	dirHolds(t, dir, "fifo")
}

// -o on a symbolic link replaces the file it names, through a chain and relative to the
// link's directory, creating it when missing; the links stay.
func TestOutPathSymlink(t *testing.T) {
	c, want := outPathCLI(t)
	root := t.TempDir()
	links, files := filepath.Join(root, "links"), filepath.Join(root, "files")
	os.Mkdir(links, 0o700)
	os.Mkdir(files, 0o700)
	os.WriteFile(filepath.Join(files, "c.csv"), []byte("yesterday's export"), 0o644)
	for link, target := range map[string]string{
		"existing": "../files/c.csv",
		"chain":    "existing",
		"dangling": "../files/new.csv",
	} {
		if err := os.Symlink(target, filepath.Join(links, link)); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct{ link, target, file string }{
		{"existing", "../files/c.csv", "c.csv"},
		{"chain", "existing", "c.csv"},
		{"dangling", "../files/new.csv", "new.csv"},
	} {
		t.Run(tc.link, func(t *testing.T) {
			os.WriteFile(filepath.Join(files, "c.csv"), []byte("yesterday's export"), 0o644)
			c.mustRun("export", "--format", "csv", "-o", filepath.Join(links, tc.link))
			if got, err := os.Readlink(filepath.Join(links, tc.link)); err != nil || got != tc.target {
				t.Errorf("the link now points to %q (%v), want %q", got, err, tc.target)
			}
			b, err := os.ReadFile(filepath.Join(files, tc.file))
			if err != nil || !bytes.Equal(b, want) {
				t.Errorf("%s has %d bytes (%v), want the export's %d", tc.file, len(b), err, len(want))
			}
			if mode := lmode(filepath.Join(files, tc.file)); mode != 0o600 {
				t.Errorf("%s has mode %v, want a regular file 0600", tc.file, mode)
			}
		})
	}
	dirHolds(t, files, "c.csv", "new.csv")
	dirHolds(t, links, "chain", "dangling", "existing")
}

// -o on a directory is refused naming it, and nothing is written into it.
func TestOutPathDirectory(t *testing.T) {
	c, _ := outPathCLI(t)
	dir := t.TempDir()
	code, out, errOut := c.run(context.Background(), "export", "--format", "csv", "-o", dir)
	if code != exitError || !strings.Contains(errOut, dir) || !strings.Contains(errOut, "is a directory") {
		t.Errorf("exit %d, stderr %q; want 1 saying %s is a directory", code, errOut, dir)
	}
	if out != "" {
		t.Errorf("a refused export wrote %d bytes to standard output", len(out))
	}
	dirHolds(t, dir)
}

// -o >(gzip > x.gz), the shell's process substitution: the real command, run by bash, writes
// to /dev/fd/N and x.gz holds the export.
func TestOutPathProcessSubstitution(t *testing.T) {
	c, want := outPathCLI(t)
	bin := custexportBinary(t)
	gz := filepath.Join(t.TempDir(), "x.gz")
	// wait $! waits for the process substitution: x.gz is complete when bash exits.
	script := `"$0" export --format csv --data-dir "$1" -o >(gzip > "$2"); status=$?; wait $! || exit; exit $status`
	if out, err := exec.Command("bash", "-c", script, bin, c.dataDir, gz).CombinedOutput(); err != nil {
		t.Fatalf("bash: %v\n%s", err, out)
	}
	f, err := os.Open(gz)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("x.gz holds %d bytes, want the export's %d", len(got), len(want))
	}
}
