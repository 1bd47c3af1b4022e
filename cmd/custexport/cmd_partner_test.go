package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/linksign"
	"github.com/custexport/custexport/internal/sqlite"
)

// runWithEnv runs the command in c's data directory with extra environment variables.
func (c *cli) runWithEnv(env map[string]string, args ...string) (code int, stdout, stderr string) {
	c.t.Helper()
	return c.runWith(context.Background(), "", env, args...)
}

// openStore opens the CLI's database directly, as a second user of it.
func (c *cli) openStore(t *testing.T) *sqlite.DB {
	t.Helper()
	return c.openSQLite()
}

// addPartner runs `partner add` and returns the id it printed.
func (c *cli) addPartner(args ...string) int64 {
	c.t.Helper()
	out, errOut := c.mustRun(append([]string{"partner", "add"}, args...)...)
	id, err := strconv.ParseInt(strings.TrimSuffix(out, "\n"), 10, 64)
	if err != nil || out != strconv.FormatInt(id, 10)+"\n" {
		c.t.Fatalf("partner add printed %q on stdout, want the id and a newline", out)
	}
	if !strings.Contains(errOut, "created partner "+strconv.FormatInt(id, 10)) {
		c.t.Errorf("partner add stderr %q", errOut)
	}
	return id
}

// linkVerifies reports whether link is valid for partner id under the data directory's master
// key (or key, when given) and the partner's current salt.
func (c *cli) linkVerifies(t *testing.T, link string, id int64, key []byte) bool {
	t.Helper()
	link = strings.TrimSuffix(link, "\n")
	u, err := url.Parse(link)
	if err != nil {
		t.Fatalf("printed link %q: %v", link, err)
	}
	params, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		t.Fatalf("printed link %q: %v", link, err)
	}
	if key == nil {
		if key, err = linksign.LoadOrCreateMasterKey(filepath.Join(c.dataDir, "master.key")); err != nil {
			t.Fatal(err)
		}
	}
	signer, err := linksign.New(key)
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.openStore(t).Partner(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return signer.Verify(id, p.LinkSalt, u.Path, params, params.Get("hash"))
}

func mustParseLink(t *testing.T, link string) (*url.URL, url.Values) {
	t.Helper()
	u, err := url.Parse(strings.TrimSuffix(link, "\n"))
	if err != nil || !strings.HasSuffix(link, "\n") || strings.Count(link, "\n") != 1 {
		t.Fatalf("stdout %q is not one link on one line", link)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		t.Fatal(err)
	}
	return u, q
}

