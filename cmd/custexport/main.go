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

// commands is the command table: every command and group of the binary, in help order.
var commands = command{sub: []command{
	{name: "serve", summary: "run the HTTP server: partner download links, the admin UI, health and metrics", store: storeCreate, run: runServe,
		synopsis: "[--addr :8080] [--public-url URL] [--trusted-proxies LIST] [--demo]"},
	{name: "export", summary: "write customers to a CSV, XML or XLSX file", store: storeExisting, run: runExport,
		synopsis: "--format csv|xml|xlsx [--from YYYY-MM-DD] [--until YYYY-MM-DD] [--encoding utf-8|windows-1250] [--no-guard] [-o FILE [--no-sync]]"},
	{name: "import", summary: "apply an edited customer CSV or XLSX (the export's round trip) in one transaction", store: storeExisting, run: runImport,
		synopsis: "FILE [--encoding auto|utf-8|windows-1250] [--dry-run] [--accept-warnings] [--max-size N] [--report text|json]\n       custexport import revert ID [--dry-run] [--report text|json]"},
	{name: "partner", summary: "manage partners and their signed download links", sub: partnerCommands},
	{name: "user", summary: "manage the admin users of the admin UI and their passwords", sub: userCommands, footer: userHelpFooter},
	{name: "log", summary: "show the access log (Přístupový log) or verify that it is intact", store: storeExisting, run: runLog,
		synopsis: "[--since YYYY-MM-DD] [--format table|csv|json]", help: logHelp, sub: logCommands},
	{name: "seed", summary: "fill an empty database with realistic, deterministic demo customers", store: storeCreate, run: runSeed,
		synopsis: "--customers N [--seed S]"},
	{name: "migrate", summary: "bring the database schema up to date", store: storeCreate, run: runMigrate,
		synopsis: "[--new-master-key]",
		help: "Every command checks the shop's master key against the database and refuses a missing or different one.\n" +
			"--new-master-key makes the key given (or a new one) the shop's key: only when the old key is lost for good."},
	{name: "version", aliases: []string{"--version"}, summary: "print the version, the revision it was built from and the Go version", run: runVersion},
	{name: "copy", summary: "copy a SQLite shop into an empty PostgreSQL database (scaling out)", store: storeExisting, run: runCopy,
		synopsis: "--to postgres://… [--data-dir DIR] [--db FILE]"},
}}

// usageError is a mistake in the command line: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{msg: fmt.Sprintf(format, args...)} }

func run(ctx context.Context, args []string, io *stdio, getenv func(string) string) int {
	path, err := commands.dispatch(ctx, "", args, io, getenv)
	return reportError(io.err, path, err)
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
		fmt.Fprintf(w, "%s: %s\nRun '%s --help' for usage.\n", joinPath("custexport", name), ue.msg, joinPath("custexport", name))
		return exitUsage
	case custexport.ErrorCode(err) == custexport.CodeBusy:
		fmt.Fprintf(w, "%s: %v\n", joinPath("custexport", name), err)
		return exitBusy
	}
	fmt.Fprintf(w, "%s: %v\n", joinPath("custexport", name), err)
	return exitError
}
