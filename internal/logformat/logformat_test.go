package logformat

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/custexport/custexport"
)

func prague(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Prague")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// sample is a served download with every field set.
func sample() *custexport.AccessEntry {
	return &custexport.AccessEntry{
		ID: 42, At: time.Date(2026, 3, 29, 1, 30, 0, 250e6, time.UTC), // 03:30 in Prague, the night clocks go forward
		Principal: custexport.Principal{Kind: custexport.PrincipalPartner, ID: 7, Name: "Účetní firma"},
		Channel:   custexport.ChannelURL, ClientIP: "2001:db8::1", UserAgent: "Keboola/1.0",
		Format: custexport.FormatCSV, Encoding: custexport.EncodingWindows1250, Filter: "2024-01-01..2024-12-31",
		Outcome: custexport.OutcomeServed, Reason: "", Rows: 1234, Bytes: 567890, Duration: 1500 * time.Millisecond, Replaced: 3,
	}
}

// render writes entries with the named output and returns what it wrote.
func render(t *testing.T, format string, loc *time.Location, entries ...*custexport.AccessEntry) string {
	t.Helper()
	var out bytes.Buffer
	w, err := New(format, &out, loc)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if err := w.Entry(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func readCSV(t *testing.T, out string) [][]string {
	t.Helper()
	records, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("csv does not parse: %v\n%s", err, out)
	}
	return records
}

func readJSON(t *testing.T, line string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		t.Fatalf("json line %q: %v", line, err)
	}
	return m
}

// CSV and JSON carry the same columns, in the same order, with the same values.
func TestColumns(t *testing.T) {
	loc := prague(t)
	want := []string{"42", "2026-03-29T03:30:00.250+02:00", "partner", "7", "Účetní firma", "url", "2001:db8::1", "Keboola/1.0",
		"csv", "windows-1250", "2024-01-01..2024-12-31", "served", "", "1234", "567890", "1500", "3"}

	records := readCSV(t, render(t, "csv", loc, sample()))
	if len(records) != 2 || strings.Join(records[0], ",") != strings.Join(columns, ",") {
		t.Fatalf("csv %q: want the header and one record", records)
	}
	if got := strings.Join(records[1], "|"); got != strings.Join(want, "|") {
		t.Errorf("csv record\n%s, want\n%s", got, strings.Join(want, "|"))
	}

	line := strings.TrimSuffix(render(t, "json", loc, sample()), "\n")
	m := readJSON(t, line)
	dec := json.NewDecoder(strings.NewReader(line))
	dec.Token() // {
	for i, name := range columns {
		key, err := dec.Token()
		if err != nil || key != name {
			t.Fatalf("json key %d is %v (%v), want %q", i, key, err, name)
		}
		var value any
		dec.Decode(&value)
		got := value
		if f, ok := value.(float64); ok {
			got = strconv.FormatFloat(f, 'f', -1, 64)
		}
		if got != want[i] {
			t.Errorf("json %s = %v, want %s", name, value, want[i])
		}
	}
	if len(m) != len(columns) {
		t.Errorf("json has %d keys, want %d", len(m), len(columns))
	}
	if !strings.Contains(line, `"rows":1234`) {
		t.Errorf("json numbers are not numbers: %s", line)
	}

	table := strings.Split(strings.TrimSuffix(render(t, "table", loc, sample()), "\n"), "\n")
	if len(table) != 2 || !strings.HasPrefix(table[0], "TIME ") || !strings.HasSuffix(table[0], "USER AGENT") {
		t.Fatalf("table %q: want the header and one row", table)
	}
	for _, want := range []string{"2026-03-29T03:30:00.250+02:00", "partner:Účetní firma", "url", "2001:db8::1", "csv/windows-1250",
		"2024-01-01..2024-12-31", "served", "1234", "567890", "1.5s", "Keboola/1.0"} {
		if !strings.Contains(table[1], want) {
			t.Errorf("table row %q lacks %q", table[1], want)
		}
	}
}

// One time layout in every output: shop time with its offset, so the doubled hour when clocks
// go back is two different times.
func TestTimeIsShopTimeWithOffsetEverywhere(t *testing.T) {
	loc := prague(t)
	first, second := sample(), sample()
	first.At = time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC)  // 02:30 summer time
	second.At = time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC) // 02:30 winter time
	wants := []string{"2026-10-25T02:30:00.000+02:00", "2026-10-25T02:30:00.000+01:00"}
	for _, format := range Formats {
		out := render(t, format, loc, first, second)
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		lines = lines[len(lines)-2:]
		for i, want := range wants {
			if !strings.Contains(lines[i], want) {
				t.Errorf("%s line %q lacks the time %s", format, lines[i], want)
			}
		}
	}
	if got := render(t, "json", time.UTC, first); !strings.Contains(got, `"time":"2026-10-25T00:30:00.000Z"`) {
		t.Errorf("in UTC: %s", got)
	}
}

