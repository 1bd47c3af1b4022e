package linksign

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/custexport/custexport"
)

// MasterKeySize is the master key length in bytes: 256 bits, the full strength HMAC-SHA256 can use.
const MasterKeySize = 32

// SaltSize is the length of a partner's link salt from NewSalt: 128 random bits make a collision
// between two generations of the same partner id (delete and re-create, regenerate) negligible.
const SaltSize = 16

const (
	// keyFileMaxRead bounds how much of a key file is read: a valid one is 65 bytes, and a huge
	// file put there by mistake must not be slurped into memory.
	keyFileMaxRead = 1024

	// An empty key file can be seen for an instant while another process creates it through the
	// O_EXCL fallback (no hard links); readers wait this long for the content before giving up.
	emptyRetries    = 40
	emptyRetryDelay = 25 * time.Millisecond
)

// linkFile is os.Link; tests replace it to exercise the fallback for file systems without hard
// links.
var linkFile = os.Link

// LoadOrCreateMasterKey reads the master key from the key file at path (64 hex characters and an
// optional newline) or, if the file does not exist, creates it with a new random key, mode 0600.
//
// Creation is atomic: the key is written and synced under a temporary name in the same
// directory and then hard-linked to path, which fails if path already exists. So the file is
// never seen half-written, and when two processes start at once the loser reads the winner's key
// instead of overwriting it (rename would overwrite, leaving the first process with a key
// nobody else has). On file systems without hard links it falls back to O_EXCL creation.
//
// A file that group or others may access is refused rather than used, because a key that may
// have leaked lets anyone forge links; the error says to chmod 600. Errors name the file but
// never include its content.
func LoadOrCreateMasterKey(path string) ([]byte, error) {
	key, err := readKeyFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return createKeyFile(path)
	}
	return key, err
}

// LoadMasterKey reads the master key from the key file at path, as LoadOrCreateMasterKey does,
// but never creates one: a missing file is an error matching fs.ErrNotExist, so that the caller
// can decide whether a new key may be made (not on a shop whose links were signed with another).
func LoadMasterKey(path string) ([]byte, error) {
	return readKeyFile(path)
}

// ParseMasterKey parses the 64-hex-character form of a master key (as in the
// CUSTEXPORT_MASTER_KEY environment variable). The error never repeats the input, which may be
// a real key with a typo in it.
func ParseMasterKey(hexKey string) ([]byte, error) {
	// hex.DecodeString's error quotes the offending character; only our own message is returned.
	key, err := hex.DecodeString(hexKey)
	if err != nil || len(key) != MasterKeySize {
		return nil, &custexport.Error{
			Code: custexport.CodeInvalid,
			Message: fmt.Sprintf("master key must be %d hexadecimal characters (%d bytes); got %d characters",
				2*MasterKeySize, MasterKeySize, len(hexKey)),
		}
	}
	return key, nil
}

// NewSalt returns SaltSize random bytes for a partner's link salt. A new salt on regenerate makes
// every earlier link of the partner invalid, and a partner re-created under a reused id never
// inherits the links of its predecessor.
func NewSalt() ([]byte, error) {
	salt := make([]byte, SaltSize)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("linksign: new salt: %w", err)
	}
	return salt, nil
}

// readKeyFile reads and checks the key file, waiting briefly while it is empty (being created).
// A missing file yields an error that matches fs.ErrNotExist.
func readKeyFile(path string) ([]byte, error) {
	for attempt := 0; ; attempt++ {
		key, empty, err := readKeyFileOnce(path)
		if !empty || attempt >= emptyRetries {
			return key, err
		}
		time.Sleep(emptyRetryDelay)
	}
}

