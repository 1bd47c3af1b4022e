// Package exporter is the one export engine behind every channel (CLI, URL, admin job): it
// opens one consistent snapshot, streams it through the encoder of the chosen format, counts
// rows, bytes and replaced characters, and reports progress while it runs.
package exporter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
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
	// Leases enforce one export at a time per principal; Log records every attempt. Both are
	// required by Run; Export alone (tests of the pipeline) uses neither.
	Leases custexport.LeaseStore
	Log    custexport.AccessLog
	Holder string       // names this process in lease rows, e.g. "host:pid"
	Logger *slog.Logger // where a failed access-log write is reported; nil: slog.Default()
	// LeaseTTL overrides DefaultLeaseTTL (tests of crash recovery use seconds).
	LeaseTTL time.Duration
	// Partners, when set, lets the heartbeat stop a partner's running download once the
	// partner is regenerated, deleted or expired (Request.Partner).
	Partners custexport.PartnerStore
}

// DefaultLeaseTTL is how long a slot outlives a process that died without releasing it; the
// heartbeat renews it every third of that, so SPEC's "frees itself within 60 seconds" holds.
const DefaultLeaseTTL = 30 * time.Second

func (e *Engine) leaseTTL() time.Duration {
	if e.LeaseTTL > 0 {
		return e.LeaseTTL
	}
	return DefaultLeaseTTL
}

// Request is one export attempt: who asks, how, and for what.
type Request struct {
	Principal custexport.Principal
	Channel   custexport.Channel
	ClientIP  string
	UserAgent string
	Options   custexport.ExportOptions
	// Partner is the partner as its link was granted (URL channel): the heartbeat stops the
	// export when the partner's link no longer holds (ErrRevoked).
	Partner *custexport.Partner
}

// ErrRevoked ends an export whose partner was regenerated, deleted or expired while it ran;
// OutcomeOf makes it aborted.
var ErrRevoked = errors.New("partner revoked")

// Run is Export under the principal's one-at-a-time slot, with an access-log entry whatever
// the outcome. A second export of the same principal gets a CodeBusy error at once. If the
// slot is lost (the heartbeat finds it taken over), the export stops.
func (e *Engine) Run(ctx context.Context, req Request, w io.Writer, progress *Progress) (Result, error) {
	slot, err := e.Begin(ctx, req)
	if err != nil {
		return Result{}, err
	}
	return slot.Export(ctx, w, progress)
}

// OutcomeOf is the one rule for what became of an export that ended with err, its request's
// context being ctx: served (no error), busy (another export of the principal was running),
// aborted (the client went away, the export was cancelled or its partner revoked) or failed
// (anything else).
func OutcomeOf(ctx context.Context, err error) custexport.Outcome {
	switch {
	case err == nil:
		return custexport.OutcomeServed
	case custexport.ErrorCode(err) == custexport.CodeBusy:
		return custexport.OutcomeBusy
	case ctx.Err() != nil, errors.Is(err, ErrRevoked):
		return custexport.OutcomeAborted
	}
	return custexport.OutcomeFailed
}

// Slot is a principal's export slot, taken by Begin and held until its export ends. The admin
// UI takes the slot while answering the request (so that a second start is refused at once)
// and exports in the background.
type Slot struct {
	e     *Engine
	req   Request
	lease custexport.Lease
}

// Begin takes the principal's slot for req. A refusal (CodeBusy while another export of the
// principal runs) is written to the access log. The caller must call Export or Release.
//
// The lease carries what the log needs if this process dies during the export: the slot of
// a dead process is taken only after its export was logged failed (RecoverDied, called first).
func (e *Engine) Begin(ctx context.Context, req Request) (*Slot, error) {
	if err := e.RecoverDied(ctx); err != nil && ctx.Err() == nil {
		e.logger().Warn("recovering the export slots of dead processes", "err", err)
	}
	lease, err := e.Leases.AcquireLease(ctx, req.Principal.Key(), e.Holder, e.leaseTTL(), encodeNote(req, e.now()))
	if err != nil {
		e.logAttempt(ctx, req, OutcomeOf(ctx, err), err.Error(), Result{})
		return nil, err
	}
	return &Slot{e: e, req: req, lease: lease}, nil
}

