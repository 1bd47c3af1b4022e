package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/custexport/custexport/internal/exporter"
)

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// startProgressBar draws "rows done of total" on w while an export runs, but only when w is a
// terminal: a bar in a log file or a pipe is noise. It returns a function that stops it.
// A hand-written line is enough here; a progress-bar library would add several dependencies.
func startProgressBar(w io.Writer, p *exporter.Progress) (stop func()) {
	if !isTerminal(w) {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				drawBar(w, p)
				fmt.Fprintln(w)
				return
			case <-tick.C:
				drawBar(w, p)
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

func drawBar(w io.Writer, p *exporter.Progress) {
	total, doneRows := p.Total(), p.Done()
	const width = 30
	filled := 0
	pct := 0.0
	if total > 0 {
		pct = float64(doneRows) / float64(total) * 100
		filled = int(float64(width) * float64(doneRows) / float64(total))
	}
	fmt.Fprintf(w, "\r[%s%s] %d / %d rows (%3.0f %%)", strings.Repeat("#", filled), strings.Repeat(".", width-filled), doneRows, total, pct)
}
