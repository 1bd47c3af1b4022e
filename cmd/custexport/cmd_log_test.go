package main

import (
	"context"
	"encoding/csv"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ncruces/go-sqlite3/driver"

	"github.com/custexport/custexport"
)

var hexHash = regexp.MustCompile(`[0-9a-f]{64}`)

// evilAgent is a user agent that tries to forge a log line and drive the terminal.
const evilAgent = "curl/8\r\nX 2099-01-01 00:00:00  operator:root\x1b[2J\x1b]0;pwned\x07"

func TestLogShowsEntries(t *testing.T) {
	c := newCLI(t)
	c.mustRun("seed", "--customers", "12")
	c.mustRun("export", "--format", "csv", "--encoding", "windows-1250", "--from", "2000-01-01", "-o", filepath.Join(t.TempDir(), "c.csv"))
	id := c.addPartner("Sklad s.r.o.")
	sid := strconv.FormatInt(id, 10)
	c.mustRun("partner", "regenerate", sid)
	c.mustRun("partner", "expire", sid, "--valid-until", "2030-06-30")

	db := c.openStore(t)
	at := time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC) // 03:30 in Prague, the night clocks go forward
	for _, e := range []*custexport.AccessEntry{
		{At: at, Principal: custexport.Principal{Kind: custexport.PrincipalPartner, ID: id, Name: "Sklad s.r.o."},
			Channel: custexport.ChannelURL, ClientIP: "203.0.113.9", UserAgent: evilAgent, Format: custexport.FormatXML,
			Encoding: custexport.EncodingUTF8, Outcome: custexport.OutcomeDenied, Reason: "client address 203.0.113.9 not in the link's ip list"},
		{At: at.Add(time.Second), Principal: custexport.Principal{Kind: custexport.PrincipalPartner, ID: 77},
			Channel: custexport.ChannelURL, ClientIP: "2001:db8::1", UserAgent: "=HYPERLINK(\"http://evil\")", Format: custexport.FormatCSV,
			Outcome: custexport.OutcomeDenied, Reason: "unknown or deleted partner 77"},
	} {
		if err := db.AppendAccess(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	const entries = 7 // export started and served, partner created, regenerated, re-dated, and the two above

	t.Run("CSV", func(t *testing.T) {
		out, _ := c.mustRun("log", "--format", "csv")
		records, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil {
			t.Fatalf("log csv does not parse: %v\n%s", err, out)
		}
		if len(records) != entries+1 || records[0][0] != "id" || records[0][1] != "time" {
			t.Fatalf("%d records, want a header and %d entries:\n%s", len(records), entries, out)
		}
		col := map[string]int{}
		for i, name := range records[0] {
			col[name] = i
		}
		get := func(r []string, name string) string { return r[col[name]] }
		if started := records[1]; get(started, "outcome") != "started" || get(started, "rows") != "0" || get(started, "format") != "csv" {
			t.Errorf("the export's started entry %q", started)
		}
		export := records[2]
		if get(export, "outcome") != "served" || get(export, "channel") != "cli" || get(export, "rows") != "12" ||
			get(export, "format") != "csv" || get(export, "encoding") != "windows-1250" || get(export, "filter") != "2000-01-01.." ||
			get(export, "principal_kind") != "operator" {
			t.Errorf("export entry %q", export)
		}
		for i, want := range []string{"created", "regenerated", "valid until 2030-06-30"} {
			r := records[3+i]
			if get(r, "outcome") != "event" || !strings.Contains(get(r, "reason"), want) || !strings.Contains(get(r, "reason"), "Sklad s.r.o.") {
				t.Errorf("partner event %d: %q, want %q", i, r, want)
			}
		}
		// Control characters are escaped in a file as on a terminal (the admin's CSV too), and
		// read back exactly with strconv.Unquote.
		evil := records[6]
		if get(evil, "user_agent") != strconv.Quote(evilAgent) || strings.ContainsAny(out, "\r\x1b\x07") ||
			get(evil, "time") != "2026-03-29T03:30:00.000+02:00" {
			t.Errorf("injected entry %q: the user agent must come back escaped, the time in shop time", evil)
		}
		if got := get(records[7], "user_agent"); got != "'=HYPERLINK(\"http://evil\")" {
			t.Errorf("a formula user agent is %q in csv, want it guarded with a leading '", got)
		}
		for i := 1; i < len(records); i++ {
			if id, _ := strconv.Atoi(records[i][0]); id != i {
				t.Errorf("record %d has id %q: want oldest first", i, records[i][0])
			}
		}
		if hexHash.MatchString(out) {
			t.Error("csv output shows hashes")
		}
	})

	t.Run("JSON", func(t *testing.T) {
		out, _ := c.mustRun("log", "--format", "json")
		lines := jsonLines(t, out)
		if len(lines) != entries {
			t.Fatalf("%d json lines, want %d", len(lines), entries)
		}
		for i, m := range lines {
			if m["id"] != float64(i+1) {
				t.Errorf("line %d has id %v", i+1, m["id"])
			}
			if _, ok := m["hash"]; ok {
				t.Errorf("json line %d carries the chain hash", i+1)
			}
			if i == 5 && m["user_agent"] != evilAgent {
				t.Errorf("json user agent %q", m["user_agent"])
			}
		}
	})

	t.Run("Table", func(t *testing.T) {
		out, _ := c.mustRun("log")
		if strings.ContainsAny(out, "\r\x1b\x07") {
			t.Fatalf("table output carries raw control characters:\n%q", out)
		}
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if len(lines) != entries+1 || !strings.HasPrefix(lines[0], "TIME") {
			t.Fatalf("table has %d lines, want a header and %d; a user agent forged a line?\n%s", len(lines), entries, out)
		}
		if !strings.Contains(lines[6], strconv.Quote(evilAgent)) {
			t.Errorf("the injected user agent is not shown escaped:\n%s", lines[6])
		}
		for _, want := range []string{"2026-03-29T03:30:00.000+02:00", "partner:Sklad s.r.o.", "url", "203.0.113.9", "xml", "denied", "not in the link's ip list"} {
			if !strings.Contains(lines[6], want) {
				t.Errorf("row %q lacks %q", lines[6], want)
			}
		}
		if !strings.Contains(lines[7], "partner:#77") {
			t.Errorf("unknown partner row %q", lines[7])
		}
		if !strings.Contains(lines[1], "csv/windows-1250") || !strings.Contains(lines[1], "started") {
			t.Errorf("started row %q", lines[1])
		}
		if !strings.Contains(lines[2], "operator:") || !strings.Contains(lines[2], "csv/windows-1250") || !strings.Contains(lines[2], "served") {
			t.Errorf("export row %q", lines[2])
		}
		// Aligned: OUTCOME starts at the same column everywhere.
		col := strings.Index(lines[0], "OUTCOME")
		for _, l := range lines[1:] {
			if r := []rune(l); len(r) < col || r[col-1] != ' ' || r[col] == ' ' {
				t.Errorf("column OUTCOME not aligned in %q", l)
			}
		}
		if hexHash.MatchString(out) {
			t.Error("table output shows hashes")
		}
	})

	t.Run("Since", func(t *testing.T) {
		out, errOut := c.mustRun("log", "--since", time.Now().AddDate(0, 0, 2).Format("2006-01-02"))
		if out != "" || !strings.Contains(errOut, "no access log entries") {
			t.Errorf("log --since the day after tomorrow: %q, %q", out, errOut)
		}
		out, _ = c.mustRun("log", "--format", "csv", "--since", "2026-3-29", "--timezone", "Europe/Prague")
		records, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if n := len(records) - 1; err != nil || n < 2 || n > entries {
			t.Errorf("--since 2026-03-29 gave %d entries (%v)", n, err)
		}
		out, _ = c.mustRun("log", "--format", "json", "--since", "2026-03-30", "--timezone", "UTC")
		if strings.Contains(out, "2026-03-29T") {
			t.Errorf("--since 2026-03-30 shows entries of the day before:\n%s", out)
		}
		for _, args := range [][]string{{"--since", "2026-02-30"}, {"--since", "yesterday"}, {"--format", "xml"}, {"list"}} {
			code, out, errOut := c.run(context.Background(), append([]string{"log"}, args...)...)
			if code != exitUsage || out != "" || !strings.Contains(errOut, strings.TrimPrefix(args[0], "-")) {
				t.Errorf("log %v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
			}
		}
		for _, args := range [][]string{{"--help"}, {"verify", "--help"}} {
			if code, _, errOut := c.run(context.Background(), append([]string{"log"}, args...)...); code != exitOK || !strings.Contains(errOut, "log verify") {
				t.Errorf("log %v: exit %d, %q", args, code, errOut)
			}
		}
	})
}

// log verify names each tampering of issue 16 (exit 1), and log head / verify --head catch
// what the database alone cannot. The store-level attacks on both stores are in
// storetest.RunTampering.
func TestLogVerify(t *testing.T) {
	shop := func(t *testing.T) *cli {
		c := newCLI(t)
		c.mustRun("seed", "--customers", "5")
		c.mustRun("export", "--format", "xml", "-o", filepath.Join(t.TempDir(), "c.xml"))
		id := c.addPartner("Účetní")
		c.mustRun("partner", "regenerate", strconv.FormatInt(id, 10))
		c.mustRun("partner", "delete", strconv.FormatInt(id, 10))
		return c
	}
	tamper := func(t *testing.T, c *cli, stmts ...string) {
		t.Helper()
		db, err := driver.Open("file:" + filepath.Join(c.dataDir, "custexport.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		for _, stmt := range stmts {
			if _, err := db.Exec(stmt); err != nil {
				t.Fatal(err)
			}
		}
	}
	c := shop(t)
	// 5 entries: the export's started and served entries, and three partner events.
	out, errOut := c.mustRun("log", "verify")
	if out != "access log intact: 5 entries verified (head at entry 5)\n" || errOut != "" {
		t.Fatalf("log verify on an intact log: %q, %q", out, errOut)
	}
	head, _ := c.mustRun("log", "head")
	if !strings.HasPrefix(head, "custexport-head-v1:5:") {
		t.Fatalf("log head printed %q", head)
	}
	if _, errOut := c.mustRun("log", "verify", "--head", strings.TrimSpace(head)); !strings.Contains(errOut, "agrees with the head") {
		t.Fatalf("verify --head on an intact log: %q", errOut)
	}
	if code, _, errOut := c.run(context.Background(), "log", "verify", "--head", "custexport-head-v1:5:1:ab:cd"); code != exitUsage || !strings.Contains(errOut, "log head") {
		t.Fatalf("a malformed --head: exit %d, %q", code, errOut)
	}
	if code, _, _ := c.run(context.Background(), "log", "verify", "now"); code != exitUsage {
		t.Errorf("log verify with an argument: exit %d, want %d", code, exitUsage)
	}

	for _, tc := range []struct {
		name  string
		stmts []string
		want  string
	}{
		{"Altered", []string{`UPDATE access_log SET rows = rows + 1 WHERE id = 2`}, "access log not intact: entry 2 was altered or written without the key"},
		{"MiddleRemoved", []string{`DELETE FROM access_log WHERE id = 3`}, "entry 4 does not follow the entry before it"},
		{"NewestRemoved", []string{`DELETE FROM access_log WHERE id >= 4`}, "the newest entries were removed: the signed head"},
		{"OldestRemoved", []string{`DELETE FROM access_log WHERE id <= 2`}, "entry 3 is the oldest entry, but entries before it were removed and no retention marker accounts for them"},
		{"AllRemoved", []string{`DELETE FROM access_log`}, "counts 5 entries, the log ends at 0"},
		{"Rechained", []string{`UPDATE access_log SET reason = 'nothing happened', hash = 'x' WHERE id = 5`}, "entry 5 was altered"},
		{"HeadForged", []string{`UPDATE access_head SET entries = 3`}, "head is not signed with this shop's master key"},
		{"EverythingRemoved", []string{`DELETE FROM access_log`, `DELETE FROM access_checkpoint`, `DELETE FROM access_head`, `DELETE FROM master_key`},
			"the outside head of"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := shop(t)
			head, _ := c.mustRun("log", "head")
			tamper(t, c, tc.stmts...)
			code, out, errOut := c.run(context.Background(), "log", "verify", "--head", strings.TrimSpace(head))
			if code != exitError || out != "" || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit 1 saying %q", code, out, errOut, tc.want)
			}
		})
	}
}
