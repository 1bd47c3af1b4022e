package exporter

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/custexport/custexport"
)

// FileStore keeps the files of finished admin export jobs: a local directory (package
// dirfiles, the default) or an S3-compatible bucket shared by every instance (package
// s3files). Names are plain file names such as JobFileName gives: no slashes, no leading dot.
//
// It uses only standard types, so a store's package need not import this one.
type FileStore interface {
	// Put stores the file called name with what write writes to w. The file becomes visible
	// under name only once write has returned nil and everything is stored; when write (or
	// the store) fails, or ctx ends, Put returns the error and leaves nothing under name.
	// Writes to w may fail once the store has failed; write should return that error.
	Put(ctx context.Context, name string, write func(w io.Writer) error) error
	// Open opens a stored file for reading, with its size in bytes. The content is seekable,
	// so a download can serve ranges. A missing file gives an error for which
	// errors.Is(err, fs.ErrNotExist) holds.
	Open(ctx context.Context, name string) (io.ReadSeekCloser, int64, error)
	// Remove deletes a stored file; a missing file is not an error.
	Remove(ctx context.Context, name string) error
	// CleanPartial deletes what Puts cut short by a crash left behind (partial files,
	// unfinished uploads), when started before the given time.
	CleanPartial(ctx context.Context, before time.Time) error
	// RemovePartial deletes what a Put of name cut short by a crash left behind (an admin
	// job whose process died); nothing there is not an error.
	RemovePartial(ctx context.Context, name string) error
}

// Jobs runs the admin UI's export jobs: each in the background under its user's slot, into a
// file in Files that is kept for custexport.JobFileLifetime. The job's row in the JobStore is
// what every tab (and every instance) shows.
type Jobs struct {
	Engine *Engine
	Store  custexport.JobStore
	Files  FileStore // where the finished files are kept; shared by every instance that shares Store
	Logger *slog.Logger
	// ProgressEvery is how often a running job writes its progress (default 250 ms); each write
	// is also the job's heartbeat.
	ProgressEvery time.Duration

	wg sync.WaitGroup
}

// staleAfter is how long a running job may go without a progress write (every ProgressEvery)
// before another instance declares its process dead: the slot's time to live, after which its
// lease has expired too. With CleanInterval, a job whose process died is failed, and its
// partial file removed, within a minute.
const staleAfter = DefaultLeaseTTL

// CleanInterval is how often serve runs Clean.
const CleanInterval = 30 * time.Second

// Start takes the user's slot (a CodeBusy error at once when the user already has an export
// running), records the job and runs it in the background on base, which should live as long
// as the server. It returns the new job.
func (js *Jobs) Start(ctx, base context.Context, req Request, userID int64) (*custexport.ExportJob, error) {
	slot, err := js.Engine.Begin(ctx, req)
	if err != nil {
		return nil, err
	}
	job := &custexport.ExportJob{UserID: userID, Options: req.Options}
	if err := js.Store.CreateJob(ctx, job); err != nil {
		slot.Release(ctx)
		return nil, err
	}
	js.wg.Add(1)
	go func() {
		defer js.wg.Done()
		js.run(base, job, slot)
	}()
	return job, nil
}

// Wait waits for the running jobs to end, or ctx.
func (js *Jobs) Wait(ctx context.Context) error {
	return WaitGroup(ctx, &js.wg)
}