func readKeyFileOnce(path string) (key []byte, empty bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false, keyFileIOError(path, "cannot open", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, false, keyFileIOError(path, "cannot stat", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, false, keyFileInvalid("master key file %s is not a regular file", path)
	}
	// Windows permission bits do not reflect its ACLs, so there is nothing meaningful to check.
	if perm := fi.Mode().Perm(); runtime.GOOS != "windows" && perm&0o077 != 0 {
		return nil, false, keyFileInvalid(
			"master key file %s has mode %04o, so group or others can access it; run: chmod 600 %s",
			path, perm, path)
	}
	data, err := io.ReadAll(io.LimitReader(f, keyFileMaxRead))
	if err != nil {
		return nil, false, keyFileIOError(path, "cannot read", err)
	}
	if len(data) == 0 {
		return nil, true, keyFileInvalid("master key file %s is empty; delete it to have a new key created", path)
	}
	key, err = parseKeyFile(data)
	if err != nil {
		return nil, false, keyFileInvalid(
			"master key file %s does not hold a master key (expected %d hexadecimal characters and an optional newline)",
			path, 2*MasterKeySize)
	}
	return key, false, nil
}

// parseKeyFile accepts the key with one optional line ending, "\r\n" included for files edited on
// Windows; anything else is refused rather than guessed at.
func parseKeyFile(data []byte) ([]byte, error) {
	s := string(data)
	switch {
	case len(s) >= 2 && s[len(s)-2:] == "\r\n":
		s = s[:len(s)-2]
	case len(s) >= 1 && s[len(s)-1] == '\n':
		s = s[:len(s)-1]
	}
	return ParseMasterKey(s)
}

func createKeyFile(path string) ([]byte, error) {
	key := make([]byte, MasterKeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("linksign: new master key: %w", err)
	}
	content := []byte(hex.EncodeToString(key) + "\n")
	dir := filepath.Dir(path)

	// CreateTemp creates the file with mode 0600, so the key is never readable by others, not
	// even for an instant.
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, keyFileIOError(path, "cannot create", err)
	}
	tmpName := tmp.Name()
	// After a successful link the key lives on under path; the temporary name is only a second
	// link to it. After a failure it is garbage. Either way it goes.
	defer os.Remove(tmpName)
	if err := writeSyncClose(tmp, content); err != nil {
		return nil, keyFileIOError(path, "cannot write", err)
	}

	err = linkFile(tmpName, path)
	switch {
	case err == nil:
		syncDir(dir)
		return key, nil
	case errors.Is(err, fs.ErrExist):
		// Another process created the key first; everybody must use that one.
		return readKeyFile(path)
	default:
		return createKeyFileExclusive(path, key, content)
	}
}

// createKeyFileExclusive is the fallback for file systems without hard links. O_EXCL still makes
// exactly one process the creator; a concurrent reader may see the file empty for a moment,
// which readKeyFile waits out.
func createKeyFileExclusive(path string, key, content []byte) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return readKeyFile(path)
	}
	if err != nil {
		return nil, keyFileIOError(path, "cannot create", err)
	}
	if err := writeSyncClose(f, content); err != nil {
		// An empty or partial key file would fail every later start; remove it so the next
		// start simply tries again.
		os.Remove(path)
		return nil, keyFileIOError(path, "cannot write", err)
	}
	syncDir(filepath.Dir(path))
	return key, nil
}

func writeSyncClose(f *os.File, content []byte) error {
	_, err := f.Write(content)
	if err == nil {
		// The key must survive a crash right after start: losing it would break every link.
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncDir makes the new directory entry durable. Failure is ignored: some file systems cannot
// sync a directory, and the key is already in use by then.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}

func keyFileInvalid(format string, args ...any) error {
	return &custexport.Error{Code: custexport.CodeInvalid, Message: fmt.Sprintf(format, args...)}
}

// keyFileIOError keeps the OS error (which names the file, never its content) both in the message
// and as the cause, so errors.Is(err, fs.ErrNotExist) works.
func keyFileIOError(path, what string, err error) error {
	return &custexport.Error{
		Code:    custexport.CodeInternal,
		Message: fmt.Sprintf("%s master key file %s: %v", what, path, err),
		Err:     err,
	}
}
