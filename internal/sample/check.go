package sample

import (
	"bytes"
	"fmt"
	"os"
	"testing"

	"github.com/custexport/custexport"
)

// The helpers below are what every encoder's tests do with the fixture; they live here, next
// to it, so that the CSV, XML and XLSX tests check their output the same way.

// Encode writes customers with e and closes it, failing the test on the first error.
func Encode(t testing.TB, e custexport.Encoder, customers []custexport.Customer) {
	t.Helper()
	for i := range customers {
		if err := e.Encode(&customers[i]); err != nil {
			t.Fatalf("Encode customer %d (%s): %v", i, customers[i].GUID, err)
		}
	}
	if err := e.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// EncodeAllocs returns the average number of allocations per call of e.Encode, fed the fixture
// customers in turn for runs calls: an encoder promises none once running, whatever the values.
func EncodeAllocs(t testing.TB, e custexport.Encoder, runs int) float64 {
	t.Helper()
	customers := Customers()
	i := 0
	return testing.AllocsPerRun(runs, func() {
		if err := e.Encode(&customers[i%len(customers)]); err != nil {
			t.Fatal(err)
		}
		i++
	})
}

// Golden compares got with the golden file at path. With update it first rewrites the file
// from got, so that a change of the output is reviewed as a diff of testdata.
func Golden(t testing.TB, path string, got []byte, update bool) {
	t.Helper()
	if update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run go test -update after checking the diff by eye)\n%s", path, FirstDiff(got, want))
	}
}

// FirstDiff describes where two outputs first differ, with some context either side.
func FirstDiff(got, want []byte) string {
	const context = 60
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	lo := max(0, i-context)
	return fmt.Sprintf("at byte %d:\n got  …%q\n want …%q", i, got[lo:min(len(got), i+context)], want[lo:min(len(want), i+context)])
}

// FuzzSeeds returns every distinct text value of the fixture customers (in fixture order,
// the empty string once), grouped into rows of n for a fuzz target that takes n strings: the
// values that break exporters seed every encoder's fuzzer, whatever its arity. The last row
// is filled up with empty strings.
func FuzzSeeds(n int) [][]string {
	var values []string
	seen := map[string]bool{}
	for _, c := range Customers() {
		for col := range custexport.Column(custexport.NumColumns) {
			if v := c.Text(col); !seen[v] {
				seen[v] = true
				values = append(values, v)
			}
		}
	}
	var rows [][]string
	for len(values) > 0 {
		row := make([]string, n)
		values = values[copy(row, values):]
		rows = append(rows, row)
	}
	return rows
}

// AddFuzzSeeds seeds f's corpus with every row of FuzzSeeds(n), each followed by then: the
// arguments the target takes after its n strings (the same for every row). The testing package
// checks each entry against the fuzz function when f.Fuzz runs, so a wrong arity or type fails
// the target on its first run, seeds-only or fuzzing.
func AddFuzzSeeds(f *testing.F, n int, then ...any) {
	f.Helper()
	for _, row := range FuzzSeeds(n) {
		args := make([]any, 0, n+len(then))
		for _, v := range row {
			args = append(args, v)
		}
		f.Add(append(args, then...)...)
	}
}
