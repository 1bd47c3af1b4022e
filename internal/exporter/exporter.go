// Package exporter is the one export engine behind every channel (CLI, URL, admin job): it
// opens one consistent snapshot, streams it through the encoder of the chosen format, counts
// rows, bytes and replaced characters, and reports progress while it runs.
package exporter

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/custexport/custexport"
)

// EncoderFunc makes an encoder of one format writing to w.
type EncoderFunc func(w io.Writer, opts custexport.EncodeOptions) custexport.Encoder

// Engine runs exports. Its fields are set once by main.
type Engine struct {
	Store    custexport.CustomerStore
	Encoders map[custexport.Format]EncoderFunc
	Location *time.Location // the shop's time zone
	Now      func() time.Time
}

// Progress is read by whoever shows a progress bar while an export writes; safe for concurrent
// use.
type Progress struct {
	total atomic.Int64
	done  atomic.Int64
}

// Total is the number of rows the export will write, known once the snapshot is open.
func (p *Progress) Total() int64 { return p.total.Load() }

// Done is the number of rows written so far.
func (p *Progress) Done() int64 { return p.done.Load() }

// Result describes a finished (or failed) export.
type Result struct {
	Rows     int64
	Bytes    int64
	Replaced int64 // characters written as '?' because the encoding cannot carry them
	Started  time.Time
	Duration time.Duration
}

// Export writes the customers selected by opts to w in opts.Format. On error the result still
// counts what was written before it.
func (e *Engine) Export(ctx context.Context, opts custexport.ExportOptions, w io.Writer, progress *Progress) (Result, error) {
	now := time.Now
	if e.Now != nil {
		now = e.Now
	}
	res := Result{Started: now()}
	newEncoder, ok := e.Encoders[opts.Format]
	if !ok {
		return res, custexport.Errorf(custexport.CodeInvalid, "unknown format %q (valid: csv, xml, xlsx)", opts.Format)
	}
	if progress == nil {
		progress = &Progress{}
	}
	snap, err := e.Store.OpenSnapshot(ctx, custexport.SnapshotQuery{
		Range:       opts.Filter.Range(e.Location),
		AllDelivery: opts.Format == custexport.FormatXML,
	})
	if err != nil {
		return res, fmt.Errorf("open snapshot: %w", err)
	}
	defer snap.Close()
	progress.total.Store(snap.Total())

	counter := &countingWriter{w: w}
	enc := newEncoder(counter, custexport.EncodeOptions{
		Encoding:     opts.Encoding,
		FormulaGuard: opts.FormulaGuard,
		Location:     e.Location,
	})
	err = snap.Each(func(c *custexport.Customer) error {
		if err := enc.Encode(c); err != nil {
			return err
		}
		progress.done.Add(1)
		return nil
	})
	if closeErr := enc.Close(); err == nil {
		err = closeErr
	}
	res.Rows = progress.Done()
	res.Bytes = counter.n
	if rc, ok := enc.(custexport.ReplacementCounter); ok {
		res.Replaced = rc.Replaced()
	}
	res.Duration = now().Sub(res.Started)
	return res, err
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
