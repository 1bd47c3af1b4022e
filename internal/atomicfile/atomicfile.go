// Package atomicfile writes a file that appears under its name only when complete: it is
// written under a temporary name in the same directory, synced to disk, and renamed. A failed
// or abandoned write leaves nothing behind.
//
// Syncing a large file at the end is slow: the 1 GiB XML export of 1M customers waited 1.3 s
// in fsync after 2 s of exporting. So while the file is written, every writebackEvery bytes
// the kernel is asked to start writing the new part to disk (sync_file_range on Linux), and
// the final fsync has less left to do: on the same disk it waited 0.7 s, and the whole
// command took 3.1–3.3 s instead of 3.3–4.0 s. The durability is the same; the disk just
// starts earlier.
//
// A caller that does not need the file to survive an operating system crash (a pipeline that
// reads the file at once) may skip the sync: then no write-back is started either, and Commit
// returns as soon as the rename is done.
package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// writebackEvery is how many bytes collect before their write-back is started: large enough
// that the calls cost nothing measurable, small enough that the end waits for little.
const writebackEvery = 8 << 20

// File is a file being written. It is an io.Writer; Commit publishes it, Discard drops it.
type File struct {
	tmp      *os.File
	target   string
	written  int64 // bytes written so far
	started  int64 // bytes whose write-back has been started
	noSync   bool
	settled  bool
	writeErr error
}

// Options change how a File is written.
type Options struct {
	// NoSync leaves the writing to disk to the kernel, whenever it gets to it: Commit renames
	// without waiting for the file to be on disk.
	NoSync bool
}

// Create starts the file that Commit will publish as target. The temporary file is named
// "."+base(target)+".*"+suffix, in target's directory, mode 0600: the files this writes hold
// customer data.
func Create(target, suffix string, opts Options) (*File, error) {
	tmp, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".*"+suffix)
	if err != nil {
		return nil, err
	}
	return &File{tmp: tmp, target: target, noSync: opts.NoSync}, nil
}

// Name is the temporary file's name.
func (f *File) Name() string { return f.tmp.Name() }

// Write writes to the temporary file, starting the write-back of each writebackEvery bytes.
func (f *File) Write(p []byte) (int, error) {
	n, err := f.tmp.Write(p)
	f.written += int64(n)
	if err != nil {
		f.writeErr = err
		return n, err
	}
	if !f.noSync && f.written-f.started >= writebackEvery {
		// Only a hint: where the kernel cannot, the final Sync does all of it.
		startWriteback(f.tmp, f.started, f.written-f.started)
		f.started = f.written
	}
	return n, nil
}

// Commit syncs the file to disk (unless Options.NoSync), closes it and renames it to the
// target. On any error the temporary file is removed and the target is untouched.
func (f *File) Commit() error {
	if f.settled {
		return errors.New("atomicfile: already committed or discarded")
	}
	f.settled = true
	err := f.writeErr
	if err == nil && !f.noSync {
		err = f.tmp.Sync()
	}
	if closeErr := f.tmp.Close(); err == nil {
		err = closeErr
	}
	if err == nil {
		err = os.Rename(f.tmp.Name(), f.target)
	}
	if err != nil {
		os.Remove(f.tmp.Name())
		return fmt.Errorf("write %s: %w", f.target, err)
	}
	return nil
}

// Discard closes and removes the temporary file, unless Commit was called. It may be deferred
// right after Create.
func (f *File) Discard() {
	if f.settled {
		return
	}
	f.settled = true
	f.tmp.Close()
	os.Remove(f.tmp.Name())
}