// WaitGroup waits until wg is done or ctx ends, whichever comes first: how a stopping server
// waits for its running exports without waiting for ever.
func WaitGroup(ctx context.Context, wg *sync.WaitGroup) error {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (js *Jobs) run(ctx context.Context, job *custexport.ExportJob, slot *Slot) {
	progress := &Progress{}
	stopReports := make(chan struct{})
	reportsDone := make(chan struct{})
	go func() {
		defer close(reportsDone)
		js.reportProgress(ctx, job.ID, progress, stopReports)
	}()
	res, file, err := js.write(ctx, job, slot, progress)
	close(stopReports)
	<-reportsDone

	job.RowsDone, job.RowsTotal, job.Bytes, job.Replaced = res.Rows, progress.Total(), res.Bytes, res.Replaced
	job.State, job.File = custexport.JobDone, file
	if err != nil {
		job.State, job.Error = custexport.JobFailed, userMessage(err)
		js.logger().Error("export job failed", "job", job.ID, "err", err)
	}
	finishCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := js.Store.FinishJob(finishCtx, job); err != nil {
		js.logger().Error("recording the end of an export job", "job", job.ID, "err", err)
		if file != "" {
			if err := js.Files.Remove(finishCtx, file); err != nil {
				js.logger().Warn("deleting the file of an unrecorded export job", "job", job.ID, "file", file, "err", err)
			}
		}
	}
}

// write exports into the job's file, which the FileStore makes visible only when complete.
func (js *Jobs) write(ctx context.Context, job *custexport.ExportJob, slot *Slot, progress *Progress) (Result, string, error) {
	name := JobFileName(job)
	var res Result
	exported := false
	err := js.Files.Put(ctx, name, func(w io.Writer) error {
		exported = true
		buf := bufio.NewWriterSize(w, 256<<10)
		var err error
		if res, err = slot.Export(ctx, buf, progress); err != nil {
			return err
		}
		return buf.Flush()
	})
	if !exported { // the store failed before the export began: the slot is still taken
		slot.Release(ctx)
	}
	if err != nil {
		return res, "", err
	}
	return res, name, nil
}

// JobFileName is the name of a finished job's file in the FileStore.
func JobFileName(job *custexport.ExportJob) string {
	return fmt.Sprintf("job-%d.%s", job.ID, job.Options.Format)
}

func (js *Jobs) reportProgress(ctx context.Context, id int64, p *Progress, stop <-chan struct{}) {
	every := js.ProgressEvery
	if every <= 0 {
		every = 250 * time.Millisecond
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-ctx.Done():
			return
		case <-tick.C:
			if err := js.Store.UpdateJobProgress(ctx, id, p.Done(), p.Total()); err != nil && ctx.Err() == nil {
				js.logger().Warn("writing export job progress", "job", id, "err", err)
			}
		}
	}
}

// Clean writes the outcome of exports whose process died (Engine.RecoverDied), fails jobs
// whose process stopped reporting and removes their partial files, deletes the files of jobs
// that ended more than custexport.JobFileLifetime ago, and leftover partial files.
func (js *Jobs) Clean(ctx context.Context, now time.Time) error {
	var errs []error
	if err := js.Engine.RecoverDied(ctx); err != nil {
		errs = append(errs, err)
	}
	failed, err := js.Store.FailStaleJobs(ctx, now.Add(-staleAfter), "the server running this export stopped")
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for i := range failed {
		if err := js.Files.RemovePartial(ctx, JobFileName(&failed[i])); err != nil {
			errs = append(errs, err)
		}
	}
	expired, err := js.Store.ExpireJobs(ctx, now.Add(-custexport.JobFileLifetime))
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for _, j := range expired {
		if j.File == "" {
			continue
		}
		if err := js.Files.Remove(ctx, j.File); err != nil {
			errs = append(errs, err)
		}
	}
	// A partial file older than a running job could be is left by a crashed process.
	if err := js.Files.CleanPartial(ctx, now.Add(-custexport.JobFileLifetime)); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// CleanEvery runs Clean every interval until ctx ends.
func (js *Jobs) CleanEvery(ctx context.Context, interval time.Duration) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		if err := js.Clean(ctx, time.Now()); err != nil && ctx.Err() == nil {
			js.logger().Warn("cleaning export jobs", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (js *Jobs) logger() *slog.Logger {
	if js.Logger != nil {
		return js.Logger
	}
	return slog.Default()
}

// The two generic failures a job records; the admin page says them in its language.
const (
	JobCancelledMessage = "the export was cancelled (the server stopped)"
	JobFailedMessage    = "the export failed; the server log has the details"
)

// userMessage is what the job page says about a failure: the message of a custexport.Error,
// otherwise a generic sentence (details go to the server log only).
func userMessage(err error) string {
	var e *custexport.Error
	if errors.As(err, &e) && e.Code != custexport.CodeInternal {
		return e.Error()
	}
	if errors.Is(err, context.Canceled) {
		return JobCancelledMessage
	}
	return JobFailedMessage
}
