// Command custexport is the e-shop customer export: one binary with subcommands for the
// server, exports, imports, seeding and administration. main only wires the packages together.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"sort"
	"syscall"

	"github.com/custexport/custexport"
)

// Exit codes, the same for every subcommand.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
	exitBusy  = 3 // another export of the same principal is running
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	stopProfile := startCPUProfile(os.Getenv("CUSTEXPORT_CPU_PROFILE"))
	code := run(ctx, os.Args[1:], &stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr}, os.Getenv)
	stopProfile()
	stop()
	os.Exit(code)
}

// startCPUProfile writes a CPU profile of the whole command to path, if one is given, until the
// returned function is called: for finding where an export spends its time, and for make pgo,
// which merges such profiles into default.pgo (profile-guided optimisation of the build).
func startCPUProfile(path string) (stop func()) {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		if err = pprof.StartCPUProfile(f); err != nil {
			f.Close()
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "custexport: CUSTEXPORT_CPU_PROFILE: %v\n", err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// stdio is the process's standard streams; tests pass buffers.
type stdio struct {
	in  io.Reader
	out io.Writer
	err io.Writer
}

// command is one subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, io *stdio, getenv func(string) string) error
}

var commands = map[string]command{
	"export":  {"write customers to a CSV, XML or XLSX file", runExport},
	"import":  {"apply an edited customer CSV (the export's round trip) in one transaction", runImport},
	"seed":    {"fill an empty database with realistic, deterministic demo customers", runSeed},
	"migrate": {"bring the database schema up to date", runMigrate},
	"copy":    {"copy a SQLite shop into an empty PostgreSQL database (scaling out)", runCopy},
	"user":    {"manage the admin users of the admin UI and their passwords", runUser},
}

// usageError is a mistake in the command line: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

func run(ctx context.Context, args []string, io *stdio, getenv func(string) string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(io.err)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(io.err, "custexport: unknown command %q\n\n", args[0])
		printUsage(io.err)
		return exitUsage
	}
	err := cmd.run(ctx, args[1:], io, getenv)
	return reportError(io.err, args[0], err)
}

func reportError(w io.Writer, name string, err error) int {
	if err == nil {
		return exitOK
	}
	var ue *usageError
	switch {
	case errors.Is(err, errHelpShown):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(w, "custexport %s: %s\nRun 'custexport %s --help' for usage.\n", name, ue.msg, name)
		return exitUsage
	case custexport.ErrorCode(err) == custexport.CodeBusy:
		fmt.Fprintf(w, "custexport %s: %v\n", name, err)
		return exitBusy
	}
	fmt.Fprintf(w, "custexport %s: %v\n", name, err)
	return exitError
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "custexport — the e-shop customer export\n\nUsage: custexport COMMAND [flags]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-9s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'custexport COMMAND --help' for the flags of a command.")
}
