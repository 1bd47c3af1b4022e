package web

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/url"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/sqlite"
	"github.com/custexport/custexport/internal/xlsxfile"
)

// The programs written for Shoptet's customer URL (SPEC section 15), replayed on real HTTP by
// the scripts in testdata/shoptet-clients, which re-express their public code's behaviour with
// the Python standard library (openpyxl for the XLSX reader).

// systemPython is Debian's interpreter, which has python3-openpyxl (.ci/run installs both); the
// python3 first on PATH may be another build without it.
const systemPython = "/usr/bin/python3"

// runClient runs a client script and decodes the JSON it prints.
func runClient(t *testing.T, out any, script string, args ...string) {
	t.Helper()
	cmd := exec.Command(systemPython, append([]string{"../../testdata/shoptet-clients/" + script}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if exit, ok := err.(*exec.ExitError); err != nil && !(ok && exit.ExitCode() == 1 && stdout.Len() > 0) {
		t.Fatalf("%s: %v\n%s%s", script, err, stdout.String(), stderr.String())
	}
	if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
		t.Fatalf("%s printed %q: %v (stderr %s)", script, stdout.String(), err, stderr.String())
	}
}

// keboolaRun is what keboola_extractor.py reports.
type keboolaRun struct {
	Requests []struct {
		URL, DateFrom, DateUntil string
		Status, Rows             int
		Keys                     []string
	}
	Columns []string
	Table   map[string]map[string]string
	Error   string
}

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// allAccountGUIDs downloads every customer by a plain CSV link and returns guid → accountGuid.
func (f *fixture) allAccountGUIDs() map[string]string {
	f.t.Helper()
	resp, body := f.get(f.link(f.partner, "customers.csv", url.Values{"guard": {"0"}}))
	if resp.StatusCode != 200 {
		f.t.Fatalf("full download: %d", resp.StatusCode)
	}
	records := readCSV(f.t, body)
	if len(records[0]) < 2 || records[0][0] != "guid" || records[0][1] != "accountGuid" {
		f.t.Fatalf("the CSV header starts %q, want guid then accountGuid", records[0][:min(len(records[0]), 3)])
	}
	all := map[string]string{}
	for _, r := range records[1:] {
		all[r[0]] = r[1]
	}
	return all
}

// Keboola's extractor, pointed at a link signed without a range, in UTF-8 and windows-1250:
// one request for the default window, then a backfill in yearly chunks. Every request is
// served, accountGuid is there and unique, every chunk holds only its own days, and the union
// is every customer exactly once.
func TestKeboolaExtractorReplay(t *testing.T) {
	f := newFixture(t, 400)
	all := f.allAccountGUIDs()
	byAccount := map[string]string{}
	for guid, account := range all {
		if !uuidPattern.MatchString(account) {
			t.Fatalf("customer %s has accountGuid %q, not a lowercase UUID", guid, account)
		}
		byAccount[account] = guid
	}
	if len(byAccount) != len(all) || len(all) != 400 {
		t.Fatalf("%d customers with %d distinct accountGuids, want 400 of each", len(all), len(byAccount))
	}
	names := map[string]string{} // accountGuid → billingFullName, from the UTF-8 run
	for _, charset := range []string{"utf-8", "windows-1250"} {
		params := url.Values{"guard": {"0"}}
		if charset == "windows-1250" {
			params.Set("encoding", charset)
		}
		link := f.link(f.partner, "customers.csv", params)
		for _, chunkDays := range []string{"0", "365"} {
			t.Run(charset+"/chunk"+chunkDays, func(t *testing.T) {
				var run keboolaRun
				runClient(t, &run, "keboola_extractor.py", link, charset, "--chunk-days", chunkDays)
				if run.Error != "" {
					t.Fatalf("the extractor failed: %s (requests %+v)", run.Error, run.Requests)
				}
				if want := 1; chunkDays == "365" && len(run.Requests) < 15 || chunkDays == "0" && len(run.Requests) != want {
					t.Fatalf("%d requests for chunks of %s days", len(run.Requests), chunkDays)
				}
				if i := slices.Index(run.Columns, "accountGuid"); i != 1 || run.Columns[0] != "guid" {
					t.Errorf("normalized columns %q: want guid, accountGuid first", run.Columns[:min(3, len(run.Columns))])
				}
				for _, req := range run.Requests {
					if req.Status != 200 {
						t.Fatalf("%s: status %d", req.URL, req.Status)
					}
					if !strings.Contains(req.URL, "hash=") || strings.Index(req.URL, "dateFrom") < strings.Index(req.URL, "hash=") {
						t.Errorf("%s: the replay did not append the dates after the hash, as Keboola does", req.URL)
					}
					for _, key := range req.Keys {
						day := run.Table[key]["registrationDate"][:10]
						if day < req.DateFrom || day > req.DateUntil {
							t.Errorf("customer %s registered %s came in the chunk %s..%s", key, day, req.DateFrom, req.DateUntil)
						}
					}
				}
				if len(run.Table) != len(all) {
					t.Fatalf("the table holds %d customers, the shop %d", len(run.Table), len(all))
				}
				for account, row := range run.Table {
					if byAccount[account] == "" || row["guid"] != byAccount[account] {
						t.Fatalf("table row %s with guid %q is not the shop's customer", account, row["guid"])
					}
					if charset == "utf-8" {
						names[account] = row["billingFullName"]
					} else if names[account] != "" && row["billingFullName"] != names[account] {
						t.Errorf("%s: windows-1250 read %q, UTF-8 %q", account, row["billingFullName"], names[account])
					}
				}
			})
		}
	}
}

// A link signed with a range never serves outside it: Keboola replaces its dates with its own
// window and gets 403, with the reason in the access log.
func TestKeboolaOnRangeLinkIsRefused(t *testing.T) {
	f := newFixture(t, 20)
	link := f.link(f.partner, "customers.csv", url.Values{"dateFrom": {"2024-01-01"}, "dateUntil": {"2024-12-31"}})
	var run keboolaRun
	runClient(t, &run, "keboola_extractor.py", link, "utf-8")
	if run.Error != "HTTP 403" || len(run.Requests) != 1 || run.Requests[0].Status != 403 {
		t.Fatalf("the extractor on a range link: %+v, want one request refused with 403", run)
	}
	if e := f.lastLog(); e.Outcome != custexport.OutcomeDenied || !strings.Contains(e.Reason, "hash malformed or wrong") {
		t.Errorf("logged %s %q", e.Outcome, e.Reason)
	}
}

// daktelaRun is what daktela.py reports.
type daktelaRun struct {
	Status    int
	Body      string
	Customers []struct{ GUID, AccountGUID string } `json:"customers"`
}

func (r *daktelaRun) UnmarshalJSON(b []byte) error {
	var raw struct {
		Status    int
		Body      string
		Customers []map[string]string
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	r.Status, r.Body = raw.Status, raw.Body
	for _, c := range raw.Customers {
		r.Customers = append(r.Customers, struct{ GUID, AccountGUID string }{c["guid"], c["accountGuid"]})
	}
	return nil
}

// Daktela keeps only the hash the admin copies from a plain link and calls the path with it,
// for CSV and XML; a wrong hash, or the hash of a link with an ip list, is a generic 403.
func TestDaktelaHashAloneReplay(t *testing.T) {
	f := newFixture(t, 60)
	all := f.allAccountGUIDs()
	for _, format := range []string{"csv", "xml"} {
		link := f.link(f.partner, "customers."+format, nil)
		var run daktelaRun
		runClient(t, &run, "daktela.py", f.srv.URL, link[len(link)-64:], format)
		if run.Status != 200 || len(run.Customers) != len(all) {
			t.Fatalf("%s by the hash alone: status %d, %d customers, want 200 and %d", format, run.Status, len(run.Customers), len(all))
		}
		for _, c := range run.Customers {
			if all[c.GUID] == "" || c.AccountGUID != all[c.GUID] {
				t.Errorf("%s: customer %s with accountGuid %q, the CSV says %q", format, c.GUID, c.AccountGUID, all[c.GUID])
			}
		}
		if e := f.lastLog(); e.Outcome != custexport.OutcomeServed || e.Principal != f.partner.Principal() || e.Rows != int64(len(all)) {
			t.Errorf("%s by the hash alone logged %+v", format, e)
		}
	}
	ipLink := f.link(f.partner, "customers.csv", url.Values{"ip": {"127.0.0.1"}})
	for name, hash := range map[string]string{"Wrong": strings.Repeat("0", 64), "OfAnIPLink": ipLink[len(ipLink)-64:]} {
		var run daktelaRun
		runClient(t, &run, "daktela.py", f.srv.URL, hash, "csv")
		if run.Status != 403 || run.Body != "Přístup odepřen.\n" {
			t.Errorf("%s hash alone: %d %q, want the generic 403", name, run.Status, run.Body)
		}
	}
}

// openpyxl in read-only mode sizes every sheet by its <dimension>: on a download split over
// several sheets (the per-sheet limit lowered), it reports the true rows and columns of each.
func TestOpenpyxlReadOnlyRowCounts(t *testing.T) {
	f := startFixture(t, 100, func(s *Server, _ *sqlite.DB) {
		s.Engine.Encoders[custexport.FormatXLSX] = func(w io.Writer, o custexport.EncodeOptions) custexport.Encoder {
			return xlsxfile.New(w, xlsxfile.Options{EncodeOptions: o, MaxDataRowsPerSheet: 40})
		}
	})
	var run struct {
		Sheets []struct {
			Name      string
			MaxRow    int `json:"max_row"` // null (0): the sheet has no <dimension>
			MaxColumn int `json:"max_column"`
			Rows      int
		}
	}
	runClient(t, &run, "openpyxl_readonly.py", f.link(f.partner, "customers.xlsx", nil))
	columns := custexport.NumColumns
	want := []struct {
		name string
		rows int
	}{{"Customers", 41}, {"Customers 2", 41}, {"Customers 3", 21}}
	if len(run.Sheets) != len(want) {
		t.Fatalf("sheets %+v, want %d", run.Sheets, len(want))
	}
	for i, s := range run.Sheets {
		if s.Name != want[i].name || s.MaxRow != want[i].rows || s.Rows != want[i].rows || s.MaxColumn != columns {
			t.Errorf("sheet %+v: want %s with max_row %d (header and customers), max_column %d", s, want[i].name, want[i].rows, columns)
		}
	}
}

// readCSV parses a semicolon CSV download (byte-order mark skipped).
func readCSV(t *testing.T, body string) [][]string {
	t.Helper()
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff")))
	r.Comma = ';'
	records, err := r.ReadAll()
	if err != nil {
		t.Fatalf("reading the CSV: %v", err)
	}
	return records
}