func TestPartnerLifecycle(t *testing.T) {
	c := newShop(t)
	id := c.addPartner("Účetní Novák", "--note", "daily sync by cron", "--valid-until", "2099-12-31")
	other := c.addPartner("--valid-until", "2099-1-1", "Sklad") // flags before the name work too

	// The shop's master key signs links and the access log (partner add writes an event to it):
	// the shop has one, private to it.
	if st, err := os.Stat(filepath.Join(c.dataDir, "master.key")); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("the shop's master key file: %v, %v; want mode 0600", st, err)
	}

	t.Run("List", func(t *testing.T) {
		out, _ := c.mustRun("partner", "list")
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if len(lines) != 3 || !strings.HasPrefix(lines[0], "ID") {
			t.Fatalf("list:\n%s", out)
		}
		for _, want := range []string{strconv.FormatInt(id, 10), "Účetní Novák", "2099-12-31", "active", "never", "daily sync by cron"} {
			if !strings.Contains(lines[1], want) {
				t.Errorf("list row %q lacks %q", lines[1], want)
			}
		}
		// Aligned: the NAME column starts at the same place in every line.
		col := strings.Index(lines[0], "NAME")
		if col < 0 || len(lines[2]) < col || !strings.HasPrefix(lines[2][col:], "Sklad") {
			t.Errorf("columns not aligned:\n%s", out)
		}

		out, _ = c.mustRun("partner", "list", "--format", "json")
		got := jsonLines(t, out)
		if len(got) != 2 || got[0]["name"] != "Účetní Novák" || got[0]["note"] != "daily sync by cron" ||
			got[0]["valid_until"] != "2099-12-31" || got[0]["state"] != "active" || got[0]["last_used_at"] != nil {
			t.Errorf("json list: %v", got)
		}
		if strings.Contains(strings.ToLower(out), "salt") {
			t.Errorf("json list shows the salt: %s", out)
		}
	})

	var csvLink string
	t.Run("URL", func(t *testing.T) {
		out, errOut := c.mustRun("partner", "url", strconv.FormatInt(id, 10), "--format", "csv", "--encoding", "cp1250",
			"--from", "2024-1-5", "--until", "2024-12-31", "--no-guard", "--ip", " 10.1.2.3/8, ::ffff:192.0.2.1 ,10.0.0.0/8")
		csvLink = strings.TrimSuffix(out, "\n")
		u, q := mustParseLink(t, out)
		if u.Scheme+"://"+u.Host != "http://localhost:8080" || u.Path != "/export/customers.csv" {
			t.Errorf("link %s: want http://localhost:8080/export/customers.csv", csvLink)
		}
		want := url.Values{
			"partnerId": {strconv.FormatInt(id, 10)}, "dateFrom": {"2024-01-05"}, "dateUntil": {"2024-12-31"},
			"encoding": {"windows-1250"}, "guard": {"0"}, "ip": {"10.0.0.0/8,192.0.2.1"}, "hash": {q.Get("hash")},
		}
		if len(q) != len(want) {
			t.Errorf("link parameters %v, want %v", q, want)
		}
		for name, v := range want {
			if q.Get(name) != v[0] || len(q[name]) != 1 {
				t.Errorf("link %s=%q, want %q", name, q[name], v[0])
			}
		}
		if !c.linkVerifies(t, csvLink, id, nil) {
			t.Errorf("link %s does not verify with the data directory's master key", csvLink)
		}
		for _, w := range []string{"Anyone holding this link", "Účetní Novák", "CSV (windows-1250)", "5 Jan 2024", "31 Dec 2024",
			"formula guard off", "only from 10.0.0.0/8, 192.0.2.1"} {
			if !strings.Contains(errOut, w) {
				t.Errorf("stderr %q does not mention %q", errOut, w)
			}
		}
		if strings.Contains(errOut, "warning") || strings.Count(errOut, "\n") != 1 {
			t.Errorf("want exactly one sentence, no advice (guard off, a range) and no warning for localhost: %q", errOut)
		}

		st, err := os.Stat(filepath.Join(c.dataDir, "master.key"))
		if err != nil {
			t.Fatal(err)
		}
		if perm := st.Mode().Perm(); perm != 0o600 {
			t.Errorf("master.key has mode %04o, want 0600", perm)
		}
		key, _ := os.ReadFile(filepath.Join(c.dataDir, "master.key"))
		if k := strings.TrimSpace(string(key)); len(k) != 64 || strings.Contains(out+errOut, k) || strings.Contains(out+errOut, k[:16]) {
			t.Errorf("the master key file is wrong or its content was printed")
		}

		out, errOut = c.mustRun("partner", "url", strconv.FormatInt(other, 10), "--format", "XML")
		u, q = mustParseLink(t, out)
		if u.Path != "/export/customers.xml" || len(q) != 2 || q.Get("partnerId") != strconv.FormatInt(other, 10) {
			t.Errorf("plain XML link %s: want only partnerId and hash", out)
		}
		if !c.linkVerifies(t, out, other, nil) || c.linkVerifies(t, strings.Replace(out, "partnerId="+strconv.FormatInt(other, 10), "partnerId="+strconv.FormatInt(id, 10), 1), id, nil) {
			t.Error("a partner's link verifies for the wrong partner or not for its own")
		}
		if !strings.Contains(errOut, "all registered customers as XML") || strings.Contains(errOut, "only from") {
			t.Errorf("stderr %q", errOut)
		}
		// A plain link is what programs are pointed at: the advice says guard, window and hash.
		for _, w := range []string{"note: Programs (Keboola, CRM, accounting) usually want the formula guard off", "'+420",
			"note: The link has no date range: a program may choose its own window by adding dateFrom and dateUntil",
			"note: A program that keeps only the hash (e.g. Daktela) may call the link without its other parameters: /export/customers.xml?hash="} {
			if !strings.Contains(errOut, w) {
				t.Errorf("stderr %q does not say %q", errOut, w)
			}
		}
		// A CSV in UTF-8 carries no encoding parameter.
		out, _ = c.mustRun("partner", "url", strconv.FormatInt(other, 10), "--format", "csv", "--encoding", "utf-8", "--ip", "")
		if _, q := mustParseLink(t, out); len(q) != 2 {
			t.Errorf("utf-8 CSV link %s has extra parameters", out)
		}
	})

	t.Run("PublicURL", func(t *testing.T) {
		code, out, errOut := c.runWithEnv(map[string]string{"CUSTEXPORT_PUBLIC_URL": "http://shop.example"},
			"partner", "url", strconv.FormatInt(id, 10), "--format", "xlsx")
		if code != exitOK || !strings.HasPrefix(out, "http://shop.example/export/customers.xlsx?partnerId=") {
			t.Fatalf("exit %d, link %q", code, out)
		}
		if !strings.Contains(errOut, "warning") || !strings.Contains(errOut, "http://") {
			t.Errorf("no plain-http warning for a public host: %q", errOut)
		}
		code, out, errOut = c.runWithEnv(map[string]string{"CUSTEXPORT_PUBLIC_URL": "http://shop.example"},
			"partner", "url", strconv.FormatInt(id, 10), "--format", "xlsx", "--public-url", "https://shop.example/custexport/")
		if code != exitOK || !strings.HasPrefix(out, "https://shop.example/custexport/export/customers.xlsx?partnerId=") || strings.Contains(errOut, "warning") {
			t.Fatalf("--public-url does not win: exit %d, link %q, stderr %q", code, out, errOut)
		}
		// The path prefix belongs to the reverse proxy, which strips it: the server sees and
		// verifies /export/customers.xlsx.
		if !c.linkVerifies(t, strings.Replace(out, "/custexport/export/", "/export/", 1), id, nil) {
			t.Error("a link under a path prefix does not verify")
		}
		for _, bad := range []string{"shop.example", "ftp://shop.example", "https://shop.example/?x=1", "https://user:pw@shop.example"} {
			code, out, errOut := c.run(context.Background(), "partner", "url", strconv.FormatInt(id, 10), "--format", "xml", "--public-url", bad)
			if code != exitUsage || out != "" || !strings.Contains(errOut, "--public-url") {
				t.Errorf("--public-url %s: exit %d, stdout %q, stderr %q", bad, code, out, errOut)
			}
		}
	})

	t.Run("BadInput", func(t *testing.T) {
		sid := strconv.FormatInt(id, 10)
		cases := []struct {
			name string
			args []string
			code int
			want []string
		}{
			{"BadIPEntry", []string{"url", sid, "--format", "csv", "--ip", "10.0.0.1, 300.1.1.1"}, exitUsage, []string{"--ip", `"300.1.1.1"`, "entry 2"}},
			{"EmptyIPEntry", []string{"url", sid, "--format", "csv", "--ip", "10.0.0.1,,10.0.0.2"}, exitUsage, []string{"--ip", "entry 2"}},
			{"NoFormat", []string{"url", sid}, exitUsage, []string{"--format: a value is required"}},
			{"UnknownFormat", []string{"url", sid, "--format", "pdf"}, exitUsage, []string{"--format", "pdf"}},
			{"EncodingForXML", []string{"url", sid, "--format", "xml", "--encoding", "windows-1250"}, exitUsage, []string{"CSV only"}},
			{"BadFrom", []string{"url", sid, "--format", "csv", "--from", "2024-02-30"}, exitUsage, []string{"--from", "no day 30"}},
			{"FromAfterUntil", []string{"url", sid, "--format", "csv", "--from", "2024-05-02", "--until", "2024-05-01"}, exitUsage, []string{"--from", "after --until"}},
			{"NoID", []string{"url", "--format", "csv"}, exitUsage, []string{"ID is required"}},
			{"TwoIDs", []string{"url", sid, sid, "--format", "csv"}, exitUsage, []string{"unexpected argument"}},
			{"IDNotANumber", []string{"url", "abc", "--format", "csv"}, exitUsage, []string{"positive whole number", `"abc"`}},
			{"IDZero", []string{"delete", "0"}, exitUsage, []string{"positive whole number"}},
			{"IDFraction", []string{"regenerate", "1.5"}, exitUsage, []string{"positive whole number"}},
			{"IDNegative", []string{"expire", "-4", "--valid-until", "none"}, exitUsage, nil},
			{"IDTooBig", []string{"delete", "99999999999999999999"}, exitUsage, []string{"positive whole number"}},
			{"UnknownID", []string{"url", "999", "--format", "csv"}, exitError, []string{"partner 999 does not exist"}},
			{"EmptyName", []string{"add", ""}, exitUsage, []string{"NAME"}},
			{"BlankName", []string{"add", "  "}, exitUsage, []string{"NAME"}},
			{"NoName", []string{"add", "--note", "x"}, exitUsage, []string{"NAME is required"}},
			// The domain's rule (custexport.ValidatePartner), the same the stores and the admin form apply.
			{"ControlInName", []string{"add", "Evil\x1b[2J"}, exitUsage, []string{"NAME:", "U+001B"}},
			{"BidiInName", []string{"add", "Sklad\u202eexe.txt"}, exitUsage, []string{"NAME:", "U+202E"}},
			{"NewLineInNote", []string{"add", "X", "--note", "daily\nsync"}, exitUsage, []string{"--note:", "U+000A"}},
			{"LongName", []string{"add", strings.Repeat("n", custexport.MaxPartnerNameLength+1)}, exitUsage, []string{"NAME:", "at most"}},
			{"BadValidUntil", []string{"add", "X", "--valid-until", "31.12.2025"}, exitUsage, []string{"--valid-until", "YYYY-MM-DD"}},
			{"ExpireWithoutDate", []string{"expire", sid}, exitUsage, []string{"--valid-until is required"}},
			{"ListFormat", []string{"list", "--format", "csv"}, exitUsage, []string{"--format", "table, json"}},
			{"UnknownSubcommand", []string{"rename", sid}, exitUsage, []string{"unknown partner command"}},
			{"NoSubcommand", []string{}, exitUsage, []string{"add", "regenerate"}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				c.refuses(t, nil, tc.code, tc.want, append([]string{"partner"}, tc.args...)...)
			})
		}
		out, _ := c.mustRun("partner", "list")
		if strings.Count(out, "\n") != 3 {
			t.Errorf("refused commands changed the partners:\n%s", out)
		}
	})

	t.Run("Help", func(t *testing.T) {
		for _, sub := range []string{"add", "list", "url", "regenerate", "expire", "delete"} {
			code, _, errOut := c.run(context.Background(), "partner", sub, "--help")
			if code != exitOK || !strings.Contains(errOut, "Usage: custexport partner "+sub) || !strings.Contains(errOut, "-data-dir") {
				t.Errorf("partner %s --help: exit %d, %q", sub, code, errOut)
			}
		}
		code, _, errOut := c.run(context.Background(), "partner", "--help")
		if code != exitOK || !strings.Contains(errOut, "regenerate") {
			t.Errorf("partner --help: exit %d, %q", code, errOut)
		}
	})

	t.Run("Regenerate", func(t *testing.T) {
		otherLink, _ := c.mustRun("partner", "url", strconv.FormatInt(other, 10), "--format", "xml")
		if !c.linkVerifies(t, csvLink, id, nil) {
			t.Fatal("link does not verify before regenerate")
		}
		_, errOut := c.mustRun("partner", "regenerate", strconv.FormatInt(id, 10))
		if !strings.Contains(errOut, "regenerated partner") {
			t.Errorf("stderr %q", errOut)
		}
		if c.linkVerifies(t, csvLink, id, nil) {
			t.Error("the link issued before regenerate still verifies")
		}
		if !c.linkVerifies(t, otherLink, other, nil) {
			t.Error("regenerating one partner broke another partner's link")
		}
		out, _ := c.mustRun("partner", "url", strconv.FormatInt(id, 10), "--format", "csv")
		if !c.linkVerifies(t, out, id, nil) {
			t.Error("a link made after regenerate does not verify")
		}
	})

	t.Run("Expire", func(t *testing.T) {
		sid := strconv.FormatInt(id, 10)
		_, errOut := c.mustRun("partner", "expire", sid, "--valid-until", "2020-02-29")
		if !strings.Contains(errOut, "expired on 2020-02-29") {
			t.Errorf("stderr %q", errOut)
		}
		out, _ := c.mustRun("partner", "list")
		if row := rowOf(out, sid); !strings.Contains(row, "2020-02-29") || !strings.Contains(row, "expired") {
			t.Errorf("expired partner's row %q", row)
		}
		_, errOut = c.mustRun("partner", "url", sid, "--format", "csv")
		if !strings.Contains(errOut, "warning: partner "+sid+" expired") {
			t.Errorf("no warning for an expired partner's link: %q", errOut)
		}
		c.mustRun("partner", "expire", "--valid-until", "none", sid)
		out, _ = c.mustRun("partner", "list")
		if row := rowOf(out, sid); strings.Contains(row, "2020") || !strings.Contains(row, "—") || !strings.Contains(row, "active") {
			t.Errorf("row after clearing the expiry: %q", row)
		}
	})

	t.Run("Delete", func(t *testing.T) {
		sid := strconv.FormatInt(id, 10)
		_, errOut := c.mustRun("partner", "delete", sid)
		if !strings.Contains(errOut, "deleted partner "+sid) {
			t.Errorf("stderr %q", errOut)
		}
		out, _ := c.mustRun("partner", "list")
		if strings.Contains(out, "Účetní Novák") || !strings.Contains(out, "Sklad") {
			t.Errorf("list after delete:\n%s", out)
		}
		for _, args := range [][]string{
			{"url", sid, "--format", "csv"}, {"regenerate", sid}, {"delete", sid}, {"expire", sid, "--valid-until", "2030-01-01"},
		} {
			code, out, errOut := c.run(context.Background(), append([]string{"partner"}, args...)...)
			if code != exitError || out != "" || !strings.Contains(errOut, "partner "+sid+" does not exist") {
				t.Errorf("partner %v on a deleted partner: exit %d, stdout %q, stderr %q", args, code, out, errOut)
			}
		}
		// A new partner never takes the deleted one's id.
		if again := c.addPartner("Účetní Novák"); again == id {
			t.Errorf("a new partner reused the deleted id %d", id)
		}
	})
}

