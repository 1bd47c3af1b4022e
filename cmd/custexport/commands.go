package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/custexport/custexport/internal/linksign"
)

// command is one entry of a command table: a command that runs, or a group of subcommands
// (partner, user), or both (log, which shows the log unless a subcommand is named). The same
// table drives the dispatch and the help at every level.
type command struct {
	name     string
	aliases  []string // other names, e.g. --version for version
	synopsis string   // the arguments after the command's path, for the help
	summary  string   // one line, in the help of the table it stands in
	help     string   // more text for the command's own --help
	store    storeUse
	run      func(ctx context.Context, c *commandLine, args []string) error
	sub      []command
	// footer ends the help of a group.
	footer string
}

// storeUse says what a command does with the store, so that the preamble opens it the one right
// way for every command.
type storeUse int

const (
	// storeNone: the command has no database flags (version).
	storeNone storeUse = iota
	// storeExisting: the command reads a shop and refuses to run on one that does not exist
	// rather than create an empty one (a mistyped --data-dir must not "export 0 customers").
	storeExisting
	// storeCreate: the command makes the shop it is pointed at when there is none yet (serve,
	// seed, migrate).
	storeCreate
)

// dispatch runs the command args name below cmd, whose own path is path ("" for the top), and
// returns the path of the command that ran, for the error report.
func (cmd *command) dispatch(ctx context.Context, path string, args []string, io *stdio, getenv func(string) string) (string, error) {
	if len(cmd.sub) > 0 {
		if len(args) > 0 {
			if sub := cmd.find(args[0]); sub != nil {
				return sub.dispatch(ctx, joinPath(path, sub.name), args[1:], io, getenv)
			}
		}
		if cmd.run == nil {
			return path, cmd.refuse(path, args, io)
		}
	}
	return path, cmd.run(ctx, newCommandLine(path, cmd, io, getenv), args)
}

// refuse answers a group called without one of its subcommands: the help, and for anything but
// a request for help, a usage error.
func (cmd *command) refuse(path string, args []string, io *stdio) error {
	cmd.printUsage(io.err, path)
	kind := "command"
	if path != "" {
		kind = path + " command"
	}
	if len(args) == 0 {
		return usagef("a %s is required", kind)
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		return errHelpShown
	}
	return usagef("unknown %s %s (valid: %s)", kind, strconv.Quote(args[0]), strings.Join(cmd.names(), ", "))
}

func (cmd *command) find(name string) *command {
	for i := range cmd.sub {
		if cmd.sub[i].name == name || slices.Contains(cmd.sub[i].aliases, name) {
			return &cmd.sub[i]
		}
	}
	return nil
}

func (cmd *command) names() []string {
	names := make([]string, len(cmd.sub))
	for i := range cmd.sub {
		names[i] = cmd.sub[i].name
	}
	return names
}

// printUsage is a group's help: its subcommands with their command lines and summaries.
func (cmd *command) printUsage(w io.Writer, path string) {
	if path == "" {
		fmt.Fprintln(w, "custexport — the e-shop customer export")
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "Usage: %s COMMAND [flags]\n\n", joinPath("custexport", path))
	cmd.printCommands(w, path)
}

func (cmd *command) printCommands(w io.Writer, path string) {
	fmt.Fprintln(w, "Commands:")
	for _, sub := range cmd.sub {
		// The top level lists names only; a group shows each command's line too.
		if path == "" || sub.synopsis == "" {
			fmt.Fprintf(w, "  %-9s %s\n", sub.name, sub.summary)
			continue
		}
		fmt.Fprintf(w, "  %s %s\n      %s\n", sub.name, sub.synopsis, sub.summary)
	}
	if cmd.footer != "" {
		fmt.Fprintf(w, "\n%s\n", cmd.footer)
	}
	fmt.Fprintf(w, "\nRun '%s COMMAND --help' for the flags of a command.\n", joinPath("custexport", path))
}

func joinPath(path, name string) string {
	if path == "" || name == "" {
		return path + name
	}
	return path + " " + name
}

