package main

import (
	"context"
	"fmt"
	"time"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/csvimport"
)

// runImportRevert is `import revert ID [--dry-run] [--report json]` (SPEC section 10, undo): it
// restores what the import changed and removes the customers it created, in one transaction,
// leaving fields changed since as they are (listed as skipped); the revert is logged as an
// import of its own.
func runImportRevert(ctx context.Context, c *commandLine, pos []string, dryRun bool, report reportFormat) error {
	if len(pos) != 1 {
		return usagef("import revert takes exactly one import ID")
	}
	id, err := parseImportID(pos[0])
	if err != nil {
		return err
	}
	db, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	rec := &custexport.ImportRecord{Principal: operatorPrincipal(c.getenv)}
	start := time.Now()
	runErr := csvimport.Revert(ctx, db, id, csvimport.Options{DryRun: dryRun, Location: c.loc}, rec)
	if runErr != nil && custexport.ErrorCode(runErr) == custexport.CodeNotFound {
		return runErr // nothing to revert: no log entry
	}
	if runErr != nil {
		rec.Error = runErr.Error()
	}
	if err := db.RecordImport(context.WithoutCancel(ctx), rec); err != nil {
		fmt.Fprintf(c.io.err, "warning: the revert could not be written to the import log: %v\n", err)
	}
	if report == "json" {
		if err := writeJSONReport(ctx, c.io.out, db, rec, time.Since(start)); err != nil {
			return err
		}
	}
	if runErr != nil {
		return fmt.Errorf("revert of import #%d refused, nothing was written: %w", id, runErr)
	}
	if report == "text" {
		printImportReport(c.io.out, rec, fmt.Sprintf("%s (as imported by #%d)", rec.File, id), time.Since(start))
		return printChanges(ctx, c.io.out, db, rec)
	}
	return nil
}
