// Package dirfiles keeps the files of finished admin export jobs in a local directory: the
// default exporter.FileStore, right for a single instance (or instances sharing a network
// file system).
//
// A file is written to a temporary name ending in ".part" in the same directory and renamed
// to its name only when complete, so a reader never sees a partial file.
package dirfiles

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/custexport/custexport/internal/atomicfile"
)

// partSuffix ends the names of files being written.
const partSuffix = ".part"

// Store is a directory of files. The directory is made (mode 0700: the files hold customer
// data) when missing.
type Store struct {
	dir string
}

// New returns the store of the files in dir. Nothing is touched until the first Put.
func New(dir string) *Store {
	return &Store{dir: dir}
}

// Dir is the store's directory.
func (s *Store) Dir() string { return s.dir }

// String describes the store for logs.
func (s *Store) String() string { return "directory " + s.dir }

// Put writes the file through a temporary file, synced and renamed to name when write
// returns nil; otherwise the temporary file is deleted and nothing is left.
func (s *Store) Put(ctx context.Context, name string, write func(w io.Writer) error) (err error) {
	if err := checkName(name); err != nil {
		return err
	}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return fmt.Errorf("dirfiles: the directory: %w", err)
	}
	f, err := atomicfile.Create(filepath.Join(s.dir, name), partSuffix, atomicfile.Options{})
	if err != nil {
		return fmt.Errorf("dirfiles: %w", err)
	}
	defer f.Discard() // also when write panics; nothing after Commit
	if err := write(f); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := f.Commit(); err != nil {
		return fmt.Errorf("dirfiles: %w", err)
	}
	return nil
}

// Open opens the file and returns its size. A missing file gives an *fs.PathError wrapping
// fs.ErrNotExist.
func (s *Store) Open(_ context.Context, name string) (io.ReadSeekCloser, int64, error) {
	if err := checkName(name); err != nil {
		return nil, 0, err
	}
	f, err := os.Open(filepath.Join(s.dir, name))
	if err != nil {
		return nil, 0, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	if !info.Mode().IsRegular() {
		f.Close()
		return nil, 0, &fs.PathError{Op: "open", Path: f.Name(), Err: errors.New("not a regular file")}
	}
	return f, info.Size(), nil
}

// Remove deletes the file; a missing file is not an error.
func (s *Store) Remove(_ context.Context, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(s.dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// CleanPartial deletes the temporary files last modified before the given time: a process
// that crashed during a Put left them. A missing directory has nothing to clean.
func (s *Store) CleanPartial(_ context.Context, before time.Time) error {
	entries, err := os.ReadDir(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		if !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), partSuffix) {
			continue
		}
		info, err := e.Info()
		if err != nil || !info.ModTime().Before(before) {
			continue // gone meanwhile, or recent
		}
		if err := os.Remove(filepath.Join(s.dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// RemovePartial deletes the temporary files of a Put of name that a crashed process left.
func (s *Store) RemovePartial(_ context.Context, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	// atomicfile names them "." + name + ".<random>" + partSuffix.
	matches, err := filepath.Glob(filepath.Join(s.dir, "."+name+".*"+partSuffix))
	if err != nil {
		return err
	}
	var errs []error
	for _, m := range matches {
		if err := os.Remove(m); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// checkName accepts a plain file name: no directories, no leading dot, not a temporary name.
func checkName(name string) error {
	if name == "" || strings.ContainsAny(name, `/\`+"\x00") || strings.HasPrefix(name, ".") ||
		strings.HasSuffix(name, partSuffix) || !filepath.IsLocal(name) {
		return fmt.Errorf("dirfiles: invalid file name %q", name)
	}
	return nil
}