// The CSV guards text with the exports' own rule (custexport.NeedsFormulaGuard), in every text
// column; JSON, read by programs, keeps the text exact.
func TestFormulaGuardIsTheExportsRule(t *testing.T) {
	for _, agent := range []string{`=HYPERLINK("http://evil")`, "+420 777 888 999", "-x", "-5", "-1,5", "@SUM(A1)", "Mozilla/5.0", "'quoted"} {
		e := sample()
		e.UserAgent, e.Principal.Name, e.Reason = agent, agent, agent
		records := readCSV(t, render(t, "csv", time.UTC, e))
		want := agent
		if custexport.NeedsFormulaGuard(agent) {
			want = "'" + agent
		}
		for _, col := range []int{4, 7, 12} { // principal_name, user_agent, reason
			if got := records[1][col]; got != want {
				t.Errorf("csv %s of %q is %q, want %q", columns[col], agent, got, want)
			}
		}
		if m := readJSON(t, render(t, "json", time.UTC, e)); m["user_agent"] != agent {
			t.Errorf("json user agent %q, want %q exactly", m["user_agent"], agent)
		}
	}
	if !custexport.NeedsFormulaGuard("=1") || custexport.NeedsFormulaGuard("-5") {
		t.Fatal("the exports' guard changed; this test assumes it")
	}
}

// Control characters, the bidirectional override and invalid UTF-8 never leave raw, in any
// output; the CSV and the table show them escaped, JSON as \u escapes, and the text can be read
// back exactly.
func TestControlCharactersAreEscapedEverywhere(t *testing.T) {
	raw := []string{"\x1b", "\r", "\n", "\a", "\x7f", "\u0085", "\u009b", "\u202e", "\t", "\x00"}
	for _, c := range raw {
		text := "a" + c + "b"
		e := sample()
		e.UserAgent, e.Reason, e.Principal.Name = text, text, text
		for _, format := range Formats {
			out := render(t, format, time.UTC, e)
			body := strings.TrimSuffix(out, "\n")
			if format != "json" { // after the header
				body = body[strings.Index(body, "\n")+1:]
			}
			if strings.Contains(body, c) {
				t.Errorf("%s output carries %q raw:\n%q", format, c, out)
			}
			if strings.Count(out, "\n") != map[string]int{"table": 2, "csv": 2, "json": 1}[format] {
				t.Errorf("%s output of %q has a forged line:\n%q", format, text, out)
			}
		}
		records := readCSV(t, render(t, "csv", time.UTC, e))
		if back, err := strconv.Unquote(records[1][7]); err != nil || back != text {
			t.Errorf("csv user agent %q does not read back as %q (%v)", records[1][7], text, err)
		}
		if m := readJSON(t, render(t, "json", time.UTC, e)); m["user_agent"] != text || m["principal_name"] != text {
			t.Errorf("json %q, want %q exactly", m["user_agent"], text)
		}
	}
	e := sample()
	e.UserAgent = "\x1b[2J bidi\u202eevil \x7f \u009b"
	out := render(t, "json", time.UTC, e)
	for _, want := range []string{`\u001b[2J`, `\u202e`, `\u007f`, `\u009b`} {
		if !strings.Contains(out, want) {
			t.Errorf("json lacks %s: %s", want, out)
		}
	}
	e.UserAgent = "bad\xffutf8 \U0001F600 \U000E0001" // invalid byte, an emoji, a tag character
	out = render(t, "json", time.UTC, e)
	if m := readJSON(t, out); m["user_agent"] != "bad\uFFFDutf8 \U0001F600 \U000E0001" || !strings.Contains(out, `\udb40\udc01`) {
		t.Errorf("json %s: invalid UTF-8 replaced, printable kept, a format character escaped as a surrogate pair", out)
	}
}

// A partner name with control characters (rows from before names were checked have them) cannot
// forge a line or drive a terminal in the table, and reads back in CSV and JSON.
func TestPartnerNameWithControlCharacters(t *testing.T) {
	name := "Sklad\x1b]0;pwned\a\r\n2099-01-01 operator:root"
	e := sample()
	e.Principal.Name = name
	table := render(t, "table", time.UTC, e, sample())
	lines := strings.Split(strings.TrimSuffix(table, "\n"), "\n")
	if len(lines) != 3 || strings.ContainsAny(table, "\x1b\a\r") {
		t.Fatalf("table forged by a partner name:\n%q", table)
	}
	if !strings.Contains(lines[1], strconv.Quote("partner:"+name)) {
		t.Errorf("row %q does not show the name escaped", lines[1])
	}
	records := readCSV(t, render(t, "csv", time.UTC, e))
	if back, err := strconv.Unquote(records[1][4]); err != nil || back != name {
		t.Errorf("csv principal_name %q (%v)", records[1][4], err)
	}
}

