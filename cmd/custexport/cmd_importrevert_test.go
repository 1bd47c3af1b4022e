package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/custexport/custexport"
)

// maskedExport is the CSV export with its changeTime column blanked: a revert is a change and
// stamped as one, every other byte is the shop's data.
func maskedExport(t *testing.T, c *cli) string {
	t.Helper()
	out, _ := c.mustRun("export", "--format", "csv")
	lines := strings.Split(out, "\r\n")
	// changeTime is the last column, and no value of the seeded shop holds the delimiter after it.
	for i, l := range lines {
		if j := strings.LastIndexByte(l, ';'); j >= 0 && i > 0 {
			lines[i] = l[:j+1]
		}
	}
	if !strings.HasSuffix(strings.TrimPrefix(lines[0], "\ufeff"), ";changeTime") && !strings.HasSuffix(lines[0], "\"changeTime\"") {
		t.Fatalf("changeTime is not the export's last column: %q", lines[0])
	}
	return strings.Join(lines, "\r\n")
}

// jsonReportOf decodes a --report json answer.
func jsonReportOf(t *testing.T, out string) (jsonReport, []custexport.FieldChange) {
	t.Helper()
	var r struct {
		jsonReport
		Changes []custexport.FieldChange `json:"changes"`
	}
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("the JSON report does not decode: %v\n%s", err, out)
	}
	return r.jsonReport, r.Changes
}

// The acceptance of issue 17 item 6 through the binary: export, import an edited file (cells
// changed, a customer created), `import revert ID` of that import restores the export byte for
// byte but changeTime. The reports list the changes (text: the first, json: all), the revert's
// dry run changes nothing, and a second revert and a revert of the revert are refused.
func TestImportRevertThroughCLI(t *testing.T) {
	c := newCLI(t)
	c.mustRun("seed", "--customers", "1200", "--seed", "5")
	before := maskedExport(t, c)
	cs := exportedCustomers(t, c)
	var b strings.Builder
	b.WriteString("guid;email;billingFullName;phone\r\n")
	for i, row := range cs[:1100] {
		fmt.Fprintf(&b, "%s;%s;%s;+420 %09d\r\n", row[0], row[1], row[2], i) // 1100 changed phones
	}
	b.WriteString(";nova@example.cz;Nová Zákaznice;\r\n")
	path := writeFile(t, "úpravy.csv", []byte(b.String()))

	out, _ := c.mustRun("import", path, "--dry-run", "--report", "json")
	dry, changes := jsonReportOf(t, out)
	if !dry.DryRun || dry.ID == 0 || dry.Counts.Updated != 1100 || dry.Counts.Created != 1 || dry.Counts.Changes != 1101 || len(changes) != 1101 {
		t.Fatalf("dry run's JSON report: %+v, %d changes", dry, len(changes))
	}
	if ch := changes[0]; ch.Seq != 1 || ch.Line != 2 || ch.GUID != cs[0][0] || ch.Kind != custexport.ChangeField || ch.Column != "phone" ||
		ch.Old != cs[0][3] || ch.New != "+420 000000000" {
		t.Fatalf("first change: %+v", ch)
	}
	if ch := changes[1100]; ch.Kind != custexport.ChangeCreated || ch.Line != 1102 {
		t.Fatalf("last change: %+v", ch)
	}
	if maskedExport(t, c) != before {
		t.Fatal("the dry run changed the shop")
	}

	out, _ = c.mustRun("import", path)
	id := reportID(t, out)
	for _, want := range []string{
		"changes (1101):\n",
		fmt.Sprintf("  line 2, %s, phone: %q → \"+420 000000000\"\n", cs[0][0], cs[0][3]),
		"  … and 101 more changes (only the first 1000 are listed; --report json lists all)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the import's report lacks %q:\n%s", want, out[:min(len(out), 800)])
		}
	}
	if n := strings.Count(out, "\n  line "); n != custexport.MaxPreviewChanges {
		t.Errorf("the text report lists %d changes, want %d", n, custexport.MaxPreviewChanges)
	}
	if maskedExport(t, c) == before {
		t.Fatal("the import changed nothing")
	}
	// A later edit of one changed phone is kept by the revert, and said.
	c.mustRun("import", writeFile(t, "later.csv", []byte(fmt.Sprintf("guid;phone\r\n%s;+420 777\r\n", cs[5][0]))))

	out, _ = c.mustRun("import", "revert", strconv.FormatInt(id, 10), "--dry-run")
	if !strings.Contains(out, "reverts:    import #"+strconv.FormatInt(id, 10)) || !strings.Contains(out, "removed:    1\n") ||
		!strings.Contains(out, "dry run: nothing was written") {
		t.Fatalf("the revert's dry run:\n%s", out[:min(len(out), 800)])
	}
	out, _ = c.mustRun("import", "revert", strconv.FormatInt(id, 10), "--report", "json")
	rv, rvChanges := jsonReportOf(t, out)
	if rv.Reverts != id || rv.Counts.Removed != 1 || rv.Counts.Updated != 1099 || rv.Counts.Skipped != 1 || len(rvChanges) != 1100 ||
		len(rv.SkippedRows) != 1 || rv.SkippedRows[0].Key != "revert_changed_since" || rv.SkippedRows[0].Column != "phone" || rv.SkippedRows[0].Line != 7 {
		t.Fatalf("the revert's JSON report: %+v, %d changes", rv, len(rvChanges))
	}
	// Undo the later edit too, by hand, and the export is the one before the import.
	c.mustRun("import", writeFile(t, "back.csv", []byte(fmt.Sprintf("guid;phone\r\n%s;%s\r\n", cs[5][0], cs[5][3]))))
	if after := maskedExport(t, c); after != before {
		t.Fatalf("the export after the revert differs from the one before the import (%d vs %d bytes)", len(after), len(before))
	}

	c.refuses(t, nil, exitError, []string{"revert of import #" + strconv.FormatInt(id, 10) + " refused", "reverted already"},
		"import", "revert", strconv.FormatInt(id, 10))
	c.refuses(t, nil, exitError, []string{"is itself a revert", "import the file again"}, "import", "revert", strconv.FormatInt(rv.ID, 10))
	c.refuses(t, nil, exitError, []string{"no import #999"}, "import", "revert", "999")
	c.refuses(t, nil, exitUsage, []string{"not an import ID"}, "import", "revert", "x")
	c.refuses(t, nil, exitUsage, []string{"--report"}, "import", path, "--report", "xml")
	c.refuses(t, nil, exitUsage, []string{"--dry-run and --report only"}, "import", "revert", "1", "--encoding", "utf-8")
}

