package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/custexport/custexport"
)

// The preview in the CLI's reports (SPEC section 10): the first MaxPreviewChanges changes in the
// text report, all of them in the JSON report. Both read the import's change list back from
// the store as a stream.

// reportFormat is the --report flag: text (the default) or json.
type reportFormat string

func parseReportFormat(s string) (reportFormat, error) {
	switch s {
	case "", "text":
		return "text", nil
	case "json":
		return "json", nil
	}
	return "", usagef("--report: %q is not text or json", s)
}

// printChanges lists the first changes of the import, each on a line; values are quoted (%q):
// they come from a file and may hold line breaks or control characters.
func printChanges(ctx context.Context, w io.Writer, db custexport.ChangeStore, rec *custexport.ImportRecord) error {
	if rec.ID == 0 || rec.Changes == 0 {
		return nil
	}
	fmt.Fprintf(w, "changes (%d):\n", rec.Changes)
	err := db.ImportChanges(ctx, custexport.ChangeQuery{ImportID: rec.ID, Limit: custexport.MaxPreviewChanges}, func(ch *custexport.FieldChange) error {
		_, err := fmt.Fprintf(w, "  %s\n", changeLine(ch))
		return err
	})
	if err != nil {
		return err
	}
	if rec.Changes > custexport.MaxPreviewChanges {
		fmt.Fprintf(w, "  … and %d more changes (only the first %d are listed; --report json lists all)\n",
			rec.Changes-custexport.MaxPreviewChanges, custexport.MaxPreviewChanges)
	}
	return nil
}

// changeLine is one change as the text report says it.
func changeLine(ch *custexport.FieldChange) string {
	switch ch.Kind {
	case custexport.ChangeField:
		return fmt.Sprintf("line %d, %s, %s: %q → %q", ch.Line, ch.GUID, ch.Column, ch.Old, ch.New)
	default:
		return fmt.Sprintf("line %d, %s: %s", ch.Line, ch.GUID, ch.Kind)
	}
}

// jsonReport is the JSON report's head; the change list follows it, streamed.
type jsonReport struct {
	ID        int64  `json:"id"`
	File      string `json:"file"`
	Reverts   int64  `json:"reverts,omitempty"`
	DryRun    bool   `json:"dryRun"`
	Encoding  string `json:"encoding"`
	Delimiter string `json:"delimiter"`
	Counts    struct {
		Rows      int64 `json:"rows"`
		Created   int64 `json:"created"`
		Updated   int64 `json:"updated"`
		Unchanged int64 `json:"unchanged"`
		Skipped   int64 `json:"skipped"`
		Removed   int64 `json:"removed"`
		Changes   int64 `json:"changes"`
	} `json:"counts"`
	UnknownColumns []string                `json:"unknownColumns"`
	SkippedRows    []custexport.SkippedRow `json:"skippedRows"`
	Error          string                  `json:"error,omitempty"`
	TookMS         int64                   `json:"tookMs"`
}

// writeJSONReport writes the whole report as one JSON object, its "changes" array streamed
// from the store: memory does not grow with the number of changes.
func writeJSONReport(ctx context.Context, out io.Writer, db custexport.ChangeStore, rec *custexport.ImportRecord, took time.Duration) error {
	r := jsonReport{ID: rec.ID, File: rec.File, Reverts: rec.Reverts, DryRun: rec.DryRun, Encoding: string(rec.Encoding),
		Delimiter: rec.Delimiter, UnknownColumns: append([]string{}, rec.Unknown...),
		SkippedRows: append([]custexport.SkippedRow{}, rec.SkippedRows...), Error: rec.Error, TookMS: took.Milliseconds()}
	r.Counts.Rows, r.Counts.Created, r.Counts.Updated = rec.Rows, rec.Created, rec.Updated
	r.Counts.Unchanged, r.Counts.Skipped, r.Counts.Removed, r.Counts.Changes = rec.Unchanged, rec.Skipped, rec.Removed, rec.Changes
	head, err := json.Marshal(r)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(out)
	w.Write(head[:len(head)-1])
	w.WriteString(`,"changes":[`)
	n := 0
	if rec.ID != 0 && rec.Changes > 0 {
		err = db.ImportChanges(ctx, custexport.ChangeQuery{ImportID: rec.ID, Limit: -1}, func(ch *custexport.FieldChange) error {
			b, err := json.Marshal(ch)
			if err != nil {
				return err
			}
			if n++; n > 1 {
				w.WriteByte(',')
			}
			_, err = w.Write(b)
			return err
		})
		if err != nil {
			return err
		}
	}
	w.WriteString("]}\n")
	return w.Flush()
}

// parseImportID reads the ID of `import revert ID`.
func parseImportID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, usagef("import revert: %q is not an import ID (the number an import's report and the admin's Log tab show)", s)
	}
	return id, nil
}