func TestDisplayText(t *testing.T) {
	for in, want := range map[string]string{
		"":                   "",
		"Mozilla/5.0 (X11)":  "Mozilla/5.0 (X11)",
		"Účetní Novák":       "Účetní Novák",
		"a\r\nb":             `"a\r\nb"`,
		"\x1b[31mred":        `"\x1b[31mred"`,
		"tab\there":          `"tab\there"`,
		"bidi\u202eevil":     `"bidi\u202eevil"`,
		"c1\u0085":           `"c1\u0085"`,
		"del\x7f":            `"del\x7f"`,
		"bad\xffutf8":        `"bad\xffutf8"`,
		`"quoted" by itself`: `"\"quoted\" by itself"`,
		`back\slash`:         `back\slash`,
	} {
		if got := DisplayText(in); got != want {
			t.Errorf("DisplayText(%q) = %s, want %s", in, got, want)
		}
	}
}

// The table flushes every tableBlock rows, so it never holds the whole log, and its blocks line
// up while values fit their columns' widths.
func TestTableStreamsInAlignedBlocks(t *testing.T) {
	var out bytes.Buffer
	w := NewTable(&out, time.UTC)
	if err := w.Close(); err != nil || out.Len() != 0 {
		t.Fatalf("an empty log gave %q, %v: want nothing", out.String(), err)
	}
	w = NewTable(&out, time.UTC)
	outcomes := []custexport.Outcome{custexport.OutcomeServed, custexport.OutcomeRateLimited, custexport.OutcomeDenied, custexport.OutcomeEvent}
	for i := range 2*tableBlock + 10 {
		e := sample()
		e.ID = int64(i + 1)
		e.Outcome = outcomes[i%len(outcomes)]
		if i >= tableBlock {
			e.Principal.Name = "Kratší"
		}
		if err := w.Entry(e); err != nil {
			t.Fatal(err)
		}
		if i == tableBlock-1 && strings.Count(out.String(), "\n") != tableBlock+1 {
			t.Fatalf("after %d rows %d lines are out: the table holds its rows", tableBlock, strings.Count(out.String(), "\n"))
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 2*tableBlock+11 {
		t.Fatalf("%d lines", len(lines))
	}
	col := strings.Index(lines[0], "OUTCOME")
	for _, l := range lines[1:] {
		if r := []rune(l); len(r) < col || r[col-1] != ' ' || r[col] == ' ' {
			t.Fatalf("column OUTCOME not aligned in %q", l)
		}
	}
	if event := lines[4]; !strings.Contains(event, "event") || strings.Contains(event, "1234") {
		t.Errorf("a partner event shows download columns: %q", event)
	}
}

func TestUnknownFormat(t *testing.T) {
	if _, err := New("xml", &bytes.Buffer{}, time.UTC); err == nil || !strings.Contains(err.Error(), `"xml"`) ||
		!strings.Contains(err.Error(), "table, csv, json") {
		t.Errorf("New(xml): %v", err)
	}
}

// A download's started entry shows what was asked for, and "-" where its outcome entry will
// have the counts; CSV and JSON keep it as an ordinary entry with outcome "started".
func TestStartedEntry(t *testing.T) {
	e := &custexport.AccessEntry{ID: 1, At: time.Date(2026, 12, 8, 1, 0, 0, 0, time.UTC), Principal: custexport.Principal{Kind: custexport.PrincipalPartner, ID: 7, Name: "Sklad"},
		Channel: custexport.ChannelURL, ClientIP: "192.0.2.1", Format: custexport.FormatCSV, Encoding: custexport.EncodingUTF8,
		Filter: "2024-01-01..", Outcome: custexport.OutcomeStarted}
	for _, format := range Formats {
		var out bytes.Buffer
		w, err := New(format, &out, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Entry(e); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
		row := lines[len(lines)-1]
		if !strings.Contains(row, "started") || !strings.Contains(row, "2024-01-01..") || !strings.Contains(row, "csv") {
			t.Errorf("%s: started entry %q", format, row)
		}
		if format == "table" {
			f := strings.Fields(row)
			if len(f) < 11 || f[6] != "started" || f[7] != "-" || f[8] != "-" || f[9] != "-" || f[10] != "-" {
				t.Errorf("table: the started entry's counts are not all \"-\": %q", row)
			}
		}
	}
}
