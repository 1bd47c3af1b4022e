//go:build unix

package atomicfile

import (
	"os"
	"syscall"
)

// dupDescriptor returns a duplicate of this process's descriptor fd: closing it leaves fd
// open, and it shares fd's offset and flags, as a shell's >&fd would.
func dupDescriptor(fd int, name string) (*os.File, error) {
	// Under ForkLock, as os does, so that no child started meanwhile inherits the duplicate.
	syscall.ForkLock.RLock()
	dup, err := syscall.Dup(fd)
	if err == nil {
		syscall.CloseOnExec(dup)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil, &os.PathError{Op: "dup", Path: name, Err: err}
	}
	return os.NewFile(uintptr(dup), name), nil
}
