package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/logformat"
	"github.com/custexport/custexport/internal/password"
)

// userCommands are the user subcommands in help order.
var userCommands = []command{
	{name: "add", synopsis: "NAME [--generate | --password-stdin]", summary: "create an admin user of the admin UI; asks for the password twice", store: storeExisting, run: runUserAdd},
	{name: "passwd", synopsis: "NAME [--generate | --password-stdin]", summary: "set a user's password; every session of the user ends", store: storeExisting, run: runUserPasswd},
	{name: "list", synopsis: "[--format table|json]", summary: "list the admin users with their last login", store: storeExisting, run: runUserList},
	{name: "delete", synopsis: "NAME", summary: "delete a user; every session of the user ends", store: storeExisting, run: runUserDelete},
}

// userHelpFooter ends the help of the user commands.
var userHelpFooter = fmt.Sprintf("A new password is asked for twice on the terminal, without echo. --password-stdin reads it from the\n"+
	"first line of standard input instead; --generate makes one and prints it once on standard output.\n"+
	"A password needs at least %d characters.", password.MinLength)

// passwordFlags are the choices of where a new password comes from.
type passwordFlags struct {
	generate bool
	stdin    bool
}

func (p *passwordFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&p.generate, "generate", false, "generate a random password and print it once on standard output")
	fs.BoolVar(&p.stdin, "password-stdin", false, "read the password from the first line of standard input (for scripts)")
}

// printGenerated shows a generated password, once, on standard output (and only there, so that
// a script can take it), after the store accepted it.
func (p *passwordFlags) printGenerated(io *stdio, pw string) {
	if p.generate {
		fmt.Fprintln(io.out, pw)
	}
}

// parsePasswordCommand parses the command line of a command that sets a password (add, passwd):
// one NAME and where the password comes from.
func parsePasswordCommand(c *commandLine, args []string) (*passwordFlags, string, error) {
	var p passwordFlags
	p.register(c.flags)
	pos, err := c.parseArgs(args)
	if err != nil {
		return nil, "", err
	}
	name, err := oneUserName(pos)
	if err != nil {
		return nil, "", err
	}
	if p.generate && p.stdin {
		return nil, "", usagef("--generate and --password-stdin exclude each other")
	}
	return &p, name, nil
}

// newPassword gets the new password of user name: generated, read from standard input, or asked
// for twice on the terminal. Whatever the source, it passes the password policy.
func (p *passwordFlags) newPassword(ctx context.Context, io *stdio, name string) (string, error) {
	switch {
	case p.generate:
		return password.Generate(), nil
	case p.stdin:
		pw, err := readFirstLine(io.in)
		if err != nil {
			return "", err
		}
		return pw, password.Check(pw)
	}
	f, ok := io.in.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", usagef("standard input is not a terminal to ask for the password on: pass --password-stdin to read it from the first line of standard input, or --generate")
	}
	return askNewPassword(io.err, name, func() ([]byte, error) { return readTerminalLine(ctx, f) })
}

// askNewPassword asks for the password of user name, checks it against the policy, and asks
// again to catch a typo nobody could see.
func askNewPassword(w io.Writer, name string, read func() ([]byte, error)) (string, error) {
	fmt.Fprintf(w, "New password for %s (at least %d characters): ", logformat.DisplayText(name), password.MinLength)
	first, err := read()
	fmt.Fprintln(w) // the Enter key was not echoed either
	if err != nil {
		return "", err
	}
	if err := password.Check(string(first)); err != nil {
		return "", err
	}
	fmt.Fprint(w, "Repeat it: ")
	second, err := read()
	fmt.Fprintln(w)
	if err != nil {
		return "", err
	}
	if string(first) != string(second) {
		return "", custexport.FieldError("password", "the two entries differ; nothing was changed")
	}
	return string(first), nil
}

// readTerminalLine reads a line from the terminal without echo. An interrupt (Ctrl-C, which the
// process catches to end exports cleanly) gives up the read and turns echo back on.
func readTerminalLine(ctx context.Context, f *os.File) ([]byte, error) {
	fd := int(f.Fd())
	state, err := term.GetState(fd)
	if err != nil {
		return nil, err
	}
	type result struct {
		line []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		line, err := term.ReadPassword(fd)
		done <- result{line, err}
	}()
	select {
	case r := <-done:
		return r.line, r.err
	case <-ctx.Done():
		term.Restore(fd, state)
		return nil, errors.New("interrupted; nothing was changed")
	}
}

// readFirstLine reads the password from the first line of r, without its line ending. It reads
// a little more than the policy allows, so that an over-long password is refused, not cut.
func readFirstLine(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, password.MaxBytes+3)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("read the password from standard input: %w", err)
	}
	line = strings.TrimSuffix(line, "\n")
	line = strings.TrimSuffix(line, "\r")
	if line == "" {
		return "", custexport.FieldError("password", "the first line of standard input is empty; put the password there")
	}
	return line, nil
}

