//go:build unix

package filetest

import (
	"os"
	"syscall"
	"testing"
)

// MakeFIFO makes a FIFO at path.
func MakeFIFO(t testing.TB, path string) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
}

// HeldFIFO makes a FIFO at path and holds it open for writing as well as reading, until the
// caller closes the returned file or the test ends. While it is held, a reader's open returns
// at once and the reader sees the end only when it is closed: a writer that wrote elsewhere
// makes the test fail rather than leave the reader waiting forever.
func HeldFIFO(t testing.TB, path string) *os.File {
	t.Helper()
	MakeFIFO(t, path)
	hold, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hold.Close() })
	return hold
}
