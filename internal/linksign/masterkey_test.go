package linksign

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/custexport/custexport"
)

const testKeyHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

func TestLoadOrCreateMasterKeyCreates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")
	key, err := LoadOrCreateMasterKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(key) != MasterKeySize {
		t.Fatalf("key length %d", len(key))
	}
	if bytes.Equal(key, make([]byte, MasterKeySize)) {
		t.Fatal("key is all zeros")
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %04o, want 0600", fi.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := hex.EncodeToString(key) + "\n"; string(data) != want {
		t.Errorf("file content is not the key in lowercase hex and a newline")
	}

	again, err := LoadOrCreateMasterKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, key) {
		t.Error("second call returned a different key")
	}

	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the key file (temporary file left behind?)", len(entries))
	}

	other, err := LoadOrCreateMasterKey(filepath.Join(t.TempDir(), "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(other, key) {
		t.Error("two new key files hold the same key")
	}
}

func TestLoadOrCreateMasterKeyReads(t *testing.T) {
	want, err := hex.DecodeString(testKeyHex)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		content string
	}{
		{"NoNewline", testKeyHex},
		{"Newline", testKeyHex + "\n"},
		{"CRLF", testKeyHex + "\r\n"},
		{"UpperCase", strings.ToUpper(testKeyHex) + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeKeyFile(t, tt.content, 0o600)
			got, err := LoadOrCreateMasterKey(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("key = %x, want %x", got, want)
			}
		})
	}
}

func TestLoadOrCreateMasterKeyRefuses(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("permission bits are not checked on Windows")
	}
	tests := []struct {
		name        string
		content     string
		perm        fs.FileMode
		wantInError string
	}{
		{"ReadableByOthers", testKeyHex + "\n", 0o644, "chmod 600"},
		{"ReadableByGroup", testKeyHex + "\n", 0o640, "chmod 600"},
		{"WritableByOthers", testKeyHex + "\n", 0o602, "chmod 600"},
		{"Garbage", "this is not a key but it is secret s3cr3t\n", 0o600, "does not hold a master key"},
		{"HexTooShort", testKeyHex[:62] + "\n", 0o600, "does not hold a master key"},
		{"HexTooLong", testKeyHex + "ab\n", 0o600, "does not hold a master key"},
		{"NonHexRightLength", "zz" + testKeyHex[2:] + "\n", 0o600, "does not hold a master key"},
		{"TwoNewlines", testKeyHex + "\n\n", 0o600, "does not hold a master key"},
		{"LeadingSpace", " " + testKeyHex + "\n", 0o600, "does not hold a master key"},
		{"Empty", "", 0o600, "is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeKeyFile(t, tt.content, tt.perm)
			key, err := LoadOrCreateMasterKey(path)
			if err == nil {
				t.Fatalf("accepted, key %x", key)
			}
			if key != nil {
				t.Error("key returned with an error")
			}
			msg := err.Error()
			if !strings.Contains(msg, path) {
				t.Errorf("error %q does not name the file", msg)
			}
			if !strings.Contains(msg, tt.wantInError) {
				t.Errorf("error %q does not contain %q", msg, tt.wantInError)
			}
			if c := strings.TrimSpace(tt.content); c != "" && (strings.Contains(msg, c) || strings.Contains(msg, "s3cr3t") ||
				strings.Contains(msg, testKeyHex[2:20])) {
				t.Errorf("error %q reveals the file content", msg)
			}
			if custexport.ErrorCode(err) != custexport.CodeInvalid {
				t.Errorf("code %q, want %q", custexport.ErrorCode(err), custexport.CodeInvalid)
			}
			// The refused file must be left alone, not replaced by a new key.
			data, rerr := os.ReadFile(path)
			if rerr != nil || string(data) != tt.content {
				t.Error("refused key file was changed")
			}
		})
	}
}

func TestLoadOrCreateMasterKeyNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateMasterKey(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("directory as key file: err = %v", err)
	}
}

func TestLoadOrCreateMasterKeyMissingDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no", "such", "dir", "master.key")
	_, err := LoadOrCreateMasterKey(path)
	if err == nil {
		t.Fatal("no error")
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name the file", err)
	}
}

func TestLoadOrCreateMasterKeyConcurrent(t *testing.T) {
	tests := []struct {
		name      string
		hardLinks bool
	}{
		{"HardLink", true},
		{"ExclusiveFallback", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.hardLinks {
				orig := linkFile
				linkFile = func(string, string) error { return errors.ErrUnsupported }
				t.Cleanup(func() { linkFile = orig })
			}
			path := filepath.Join(t.TempDir(), "master.key")
			const n = 10
			keys := make([][]byte, n)
			errs := make([]error, n)
			var start, done sync.WaitGroup
			start.Add(1)
			for i := range n {
				done.Go(func() {
					start.Wait() // release all at once to make the race real
					keys[i], errs[i] = LoadOrCreateMasterKey(path)
				})
			}
			start.Done()
			done.Wait()
			for i := range n {
				if errs[i] != nil {
					t.Fatalf("goroutine %d: %v", i, errs[i])
				}
				if !bytes.Equal(keys[i], keys[0]) {
					t.Fatalf("goroutine %d got a different key", i)
				}
			}
			onDisk, err := LoadOrCreateMasterKey(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(onDisk, keys[0]) {
				t.Error("key on disk differs from the key the starters use")
			}
			if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
				t.Errorf("directory holds %d entries, want 1", len(entries))
			}
		})
	}
}

func TestParseMasterKey(t *testing.T) {
	tests := []struct {
		name  string
		input string
		ok    bool
	}{
		{"Valid", testKeyHex, true},
		{"ValidUpperCase", strings.ToUpper(testKeyHex), true},
		{"Empty", "", false},
		{"TooShort", testKeyHex[:62], false},
		{"OddLength", testKeyHex[:63], false},
		{"TooLong", testKeyHex + "00", false},
		{"NonHex", "zz" + testKeyHex[2:], false},
		{"NonHexLast", testKeyHex[:63] + "q", false},
		{"TrailingNewline", testKeyHex + "\n", false},
		{"SurroundingSpaces", " " + testKeyHex[:62] + " ", false},
		{"Base64Lookalike", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8AAAAAAAAAAAAAAAAAAAAAAAA", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, err := ParseMasterKey(tt.input)
			if tt.ok {
				if err != nil || len(key) != MasterKeySize {
					t.Fatalf("ParseMasterKey = %x, %v", key, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted: %x", key)
			}
			msg := err.Error()
			for _, secret := range []string{tt.input, strings.TrimSpace(tt.input), "zz", "'q'", "U+00"} {
				if len(secret) >= 2 && strings.Contains(msg, secret) {
					t.Errorf("error %q echoes the input (%q)", msg, secret)
				}
			}
			if tt.input != "" && strings.Contains(msg, tt.input[:min(8, len(tt.input))]) {
				t.Errorf("error %q echoes the start of the input", msg)
			}
		})
	}
}

func writeKeyFile(t *testing.T, content string, perm fs.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "master.key")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	// Chmod after writing: WriteFile's mode is filtered by the umask.
	if err := os.Chmod(path, perm); err != nil {
		t.Fatal(err)
	}
	return path
}
