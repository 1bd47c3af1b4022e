package csvimport

import (
	"io"
	"unicode/utf8"
)

// hasMultiByte reports whether b has a byte outside ASCII.
func hasMultiByte(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return true
		}
	}
	return false
}

// utf8Watch passes a file through and watches whether all of it is valid UTF-8 with at least
// one character outside ASCII: a file forced to windows-1250 that is really UTF-8 would have
// every accented letter garbled (SPEC section 10), and the first 64 KiB may be plain ASCII.
// It stops looking at the first invalid byte, which is what a windows-1250 file has.
type utf8Watch struct {
	r       io.Reader
	carry   [utf8.UTFMax]byte // a character cut at the end of the last read
	nc      int
	invalid bool
	multi   bool
}

func (w *utf8Watch) Read(p []byte) (int, error) {
	n, err := w.r.Read(p)
	if !w.invalid && n > 0 {
		w.check(p[:n])
	}
	return n, err
}

// utf8 reports, at the end of the file, whether it was valid UTF-8 with accents.
func (w *utf8Watch) utf8() bool { return !w.invalid && w.nc == 0 && w.multi }

func (w *utf8Watch) check(b []byte) {
	if w.nc > 0 {
		// Complete the character cut at the end of the last read.
		for w.nc < len(w.carry) && len(b) > 0 && !utf8.FullRune(w.carry[:w.nc]) {
			w.carry[w.nc] = b[0]
			w.nc++
			b = b[1:]
		}
		if !utf8.FullRune(w.carry[:w.nc]) {
			return // still cut: more to come
		}
		if r, size := utf8.DecodeRune(w.carry[:w.nc]); r == utf8.RuneError && size <= 1 || size != w.nc {
			w.invalid = true
			return
		}
		w.nc, w.multi = 0, true
	}
	// A character cut at the end waits in carry for the next read.
	cut := len(b)
	for k := 1; k < utf8.UTFMax && k <= len(b); k++ {
		if utf8.RuneStart(b[len(b)-k]) {
			if !utf8.FullRune(b[len(b)-k:]) {
				cut = len(b) - k
			}
			break
		}
	}
	if !utf8.Valid(b[:cut]) {
		w.invalid = true
		return
	}
	if !w.multi {
		w.multi = hasMultiByte(b[:cut])
	}
	w.nc = copy(w.carry[:], b[cut:])
}
