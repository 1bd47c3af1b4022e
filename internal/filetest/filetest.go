// Package filetest holds what tests need of real files: the names a directory holds, a FIFO held
// open, a SQLite store in a temporary file. Only tests import it.
package filetest

import (
	"os"
	"testing"
)

// Names lists the names dir holds, in ReadDir's sorted order; it fails the test if dir cannot
// be read.
func Names(t testing.TB, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}