// rowOf returns the table line whose first column is id.
func rowOf(table, id string) string {
	for _, line := range strings.Split(table, "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == id {
			return line
		}
	}
	return ""
}

func TestPartnerMasterKeyFromEnvironment(t *testing.T) {
	c := newCLI(t)
	key := bytes.Repeat([]byte{0x5a}, linksign.MasterKeySize)
	env := map[string]string{"CUSTEXPORT_MASTER_KEY": hex.EncodeToString(key)}
	if code, _, errOut := c.runWithEnv(env, "migrate"); code != exitOK {
		t.Fatalf("migrate: exit %d: %s", code, errOut)
	}
	code, out, errOut := c.runWithEnv(env, "partner", "add", "Env")
	id, _ := strconv.ParseInt(strings.TrimSpace(out), 10, 64)
	if code != exitOK || id == 0 {
		t.Fatalf("partner add: exit %d: %s", code, errOut)
	}
	code, out, errOut = c.runWithEnv(env, "partner", "url", strconv.FormatInt(id, 10), "--format", "csv")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !c.linkVerifies(t, strings.TrimSpace(out), id, key) {
		t.Error("link does not verify with the key from CUSTEXPORT_MASTER_KEY")
	}
	if _, err := os.Stat(filepath.Join(c.dataDir, "master.key")); err == nil {
		t.Error("a key file was created although the key came from the environment")
	}

	bad := hex.EncodeToString(key)[:63] + "g"
	code, out, errOut = c.runWithEnv(map[string]string{"CUSTEXPORT_MASTER_KEY": bad}, "partner", "url", strconv.FormatInt(id, 10), "--format", "csv")
	if code != exitError || out != "" || !strings.Contains(errOut, "CUSTEXPORT_MASTER_KEY") || strings.Contains(errOut, bad[:20]) {
		t.Errorf("bad master key: exit %d, stdout %q, stderr %q (must name the variable, never the value)", code, out, errOut)
	}
}

// A key file others can read is refused: the link it would sign may already be forged.
func TestPartnerURLRefusesOpenKeyFile(t *testing.T) {
	c := newShop(t)
	id := c.addPartner("Open")
	path := filepath.Join(c.dataDir, "master.key")
	if err := os.WriteFile(path, []byte(strings.Repeat("ab", 32)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(path, 0o644) // whatever the umask
	code, out, errOut := c.run(context.Background(), "partner", "url", strconv.FormatInt(id, 10), "--format", "csv")
	if code != exitError || out != "" || !strings.Contains(errOut, "chmod 600") || strings.Contains(errOut, "abab") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}
