//go:build !unix

package atomicfile

import (
	"errors"
	"os"
)

// dupDescriptor is refused where file descriptors are not Unix's.
func dupDescriptor(_ int, name string) (*os.File, error) {
	return nil, &os.PathError{Op: "dup", Path: name, Err: errors.ErrUnsupported}
}
