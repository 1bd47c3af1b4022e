package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// runVersion prints what the binary was built from: the module version, the version-control
// revision and its time (recorded by go build in a checkout), and the Go version.
func runVersion(_ context.Context, c *commandLine, args []string) error {
	if err := c.parse(args); err != nil {
		return err
	}
	info, _ := debug.ReadBuildInfo()
	printVersion(c.io.out, info)
	return nil
}

func printVersion(w io.Writer, info *debug.BuildInfo) {
	version, revision, when, modified := "unknown", "", "", false
	if info != nil && info.Main.Version != "" {
		version = info.Main.Version
	}
	if info != nil {
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	fmt.Fprintf(w, "custexport %s\n", version)
	switch {
	case revision == "":
		fmt.Fprintln(w, "revision: unknown (built outside a git checkout, or with -buildvcs=false)")
	case modified:
		fmt.Fprintf(w, "revision: %s, with uncommitted changes\n", revision)
	default:
		fmt.Fprintf(w, "revision: %s\n", revision)
	}
	if when != "" {
		fmt.Fprintf(w, "time:     %s\n", when)
	}
	fmt.Fprintf(w, "go:       %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
