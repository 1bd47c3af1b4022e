package csvimport

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

// readerResult is what one Read gave.
type readerResult struct {
	fields []string
	line   int
	err    string // "", "EOF", or the bad record's line and reason
}

func readEvery(t *testing.T, read func() ([]string, int, error)) []readerResult {
	var out []readerResult
	for range 100_000 {
		fields, line, err := read()
		r := readerResult{fields: append([]string(nil), fields...), line: line}
		var bad *badRecord
		switch {
		case err == io.EOF:
			r.err = "EOF"
		case errors.As(err, &bad):
			r.err = bad.Error()
		case err != nil:
			t.Fatalf("Read: %v", err)
		}
		out = append(out, r)
		if err == io.EOF {
			return out
		}
	}
	t.Fatal("the reader does not reach the end")
	return nil
}

// checkAgainstReference reads data with the fast reader (with a tiny buffer and a normal one)
// and the byte-at-a-time reference: every record, line number and error must agree.
func checkAgainstReference(t *testing.T, data []byte, comma byte) {
	t.Helper()
	want := readEvery(t, newReferenceReader(bytes.NewReader(data), comma).Read)
	for _, size := range []int{16, 256 << 10} {
		got := readEvery(t, newRecordReaderSize(bytes.NewReader(data), comma, size).Read)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("buffer %d, input %q:\n got %+v\nwant %+v", size, data, got, want)
		}
	}
}

func TestRecordReaderAgreesWithReference(t *testing.T) {
	long := strings.Repeat("ž", 40_000)
	for _, in := range []string{
		"",
		"a;b;c\r\nd;e;f\r\n",
		"\"a\";\"b\"\"c\";\"line\r\nbreak\"\r\n\"x\";;\r\n",
		"a;b\n\n\r\n\rc;d\r",
		"\"open;b\nmore\n",
		"a\"b;c\nd;e\n",
		"\"a\"x;b\nc;d\n",
		"\"a\"\r",
		"\"a\"\rb\n",
		"a;b;",
		"\"" + long + "\";" + long + "\n" + long + ";\"" + long + "\r\n" + long + "\"",
		"\ufeffguid;email\n",
		"a,b;c\n",
	} {
		checkAgainstReference(t, []byte(in), ';')
		checkAgainstReference(t, []byte(in), ',')
	}
}

// FuzzRecordReader: any bytes read the same with the fast reader as with the reference one.
func FuzzRecordReader(f *testing.F) {
	for _, s := range []string{"a;b\r\n\"c\"\"d\";\"e\r\nf\"\n", "\"x\"y\n", "\r\r\n;;\n", "\"open"} {
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, semicolon bool) {
		comma := byte(',')
		if semicolon {
			comma = ';'
		}
		checkAgainstReference(t, data, comma)
	})
}
