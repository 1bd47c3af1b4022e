package csvimport_test

import (
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/csvimport"
)

// longFile is a file made as it is read, never held: head, then fill bytes up to size bytes in
// all, without a line end. read counts what the import took of it.
type longFile struct {
	head       string
	fill       byte
	size, read int64
}

func (f *longFile) Read(p []byte) (int, error) {
	if f.read >= f.size {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), f.size-f.read))
	for i := range n {
		if at := f.read + int64(i); at < int64(len(f.head)) {
			p[i] = f.head[at]
		} else {
			p[i] = f.fill
		}
	}
	f.read += int64(n)
	return n, nil
}

// allocated runs fn and returns the bytes it allocated on the heap in all (not only at once:
// a bound on this bounds the peak too).
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// A 180 MB line without a line end, as the header or as a row, is refused having read only a
// few MiB of it, and memory does not grow with it: it took 2.8 GB before (issue 17).
func TestLongLineRefusedWithBoundedMemory(t *testing.T) {
	db, before := smallStore(t)
	const size = 180 << 20
	for _, tc := range []struct {
		name, head, want string
		fill             byte
		size             int64
	}{
		{"Header", "guid;email;billingFullName;", "header row is longer than 256 KiB", 'x', size},
		{"HeaderColumns", "guid;email;", "more than 1000 columns", ';', 2000},
		{"Row", "guid;email;remark\r\n;new@example.com;", "line 2 is longer than 4 MiB", 'x', size},
		{"QuotedRow", "guid;email;remark\r\n;new@example.com;\"", "line 2 is longer than 4 MiB", '\n', size},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := &longFile{head: tc.head, fill: tc.fill, size: tc.size}
			var err error
			rec := &custexport.ImportRecord{}
			alloc := allocated(func() { err = csvimport.Run(t.Context(), db, file, csvimport.Options{Location: prague}, rec) })
			if err == nil || !strings.Contains(err.Error(), tc.want) || custexport.ErrorCode(err) != custexport.CodeInvalid {
				t.Fatalf("import: %v; want a refusal with %q", err, tc.want)
			}
			if file.read > 8<<20 {
				t.Errorf("read %d MiB of the line before refusing it", file.read>>20)
			}
			if alloc > 32<<20 {
				t.Errorf("allocated %d MiB for a refused line", alloc>>20)
			}
			if reason, _, ok := csvimport.ReadRefusal(err.Error()); !ok || reason == "" {
				t.Errorf("ReadRefusal(%q) does not know it", err)
			}
		})
	}
	if d := changes(before, stored(t, db)); len(d) > 0 {
		t.Fatalf("refused files changed %d values", len(d))
	}
}

// A field longer than its column allows is cut off while reading (memory holds the column's
// longest value, not the field) and its row skipped with the column and the field's length;
// the other rows are applied.
func TestLongFieldCutAndRowSkipped(t *testing.T) {
	db, _ := smallStore(t)
	remark := strings.Repeat("ž", 3<<20/2) // 3 MiB: under the row limit, far over remark's 65,535
	file := "email;billingFullName;remark;unknownColumn\r\n" +
		"long.remark@example.com;Long Remark;" + remark + ";x\r\n" +
		"long.name@example.com;" + strings.Repeat("N", 256) + ";;\r\n" +
		"ignored@example.com;Long Ignored;;" + strings.Repeat("i", 3<<20) + "\r\n" +
		"fine@example.com;Fine;ok;\r\n"
	var rec *custexport.ImportRecord
	var err error
	data := []byte(file)
	alloc := allocated(func() { rec, err = importFile(db, data, csvimport.Options{DryRun: true}) })
	if err != nil {
		t.Fatal(err)
	}
	wantCounts(t, rec, 4, 2, 0, 0, 2)
	want := []custexport.SkippedRow{
		{Line: 2, Column: "remark", Key: "too_long", Args: []string{"65535", "1572864"}, Reason: "longer than 65535 characters (1572864)"},
		{Line: 3, Column: "billingFullName", Key: "too_long", Args: []string{"255", "256"}, Reason: "longer than 255 characters (256)"},
	}
	for i, s := range rec.SkippedRows {
		if i >= len(want) || s.Line != want[i].Line || s.Column != want[i].Column || s.Key != want[i].Key || strings.Join(s.Args, ",") != strings.Join(want[i].Args, ",") || s.Reason != want[i].Reason {
			t.Errorf("skipped %+v, want %+v", s, want[min(i, len(want)-1)])
		}
	}
	// A line longer than the read buffer is put together (up to the 4 MiB row limit), in one
	// buffer reused for every line: 8 MiB with its growth. The fields themselves are kept
	// only up to their limits, not copied whole (3 MiB each, twice: bytes and string).
	if alloc > 12<<20 {
		t.Errorf("the import allocated %d KiB for its long fields", alloc>>10)
	}
}
