package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/logformat"
	"github.com/custexport/custexport/internal/password"
)

// runWithStdin runs the command in c's data directory with stdin as its standard input (not a
// terminal, as in a script).
func (c *cli) runWithStdin(stdin string, args ...string) (code int, stdout, stderr string) {
	c.t.Helper()
	return c.runWith(context.Background(), stdin, nil, args...)
}

// userHash returns the stored password hash of the user, or "" when there is no such user.
func (c *cli) userHash(t *testing.T, name string) string {
	t.Helper()
	u, err := c.openStore(t).UserByName(context.Background(), name)
	if custexport.ErrorCode(err) == custexport.CodeNotFound {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return u.PasswordHash
}

func verifies(t *testing.T, pw, hash string) bool {
	t.Helper()
	ok, err := password.Verify(pw, hash)
	if err != nil {
		t.Fatalf("stored hash %q: %v", hash, err)
	}
	return ok
}

func TestUserLifecycle(t *testing.T) {
	c := newShop(t)
	const firstPassword = "correct horse battery"
	// Every password this test sets, to check that none of them is ever printed or logged.
	secrets := []string{firstPassword}

	code, out, errOut := c.runWithStdin(firstPassword+"\nsecond line is ignored\n", "user", "add", "Šárka Nováková", "--password-stdin")
	if code != exitOK || out != "" || !strings.Contains(errOut, `created user 1 "Šárka Nováková"`) {
		t.Fatalf("user add: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	hash := c.userHash(t, "šárka nováková")
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$") || !verifies(t, firstPassword, hash) {
		t.Fatalf("stored hash %q does not verify the password given on standard input", hash)
	}

	t.Run("Duplicate", func(t *testing.T) {
		for _, name := range []string{"Šárka Nováková", "ŠÁRKA NOVÁKOVÁ", "  šárka nováková "} {
			code, out, errOut := c.runWithStdin("another good password\n", "user", "add", name, "--password-stdin")
			if code != exitError || out != "" || !strings.Contains(errOut, `is taken by user 1 "Šárka Nováková"`) {
				t.Errorf("user add %q again: exit %d, stdout %q, stderr %q", name, code, out, errOut)
			}
		}
		if h := c.userHash(t, "Šárka Nováková"); h != hash {
			t.Error("a refused add changed the existing user's password")
		}
	})

	t.Run("PasswordRefused", func(t *testing.T) {
		cases := []struct {
			name, stdin string
			want        []string
		}{
			{"TooShort", "elevenchars\n", []string{"password: it has 11 characters; at least 12 are required"}},
			{"TooShortWithoutNewline", "short", []string{"at least 12"}},
			{"TooLong", strings.Repeat("x", password.MaxBytes+1) + "\n", []string{"1025 bytes long; at most 1024"}},
			{"FarTooLong", strings.Repeat("x", 100000), []string{"at most 1024"}},
			{"Empty", "", []string{"first line of standard input is empty"}},
			{"EmptyFirstLine", "\ncorrect horse battery\n", []string{"first line of standard input is empty"}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				code, out, errOut := c.runWithStdin(tc.stdin, "user", "add", "novak", "--password-stdin")
				if code != exitError || out != "" {
					t.Errorf("exit %d, stdout %q; want 1 and nothing", code, out)
				}
				for _, w := range tc.want {
					if !strings.Contains(errOut, w) {
						t.Errorf("stderr %q does not say %q", errOut, w)
					}
				}
				if strings.TrimSpace(tc.stdin) != "" && strings.Contains(errOut, strings.TrimSpace(tc.stdin)[:5]) {
					t.Errorf("stderr %q repeats the refused password", errOut)
				}
				if c.userHash(t, "novak") != "" {
					t.Fatal("the user was saved with a refused password")
				}
			})
		}
	})

	t.Run("LineEndings", func(t *testing.T) {
		const pw = "  spaces count too  "
		secrets = append(secrets, pw)
		c.runWithStdin(pw+"\r\n", "user", "add", "windows", "--password-stdin")
		if h := c.userHash(t, "windows"); h == "" || !verifies(t, pw, h) || verifies(t, pw+"\r", h) {
			t.Error("a CRLF line ending became part of the password, or spaces were trimmed")
		}
	})

	var generated string
	t.Run("Generate", func(t *testing.T) {
		code, out, errOut := c.run(context.Background(), "user", "add", "--generate", "sklad")
		generated = strings.TrimSuffix(out, "\n")
		if code != exitOK || len(generated) != password.GeneratedLength || out != generated+"\n" {
			t.Fatalf("user add --generate: exit %d, stdout %q; want the password alone on one line", code, out)
		}
		secrets = append(secrets, generated)
		if strings.Contains(errOut, generated) || !strings.Contains(errOut, "printed above, this once only") {
			t.Errorf("stderr %q", errOut)
		}
		if !verifies(t, generated, c.userHash(t, "sklad")) {
			t.Error("the printed password does not verify")
		}
		other, _ := c.mustRun("user", "add", "sklad2", "--generate")
		if strings.TrimSpace(other) == generated {
			t.Error("two generated passwords are equal")
		}
	})

	t.Run("Passwd", func(t *testing.T) {
		db := c.openStore(t)
		u, _ := db.UserByName(context.Background(), "sklad")
		_, tokenHash := custexport.NewSessionToken()
		if err := db.CreateSession(context.Background(), &custexport.Session{UserID: u.ID, TokenHash: tokenHash}); err != nil {
			t.Fatal(err)
		}
		const newPassword = "a new and longer password"
		secrets = append(secrets, newPassword)
		code, out, errOut := c.runWithStdin(newPassword+"\n", "user", "passwd", "SKLAD", "--password-stdin")
		if code != exitOK || out != "" || !strings.Contains(errOut, `changed the password of user `+strconv.FormatInt(u.ID, 10)+` "sklad"`) {
			t.Fatalf("user passwd: exit %d, stdout %q, stderr %q", code, out, errOut)
		}
		h := c.userHash(t, "sklad")
		if h == u.PasswordHash || !verifies(t, newPassword, h) || verifies(t, generated, h) {
			t.Error("after passwd the new password must verify and the old one not")
		}
		if _, err := db.SessionByTokenHash(context.Background(), tokenHash); custexport.ErrorCode(err) != custexport.CodeNotFound {
			t.Errorf("the user's session survived the password change: %v", err)
		}

		code, _, errOut = c.runWithStdin("short\n", "user", "passwd", "sklad", "--password-stdin")
		if code != exitError || !strings.Contains(errOut, "at least 12") || c.userHash(t, "sklad") != h {
			t.Errorf("a too-short new password: exit %d, %q, or the hash changed", code, errOut)
		}

		code, out, _ = c.run(context.Background(), "user", "passwd", "sklad", "--generate")
		pw := strings.TrimSpace(out)
		secrets = append(secrets, pw)
		if code != exitOK || !verifies(t, pw, c.userHash(t, "sklad")) {
			t.Errorf("passwd --generate: exit %d, the printed password does not verify", code)
		}
	})

	t.Run("List", func(t *testing.T) {
		out, _ := c.mustRun("user", "list")
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if len(lines) != 5 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(lines[0], "LAST LOGIN") {
			t.Fatalf("list:\n%s", out)
		}
		for i, want := range []string{"Šárka Nováková", "windows", "sklad", "sklad2"} {
			if row := lines[i+1]; !strings.Contains(row, want) || !strings.Contains(row, "never") {
				t.Errorf("row %d %q, want %s, never logged in", i+1, row, want)
			}
		}
		jsonOut, _ := c.mustRun("user", "list", "--format", "json")
		got := jsonLines(t, jsonOut)
		if len(got) != 4 || got[0]["name"] != "Šárka Nováková" || got[0]["id"] != float64(1) || got[0]["last_login_at"] != nil ||
			got[0]["created_at"] == nil || got[0]["password_changed_at"] == nil || len(got[0]) != 5 {
			t.Errorf("json list: %v", got)
		}
		for _, listing := range []string{out, jsonOut} {
			if strings.Contains(listing, "argon2") || strings.Contains(strings.ToLower(listing), "hash") || strings.Contains(listing, hash[len(hash)-20:]) {
				t.Errorf("the list shows password hashes:\n%s", listing)
			}
		}
	})

	t.Run("Delete", func(t *testing.T) {
		db := c.openStore(t)
		u, _ := db.UserByName(context.Background(), "windows")
		_, tokenHash := custexport.NewSessionToken()
		db.CreateSession(context.Background(), &custexport.Session{UserID: u.ID, TokenHash: tokenHash})
		_, errOut := c.mustRun("user", "delete", "Windows")
		if !strings.Contains(errOut, `deleted user `+strconv.FormatInt(u.ID, 10)+` "windows"`) {
			t.Errorf("stderr %q", errOut)
		}
		if c.userHash(t, "windows") != "" {
			t.Error("the deleted user is still there")
		}
		if _, err := db.SessionByTokenHash(context.Background(), tokenHash); custexport.ErrorCode(err) != custexport.CodeNotFound {
			t.Errorf("the deleted user's session survived: %v", err)
		}
		for _, args := range [][]string{{"delete", "windows"}, {"passwd", "windows", "--generate"}} {
			code, out, errOut := c.run(context.Background(), append([]string{"user"}, args...)...)
			if code != exitError || out != "" || !strings.Contains(errOut, `user "windows" does not exist`) {
				t.Errorf("user %v of a deleted user: exit %d, stdout %q, stderr %q", args, code, out, errOut)
			}
		}
	})

	t.Run("AccessLog", func(t *testing.T) {
		out, _ := c.mustRun("log", "--format", "json")
		var events []string
		for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
			var e logformat.JSONEntry
			if err := json.Unmarshal([]byte(line), &e); err != nil {
				t.Fatal(err)
			}
			if e.Outcome != "event" || e.PrincipalKind != "operator" || e.Channel != "cli" {
				t.Errorf("entry %+v", e)
			}
			events = append(events, e.Reason)
		}
		want := []string{
			`user 1 "Šárka Nováková" created`,
			`user 2 "windows" created`,
			`user 3 "sklad" created`,
			`user 4 "sklad2" created`,
			`user 3 "sklad" password changed; 1 session ended`,
			`user 3 "sklad" password changed; 0 sessions ended`,
			`user 2 "windows" deleted; 1 session ended`,
		}
		if strings.Join(events, "\n") != strings.Join(want, "\n") {
			t.Errorf("access log\n%s\nwant\n%s", strings.Join(events, "\n"), strings.Join(want, "\n"))
		}
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("the access log holds the password %q", s)
			}
		}
		if strings.Contains(out, "argon2") {
			t.Error("the access log holds a password hash")
		}
		if _, errOut := c.mustRun("log", "verify"); errOut != "" {
			t.Errorf("log verify: %q", errOut)
		}
	})

	t.Run("BadInput", func(t *testing.T) {
		cases := []struct {
			name string
			args []string
			want []string
		}{
			{"NoName", []string{"add", "--generate"}, []string{"NAME is required"}},
			{"BlankName", []string{"add", "  ", "--generate"}, []string{"NAME must not be empty"}},
			{"TwoNames", []string{"add", "jan", "novak", "--generate"}, []string{"unexpected argument", "quote a name"}},
			{"ControlInName", []string{"add", "evil\x1b[2J", "--generate"}, []string{"U+001B", `\x1b`}},
			{"NameTooLong", []string{"add", strings.Repeat("n", 65), "--generate"}, []string{"65 characters long; at most 64"}},
			{"BothSources", []string{"add", "jan", "--generate", "--password-stdin"}, []string{"exclude each other"}},
			{"NotATerminal", []string{"add", "jan"}, []string{"not a terminal", "--password-stdin", "--generate"}},
			{"PasswdNotATerminal", []string{"passwd", "sklad"}, []string{"not a terminal", "--password-stdin"}},
			{"ListFormat", []string{"list", "--format", "csv"}, []string{"--format", "table, json"}},
			{"ListArgument", []string{"list", "sklad"}, []string{"unexpected argument"}},
			{"DeleteNoName", []string{"delete"}, []string{"NAME is required"}},
			{"UnknownSubcommand", []string{"rename", "sklad"}, []string{"unknown user command"}},
			{"NoSubcommand", []string{}, []string{"passwd", "a user command is required"}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				c.refuses(t, nil, exitUsage, tc.want, append([]string{"user"}, tc.args...)...)
			})
		}
		if out, _ := c.mustRun("user", "list"); strings.Count(out, "\n") != 4 || strings.Contains(out, "jan") {
			t.Errorf("refused commands changed the users:\n%s", out)
		}
	})

	t.Run("Help", func(t *testing.T) {
		for _, sub := range []string{"add", "passwd", "list", "delete"} {
			code, _, errOut := c.run(context.Background(), "user", sub, "--help")
			if code != exitOK || !strings.Contains(errOut, "Usage: custexport user "+sub) || !strings.Contains(errOut, "-data-dir") {
				t.Errorf("user %s --help: exit %d, %q", sub, code, errOut)
			}
		}
		code, _, errOut := c.run(context.Background(), "user", "--help")
		if code != exitOK || !strings.Contains(errOut, "passwd") || !strings.Contains(errOut, "at least 12 characters") {
			t.Errorf("user --help: exit %d, %q", code, errOut)
		}
		code, _, errOut = c.run(context.Background(), "--help")
		if code != exitOK || !strings.Contains(errOut, "user ") {
			t.Errorf("custexport --help does not list the user command: %q", errOut)
		}
	})
}