// commandLine is the preamble every command shares: its flag set, with the store's flags
// registered when the command uses the store, the parsing of its arguments and the opening of
// the store. A command adds its own flags, parses, and opens.
type commandLine struct {
	io     *stdio
	getenv func(string) string
	flags  *flag.FlagSet
	store  storeConfig
	use    storeUse
	loc    *time.Location // the shop's time zone, once parsed
	// newKey lets open give the shop a new master key (migrate --new-master-key).
	newKey bool
	// signer signs partner links with the shop's master key, once open has checked it.
	signer *linksign.Signer
}

func newCommandLine(path string, cmd *command, std *stdio, getenv func(string) string) *commandLine {
	c := &commandLine{io: std, getenv: getenv, use: cmd.store}
	c.flags = flag.NewFlagSet(path, flag.ContinueOnError)
	c.flags.SetOutput(io.Discard)
	c.flags.Usage = func() {
		w := std.err
		fmt.Fprintf(w, "Usage: custexport %s\n", strings.TrimSpace(path+" "+cmd.synopsis))
		for _, sub := range cmd.sub {
			fmt.Fprintf(w, "       custexport %s\n", strings.TrimSpace(joinPath(path, sub.name)+" "+sub.synopsis))
		}
		if cmd.summary != "" {
			fmt.Fprintf(w, "\n%s.\n", upperFirst(cmd.summary))
		}
		if cmd.help != "" {
			fmt.Fprintf(w, "%s\n", cmd.help)
		}
		if len(cmd.sub) > 0 {
			fmt.Fprintln(w)
			cmd.printCommands(w, path)
		}
		fmt.Fprintln(w, "\nFlags:")
		c.flags.SetOutput(w)
		c.flags.PrintDefaults()
		c.flags.SetOutput(io.Discard)
	}
	if cmd.store != storeNone {
		c.store.register(c.flags, getenv)
	}
	return c
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// parse parses the flags of a command that takes no positional arguments.
func (c *commandLine) parse(args []string) error {
	pos, err := c.parseArgs(args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %s", strconv.Quote(pos[0]))
	}
	return nil
}

// parseArgs parses flags given before, between or after the positional arguments
// (`partner url 7 --format csv`), which the flag package alone stops at, and returns the
// positional ones. Everything after "--" is positional.
func (c *commandLine) parseArgs(args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(c.flags, args); err != nil {
			return nil, err
		}
		rest := c.flags.Args()
		if len(rest) == 0 {
			break
		}
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	if err := checkSettings(c.flags); err != nil {
		return nil, err
	}
	if c.use != storeNone {
		loc, err := c.store.location()
		if err != nil {
			return nil, err
		}
		c.loc = loc
	}
	return pos, nil
}

// given reports whether the flag was set on the command line.
func (c *commandLine) given(name string) bool {
	given := false
	c.flags.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}

// open opens the store as the command's table entry says: a command that reads a shop refuses
// one that does not exist, and creates nothing.
// parseOpen is the whole preamble of a command that takes flags only: parse them, then open
// the store.
func (c *commandLine) parseOpen(ctx context.Context, args []string) (database, error) {
	if err := c.parse(args); err != nil {
		return nil, err
	}
	return c.open(ctx)
}

func (c *commandLine) open(ctx context.Context) (database, error) {
	if c.use == storeExisting {
		if err := c.store.requireShop(ctx); err != nil {
			return nil, err
		}
	}
	db, err := c.store.open(ctx)
	if err != nil {
		return nil, err
	}
	// Every command that opens a shop checks its master key first: a missing or wrong key is
	// refused before anything is written, and the access log can only be written with it.
	if c.signer, err = openKey(ctx, &c.store, c.getenv, db, c.newKey, operatorPrincipal(c.getenv)); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// parseFlags parses args; -h shows the usage once, any other mistake is a usage error whose
// message (not the whole usage) is printed. The flag package would call Usage itself in both
// cases, so it is silenced while parsing.
func parseFlags(fs *flag.FlagSet, args []string) error {
	usage := fs.Usage
	fs.Usage = func() {}
	err := fs.Parse(args)
	fs.Usage = usage
	if errors.Is(err, flag.ErrHelp) {
		usage()
		return errHelpShown
	}
	if err != nil {
		return usagef("%v", err)
	}
	return nil
}