// reportID reads "import:     #N" from a text report.
func reportID(t *testing.T, out string) int64 {
	t.Helper()
	_, rest, ok := strings.Cut(out, "import:     #")
	if !ok {
		t.Fatalf("the report names no import:\n%s", out[:min(len(out), 400)])
	}
	id, err := strconv.ParseInt(rest[:strings.IndexByte(rest, '\n')], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// Values from the file reach the terminal escaped in the changes list (they can neither drive
// it nor forge report lines) and the JSON report exactly.
func TestImportChangesReportEscapesFileText(t *testing.T) {
	c := newCLI(t)
	c.mustRun("seed", "--customers", "5")
	cs := exportedCustomers(t, c)
	evil := "\x1b[2J\r\nline 9, forged: \"x\" → \"y\""
	file := fmt.Sprintf("guid;remark\r\n%s;\"%s\"\r\n", cs[0][0], strings.ReplaceAll(evil, `"`, `""`))
	path := writeFile(t, "evil.csv", []byte(file))
	out, _ := c.mustRun("import", path, "--dry-run")
	if strings.ContainsAny(out, "\x1b") || strings.Contains(out, "\nline 9, forged") || !strings.Contains(out, "remark: ") || !strings.Contains(out, fmt.Sprintf("→ %q\n", evil)) {
		t.Fatalf("the changes list:\n%s", out)
	}
	out, _ = c.mustRun("import", path, "--report", "json")
	if _, changes := jsonReportOf(t, out); len(changes) != 1 || changes[0].New != evil || changes[0].Column != "remark" {
		t.Fatalf("the JSON report's changes: %+v", changes)
	}
}