// HeadersOnly answers a request that wants only the headers of an export (HTTP HEAD) as Run
// would begin it: it takes the principal's slot, so that while another export of the principal
// runs it gets the same CodeBusy (logged busy), then frees the slot at once. Nothing is
// exported; the attempt is logged as served with no rows and the reason HeadersOnlyReason, so
// that a client probing a link leaves a trace like every other attempt.
func (e *Engine) HeadersOnly(ctx context.Context, req Request) error {
	slot, err := e.Begin(ctx, req)
	if err != nil {
		return err
	}
	slot.Release(ctx)
	e.logAttempt(ctx, req, custexport.OutcomeServed, HeadersOnlyReason, Result{})
	return nil
}

// HeadersOnlyReason is the access-log reason of a served HEAD request.
const HeadersOnlyReason = "headers only (HEAD): nothing exported"

// Release frees a slot whose export never started; nothing is logged.
func (s *Slot) Release(ctx context.Context) {
	releaseCtx, stop := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer stop()
	s.e.Leases.ReleaseLease(releaseCtx, s.lease)
}

// Export runs the export under the slot, keeps the slot alive meanwhile, frees it and logs
// the outcome. A started entry is written before the first byte: an export that cannot be
// logged does not run. Cancelling ctx stops the export (outcome aborted). If w has a method
// Interrupt, it is called when the heartbeat stops the export (slot lost, partner revoked),
// so that a write blocked on a client that does not read ends too.
func (s *Slot) Export(ctx context.Context, w io.Writer, progress *Progress) (res Result, err error) {
	e, req := s.e, s.req
	started := e.now()
	if err := e.appendEntry(ctx, req, custexport.OutcomeStarted, "", Result{Started: started}); err != nil {
		s.Release(ctx)
		return Result{Started: started}, fmt.Errorf("the export was not started: its access-log entry could not be written: %w", err)
	}
	runCtx, cancel := context.WithCancelCause(ctx)
	stopNow := cancel // what the heartbeat calls to end the export
	if iw, ok := w.(interface{ Interrupt() }); ok {
		stopNow = func(cause error) {
			cancel(cause)
			iw.Interrupt()
		}
	}
	heartbeatDone := make(chan struct{})
	go func() {
		defer close(heartbeatDone)
		e.heartbeat(runCtx, stopNow, s.lease, req)
	}()
	// Deferred, so that even a panic below frees the slot and leaves an entry in the log.
	defer func() {
		cancel(nil)
		<-heartbeatDone
		// The slot is freed even when the client went away: release with a context of its own.
		releaseCtx, stop := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer stop()
		e.Leases.ReleaseLease(releaseCtx, s.lease)
		failure := err
		if p := recover(); p != nil {
			failure = fmt.Errorf("export panicked: %v", p)
			defer panic(p)
		}
		outcome, reason := OutcomeOf(ctx, failure), ""
		switch {
		case errors.Is(failure, ErrRevoked):
			reason = failure.Error()
		case outcome == custexport.OutcomeAborted:
			reason = "client disconnected or export cancelled: " + context.Cause(ctx).Error()
		case outcome == custexport.OutcomeFailed, outcome == custexport.OutcomeBusy:
			reason = failure.Error()
		}
		e.logAttempt(releaseCtx, req, outcome, reason, res)
	}()
	res, err = e.Export(runCtx, req.Options, w, progress)
	res.Started = started
	cause := context.Cause(runCtx)
	switch {
	case err != nil && errors.Is(cause, ErrRevoked):
		// Revoked, even when the interrupted write made it look like the client went away.
		err = cause
	case err != nil && ctx.Err() == nil && cause != nil && cause != context.Canceled:
		err = cause // the slot was lost: say so rather than "context canceled"
	}
	return res, err
}

func (e *Engine) heartbeat(ctx context.Context, cancel context.CancelCauseFunc, lease custexport.Lease, req Request) {
	ttl := e.leaseTTL()
	tick := time.NewTicker(ttl / 3)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			// A renewal that cannot finish before the lease is about to run out (a database
			// too busy to hand out a connection) must not hold the export past it.
			renewCtx, stop := context.WithDeadline(ctx, lease.Expires.Add(-ttl/6))
			renewed, err := e.Leases.RenewLease(renewCtx, lease, ttl)
			stop()
			switch {
			case err == nil:
				lease = renewed
				if why := e.revoked(ctx, req); why != "" {
					cancel(fmt.Errorf("%w: %s", ErrRevoked, why))
					return
				}
			case ctx.Err() != nil:
				return
			case custexport.ErrorCode(err) == custexport.CodeBusy:
				// Not busy: the export had the slot and failed by losing it.
				cancel(&custexport.Error{Code: custexport.CodeInternal, Message: "export slot lost: " + err.Error(), Err: err})
				return
			case !time.Now().Before(lease.Expires.Add(-ttl / 6)):
				// A renewal can fail for a moment (the database busy with a long write); only
				// a lease about to run out may be taken by someone else, so stop then.
				cancel(fmt.Errorf("export slot could not be renewed before it expired: %w", err))
				return
			}
		}
	}
}

