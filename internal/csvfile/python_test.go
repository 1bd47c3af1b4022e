package csvfile

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/sample"
)

// python is the system interpreter on purpose: the python3 on PATH is a pyenv build that the
// test environment does not control.
const python = "/usr/bin/python3"

// TestPythonReader reads the sample export with Python's csv module, a reader the encoder
// shares no code with, and compares every cell to a value computed from the fixture.
func TestPythonReader(t *testing.T) {
	if _, err := os.Stat(python); err != nil {
		t.Fatalf("%s is needed to read the export back: %v (install it with: apt-get install python3)", python, err)
	}
	tests := []struct {
		enc   custexport.Encoding
		codec string
		guard bool
	}{
		{custexport.EncodingUTF8, "utf-8-sig", true},
		{custexport.EncodingUTF8, "utf-8-sig", false},
		{custexport.EncodingWindows1250, "cp1250", true},
	}
	customers := sample.Customers()
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/guard=%v", tt.enc, tt.guard), func(t *testing.T) {
			out, replaced := encodeAll(t, custexport.EncodeOptions{Encoding: tt.enc, FormulaGuard: tt.guard, Location: sample.Prague}, customers)
			path := filepath.Join(t.TempDir(), "customers.csv")
			if err := os.WriteFile(path, out, 0o600); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(python, filepath.Join("testdata", "readcsv.py"), path, tt.codec)
			cmd.Stderr = os.Stderr
			js, err := cmd.Output()
			if err != nil {
				t.Fatalf("python csv reader failed: %v", err)
			}
			var rows [][]string
			if err := json.Unmarshal(js, &rows); err != nil {
				t.Fatalf("python printed bad JSON: %v\n%s", err, js)
			}
			if len(rows) != 1+len(customers) {
				t.Fatalf("python read %d rows, want %d", len(rows), 1+len(customers))
			}
			for i, cell := range rows[0] {
				if cell != custexport.Column(i).Tag() {
					t.Errorf("header cell %d = %q, want %q", i, cell, custexport.Column(i).Tag())
				}
			}
			var wantReplaced int64
			for i := range customers {
				c := &customers[i]
				got := rows[i+1]
				if len(got) != custexport.NumColumns {
					t.Fatalf("row %d has %d cells, want %d", i+1, len(got), custexport.NumColumns)
				}
				for col := range custexport.Column(custexport.NumColumns) {
					want := expectedCell(c, col)
					cell := got[col]
					if col.Kind() == custexport.KindText {
						var n int64
						want, n = expectText(want, tt.enc)
						wantReplaced += n
						if tt.guard && custexport.NeedsFormulaGuard(c.Text(col)) {
							if len(cell) == 0 || cell[0] != '\'' {
								t.Errorf("row %d %s = %q lacks the guard quote", i+1, col.Tag(), cell)
							} else {
								cell = cell[1:]
							}
						}
					}
					if cell != want {
						t.Errorf("row %d %s = %q, want %q", i+1, col.Tag(), cell, want)
					}
				}
			}
			if replaced != wantReplaced {
				t.Errorf("Replaced() = %d, but the fixture has %d characters to replace", replaced, wantReplaced)
			}
		})
	}
}

// expectedCell formats a value with the standard library, independently of the encoder:
// date-times through time.Time.In, so the doubled 02:30 of 2024-10-27 is checked against Go's
// own zone handling rather than ShopClock.
func expectedCell(c *custexport.Customer, col custexport.Column) string {
	switch col {
	case custexport.ColRegistrationDate:
		return c.RegistrationDate.In(sample.Prague).Format("2006-01-02 15:04:05")
	case custexport.ColChangeTime:
		return c.ChangeTime.In(sample.Prague).Format("2006-01-02 15:04:05")
	case custexport.ColBirthDate:
		if c.BirthDate.IsZero() {
			return ""
		}
		return fmt.Sprintf("%04d-%02d-%02d", c.BirthDate.Year, c.BirthDate.Month, c.BirthDate.Day)
	case custexport.ColPriceRatio:
		return fmt.Sprintf("%d,%04d", c.PriceRatio/10000, c.PriceRatio%10000)
	case custexport.ColDisabledOrders:
		if c.DisabledOrders {
			return "1"
		}
		return "0"
	}
	return c.Text(col)
}
