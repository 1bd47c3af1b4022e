package atomicfile

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/custexport/custexport/internal/filetest"
)

// exportLike is content larger than a pipe's buffer, so a reader must drain it while it is
// written.
func exportLike() []byte {
	return bytes.Repeat([]byte("\"guid\";\"email\";ř😀\r\n"), 20_000)
}

// writeAll creates target through Create, writes content in pieces and commits.
func writeAll(t *testing.T, target string, content []byte) {
	t.Helper()
	f, err := Create(target, ".partial", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Discard()
	for piece := range slices.Chunk(content, 4096) {
		if _, err := f.Write(piece); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
}

// readAll reads r to its end in the background; the result arrives on the channel.
func readAll(r io.ReadCloser) <-chan []byte {
	got := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(r)
		r.Close()
		got <- b
	}()
	return got
}

// hasMode fails the test unless path is still of the given type and alone in its directory.
func hasMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	if got := modeOf(path).Type(); got != want {
		t.Fatalf("%s: type %v, want it still %v", path, got, want)
	}
	if got := filetest.Names(t, filepath.Dir(path)); len(got) != 1 {
		t.Errorf("the directory holds %v, want %s alone", got, filepath.Base(path))
	}
}

// A character device (a copy of /dev/null: the tests run as root) is written, not replaced.
func TestCreateWritesACharacterDevice(t *testing.T) {
	null := filepath.Join(t.TempDir(), "null")
	if err := syscall.Mknod(null, syscall.S_IFCHR|0o666, int(unix.Mkdev(1, 3))); err != nil {
		t.Fatal(err)
	}
	writeAll(t, null, exportLike())
	hasMode(t, null, fs.ModeDevice|fs.ModeCharDevice)
	var st syscall.Stat_t
	if err := syscall.Stat(null, &st); err != nil || st.Rdev != unix.Mkdev(1, 3) {
		t.Errorf("device %#x (%v), want /dev/null's 0x103", st.Rdev, err)
	}

	// Discarding a write to it removes nothing.
	f, err := Create(null, ".partial", Options{})
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("half"))
	f.Discard()
	hasMode(t, null, fs.ModeDevice|fs.ModeCharDevice)
}

// A FIFO is written for its reader and stays a FIFO.
func TestCreateWritesAFIFO(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	// The reader's open returns at once, and the reader sees the end only when hold closes: a
	// Create that wrote elsewhere fails the test rather than hang.
	hold := filetest.HeldFIFO(t, fifo)
	r, err := os.Open(fifo)
	if err != nil {
		t.Fatal(err)
	}
	got := readAll(r)
	want := exportLike()
	writeAll(t, fifo, want)
	hold.Close()
	if b := <-got; !bytes.Equal(b, want) {
		t.Errorf("the reader got %d bytes, want the %d written", len(b), len(want))
	}
	hasMode(t, fifo, fs.ModeNamedPipe)
}

// A FIFO whose reader went away fails the write; Commit reports it naming the FIFO, and
// neither Commit nor Discard removes it.
func TestFailedWriteToAFIFOLeavesIt(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	filetest.MakeFIFO(t, fifo)
	r, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Create(fifo, ".partial", Options{})
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	if _, err := f.Write([]byte("rows")); !errors.Is(err, syscall.EPIPE) {
		t.Fatalf("write without a reader: %v, want EPIPE", err)
	}
	if err := f.Commit(); !errors.Is(err, syscall.EPIPE) || !strings.Contains(err.Error(), fifo) {
		t.Errorf("Commit: %v, want EPIPE naming %s", err, fifo)
	}
	f.Discard()
	hasMode(t, fifo, fs.ModeNamedPipe)
}

// A Unix stream socket is connected to and written; it stays a socket.
func TestCreateWritesASocket(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	defer l.Close()
	f, err := Create(sock, ".partial", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Discard()
	// Connections are accepted in order: a Create that did not connect makes Accept return
	// this one, which ends empty, so the test fails rather than hangs.
	sentinel, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	got := readAll(conn)
	want := exportLike()
	if _, err := f.Write(want); err != nil {
		t.Fatal(err)
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	sentinel.Close()
	if b := <-got; !bytes.Equal(b, want) {
		t.Errorf("the socket's reader got %d bytes, want the %d written", len(b), len(want))
	}
	hasMode(t, sock, fs.ModeSocket)
}

// This process's descriptors, named as a shell names them (/dev/fd/N for process
// substitution) or through a link to such a name, are written directly: a pipe and a socket,
// neither of which can be reopened by name. The descriptor stays open after Commit.
func TestCreateWritesADescriptor(t *testing.T) {
	pipeR, pipeW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	pair, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	sockW, sockR := os.NewFile(uintptr(pair[0]), "socket"), os.NewFile(uintptr(pair[1]), "socket")
	link := filepath.Join(t.TempDir(), "link")
	os.Symlink("/proc/self/fd/"+strconv.Itoa(int(sockW.Fd())), link)
	for _, tc := range []struct {
		name string
		w, r *os.File
		path string
	}{
		{"pipe", pipeW, pipeR, "/dev/fd/" + strconv.Itoa(int(pipeW.Fd()))},
		{"socket through a link", sockW, sockR, link},
	} {
		got := readAll(tc.r)
		want := exportLike()
		writeAll(t, tc.path, want)
		if _, err := tc.w.Write([]byte("after")); err != nil {
			t.Errorf("%s: the descriptor was closed by Commit: %v", tc.name, err)
		}
		tc.w.Close()
		if b := <-got; !bytes.Equal(b, append(want, "after"...)) {
			t.Errorf("%s: the reader got %d bytes, want the %d written", tc.name, len(b), len(want)+5)
		}
	}
	isLinkTo(t, link, "/proc/self/fd/"+strconv.Itoa(pair[0]))
}