// revoked says why req's partner link no longer holds (regenerated, deleted, expired), or ""
// while it does or when that cannot be told now (the store did not answer: the next
// heartbeat asks again).
func (e *Engine) revoked(ctx context.Context, req Request) string {
	if req.Partner == nil || e.Partners == nil {
		return ""
	}
	p, err := e.Partners.Partner(ctx, req.Partner.ID)
	switch {
	case custexport.ErrorCode(err) == custexport.CodeNotFound:
		return "the partner was deleted"
	case err != nil:
		return ""
	case !bytes.Equal(p.LinkSalt, req.Partner.LinkSalt):
		return "the partner's links were regenerated"
	case !p.ActiveAt(e.now(), e.Location):
		return "the partner expired (valid until " + p.ValidUntil.String() + ")"
	}
	return ""
}

// LogAttempt records an attempt that never reached the engine (denied, rate-limited, bad
// request) so that every channel logs the same way.
func (e *Engine) LogAttempt(ctx context.Context, req Request, outcome custexport.Outcome, reason string) {
	e.logAttempt(ctx, req, outcome, reason, Result{})
}

// logAttempt writes an entry; a failed write must not turn a served download into an error,
// but it is never silent: the operator's log says so.
func (e *Engine) logAttempt(ctx context.Context, req Request, outcome custexport.Outcome, reason string, res Result) {
	if err := e.appendEntry(ctx, req, outcome, reason, res); err != nil {
		e.logger().Error("access log write failed", "err", err, "principal", req.Principal.Key(), "outcome", string(outcome))
	}
}

func (e *Engine) appendEntry(ctx context.Context, req Request, outcome custexport.Outcome, reason string, res Result) error {
	entry := &custexport.AccessEntry{
		At:        res.Started,
		Principal: req.Principal,
		Channel:   req.Channel,
		ClientIP:  req.ClientIP,
		UserAgent: req.UserAgent,
		Format:    req.Options.Format,
		Encoding:  req.Options.Encoding,
		Filter:    FilterText(req.Options.Filter),
		Outcome:   outcome,
		Reason:    reason,
		Rows:      res.Rows,
		Bytes:     res.Bytes,
		Duration:  res.Duration,
		Replaced:  res.Replaced,
	}
	if entry.At.IsZero() {
		entry.At = e.now()
	}
	return e.Log.AppendAccess(context.WithoutCancel(ctx), entry)
}

func (e *Engine) logger() *slog.Logger {
	if e.Logger != nil {
		return e.Logger
	}
	return slog.Default()
}

// FilterText describes a filter for the log: "from..until" with open ends empty.
func FilterText(f custexport.Filter) string {
	if f.From.IsZero() && f.Until.IsZero() {
		return ""
	}
	return f.From.String() + ".." + f.Until.String()
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
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
	res := Result{Started: e.now()}
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
		Rows:         snap.Total(),
	})
	err = snap.Each(func(c *custexport.Customer) error {
		// A panicking encoder becomes an error here, so that the snapshot stops its readers
		// the ordinary way before anything is closed under them.
		if err := safely(func() error { return enc.Encode(c) }); err != nil {
			return err
		}
		progress.done.Add(1)
		return nil
	})
	written := counter.n
	if err != nil {
		// The encoder must still be closed (XLSX stops its compressor), but its closing parts
		// must not reach the reader: a CSV header or a whole-looking workbook would hide the
		// failure, and a download that has not started yet can still answer 500.
		counter.w = io.Discard
	}
	if closeErr := safely(enc.Close); err == nil {
		err = closeErr
	}
	res.Rows = progress.Done()
	res.Bytes = counter.n
	if err != nil {
		res.Bytes = written
	}
	if rc, ok := enc.(custexport.ReplacementCounter); ok {
		res.Replaced = rc.Replaced()
	}
	res.Duration = e.now().Sub(res.Started)
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

// safely runs fn, turning a panic into an error.
func safely(fn func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("encoder panicked: %v", p)
		}
	}()
	return fn()
}