func TestUserListEmpty(t *testing.T) {
	c := newShop(t)
	out, errOut := c.mustRun("user", "list")
	if out != "" || !strings.Contains(errOut, "no admin users yet") {
		t.Errorf("stdout %q, stderr %q", out, errOut)
	}
	if out, _ := c.mustRun("user", "list", "--format", "json"); out != "" {
		t.Errorf("json of no users: %q, want nothing", out)
	}
}

// askNewPassword is the terminal dialogue; the terminal is replaced by a list of typed lines.
func TestAskNewPassword(t *testing.T) {
	typed := func(lines ...string) func() ([]byte, error) {
		return func() ([]byte, error) {
			if len(lines) == 0 {
				return nil, io.EOF
			}
			line := lines[0]
			lines = lines[1:]
			return []byte(line), nil
		}
	}
	cases := []struct {
		name    string
		lines   []string
		want    string // the password, or a part of the error
		prompts int
	}{
		{"Same", []string{"correct horse battery", "correct horse battery"}, "correct horse battery", 2},
		{"Differ", []string{"correct horse battery", "correct horse batterz"}, "the two entries differ", 2},
		{"TooShortIsRefusedBeforeTheRepeat", []string{"short", "short"}, "at least 12", 1},
		{"EndOfInput", []string{"correct horse battery"}, "EOF", 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var w bytes.Buffer
			pw, err := askNewPassword(&w, "novak", typed(tc.lines...))
			got := pw
			if err != nil {
				got = err.Error()
			}
			if !strings.Contains(got, tc.want) || (err == nil) != (pw == tc.want) {
				t.Errorf("askNewPassword = %q, %v; want %q", pw, err, tc.want)
			}
			if n := strings.Count(w.String(), ": "); n != tc.prompts {
				t.Errorf("prompts %q: want %d", w.String(), tc.prompts)
			}
			if strings.Contains(w.String(), "horse") {
				t.Errorf("the dialogue shows the password: %q", w.String())
			}
			var e *custexport.Error
			if err != nil && tc.want != "EOF" && !errors.As(err, &e) {
				t.Errorf("error %v is not a domain error", err)
			}
		})
	}
}