// oneUserName takes the single positional NAME argument.
func oneUserName(pos []string) (string, error) {
	if len(pos) == 0 {
		return "", usagef("NAME is required (see 'custexport user list')")
	}
	if len(pos) > 1 {
		return "", usagef("unexpected argument %s (quote a name with spaces)", strconv.Quote(pos[1]))
	}
	if strings.TrimSpace(pos[0]) == "" {
		return "", usagef("NAME must not be empty")
	}
	return pos[0], nil
}

func runUserAdd(ctx context.Context, c *commandLine, args []string) error {
	io, getenv := c.io, c.getenv
	pf, raw, err := parsePasswordCommand(c, args)
	if err != nil {
		return err
	}
	userName, err := custexport.CleanUserName(raw)
	if err != nil {
		var e *custexport.Error
		if errors.As(err, &e) {
			return usagef("NAME %s: %s", strconv.Quote(raw), e.Message)
		}
		return err
	}
	db, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	// A taken name is found before the password is asked for, not after it was typed twice;
	// AddUser checks again in its transaction.
	if taken, err := db.UserByName(ctx, userName); err == nil {
		return custexport.Errorf(custexport.CodeConflict, "the user name %q is taken by user %d %q (names are unique regardless of letter case)",
			userName, taken.ID, taken.Name)
	} else if custexport.ErrorCode(err) != custexport.CodeNotFound {
		return err
	}
	pw, err := pf.newPassword(ctx, io, userName)
	if err != nil {
		return err
	}
	u := &custexport.User{Name: userName, PasswordHash: password.Hash(pw)}
	if err := db.AddUser(ctx, u, operatorPrincipal(getenv)); err != nil {
		return err
	}
	pf.printGenerated(io, pw)
	if pf.generate {
		fmt.Fprintf(io.err, "created user %d %q; its generated password is printed above, this once only\n", u.ID, u.Name)
	} else {
		fmt.Fprintf(io.err, "created user %d %q\n", u.ID, u.Name)
	}
	return nil
}

func runUserPasswd(ctx context.Context, c *commandLine, args []string) error {
	io, getenv := c.io, c.getenv
	pf, userName, err := parsePasswordCommand(c, args)
	if err != nil {
		return err
	}
	return withUser(ctx, c, userName, func(db database, u *custexport.User) error {
		pw, err := pf.newPassword(ctx, io, u.Name)
		if err != nil {
			return err
		}
		if err := db.SetPasswordHash(ctx, u.ID, password.Hash(pw), operatorPrincipal(getenv)); err != nil {
			return err
		}
		pf.printGenerated(io, pw)
		fmt.Fprintf(io.err, "changed the password of user %d %q; every session of the user has ended\n", u.ID, u.Name)
		return nil
	})
}

func runUserDelete(ctx context.Context, c *commandLine, args []string) error {
	io, getenv := c.io, c.getenv
	pos, err := c.parseArgs(args)
	if err != nil {
		return err
	}
	userName, err := oneUserName(pos)
	if err != nil {
		return err
	}
	return withUser(ctx, c, userName, func(db database, u *custexport.User) error {
		if err := db.DeleteUser(ctx, u.ID, operatorPrincipal(getenv)); err != nil {
			return err
		}
		fmt.Fprintf(io.err, "deleted user %d %q; every session of the user has ended\n", u.ID, u.Name)
		return nil
	})
}

// withUser opens the store, finds the user by name whatever its letter case (exit 1, "user …
// does not exist", when there is none) and runs fn.
func withUser(ctx context.Context, c *commandLine, name string, fn func(database, *custexport.User) error) error {
	return withStored(ctx, c, func(ctx context.Context, db database) (*custexport.User, error) { return db.UserByName(ctx, name) }, fn)
}

func runUserList(ctx context.Context, c *commandLine, args []string) error {
	const layout = "2006-01-02 15:04"
	return listing[custexport.User]{
		load:   func(ctx context.Context, db database) ([]custexport.User, error) { return db.ListUsers(ctx) },
		json:   userJSON,
		header: "ID\tNAME\tCREATED\tPASSWORD CHANGED\tLAST LOGIN",
		row: func(u *custexport.User, loc *time.Location) string {
			lastLogin := "never"
			if !u.LastLoginAt.IsZero() {
				lastLogin = u.LastLoginAt.In(loc).Format(layout)
			}
			return fmt.Sprintf("%d\t%s\t%s\t%s\t%s", u.ID, logformat.DisplayText(u.Name), u.CreatedAt.In(loc).Format(layout),
				u.PasswordChangedAt.In(loc).Format(layout), lastLogin)
		},
		empty: "no admin users yet; create one with: custexport user add NAME",
	}.run(ctx, c, args)
}

// userJSON is what `user list --format json` shows of a user: never its password hash.
func userJSON(u *custexport.User, loc *time.Location) any {
	lastLogin := jsonTime(u.LastLoginAt, loc)
	return struct {
		ID                int64   `json:"id"`
		Name              string  `json:"name"`
		CreatedAt         string  `json:"created_at"`
		PasswordChangedAt string  `json:"password_changed_at"`
		LastLoginAt       *string `json:"last_login_at"` // null: never
	}{u.ID, u.Name, u.CreatedAt.In(loc).Format(time.RFC3339), u.PasswordChangedAt.In(loc).Format(time.RFC3339), lastLogin}
}
