package exporter

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/custexport/custexport"
)

// Jobs runs the admin UI's export jobs: each in the background under its user's slot, into a
// file in Dir that is kept for custexport.JobFileLifetime. The job's row in the JobStore is
// what every tab (and every instance) shows.
type Jobs struct {
	Engine *Engine
	Store  custexport.JobStore
	Dir    string // where the files are kept; made when missing
	Logger *slog.Logger
	// ProgressEvery is how often a running job writes its progress (default 250 ms); each write
	// is also the job's heartbeat.
	ProgressEvery time.Duration

	wg sync.WaitGroup
}

// staleAfter is how long a running job may go without a progress write before another
// instance declares its process dead.
const staleAfter = time.Minute

// Start takes the user's slot (a CodeBusy error at once when the user already has an export
// running), records the job and runs it in the background on base, which should live as long
// as the server. It returns the new job.
func (js *Jobs) Start(ctx, base context.Context, req Request, userID int64) (*custexport.ExportJob, error) {
	if err := os.MkdirAll(js.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("jobs directory: %w", err)
	}
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
	done := make(chan struct{})
	go func() {
		js.wg.Wait()
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
			os.Remove(filepath.Join(js.Dir, file))
		}
	}
}

// write exports into a temporary file and renames it to its final name only when complete.
func (js *Jobs) write(ctx context.Context, job *custexport.ExportJob, slot *Slot, progress *Progress) (Result, string, error) {
	tmp, err := os.CreateTemp(js.Dir, fmt.Sprintf("job-%d-*.part", job.ID))
	if err != nil {
		slot.Release(ctx)
		return Result{}, "", err
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	buf := bufio.NewWriterSize(tmp, 256<<10)
	res, err := slot.Export(ctx, buf, progress)
	if err == nil {
		err = buf.Flush()
	}
	if closeErr := tmp.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		return res, "", err
	}
	name := JobFileName(job)
	if err := os.Rename(tmp.Name(), filepath.Join(js.Dir, name)); err != nil {
		return res, "", err
	}
	return res, name, nil
}

// JobFileName is the name of a finished job's file in the jobs directory.
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

// Clean fails jobs whose process stopped reporting and deletes the files of jobs that ended
// more than custexport.JobFileLifetime ago, and leftover partial files.
func (js *Jobs) Clean(ctx context.Context, now time.Time) error {
	if _, err := js.Store.FailStaleJobs(ctx, now.Add(-staleAfter), "the server running this export stopped"); err != nil {
		return err
	}
	expired, err := js.Store.ExpireJobs(ctx, now.Add(-custexport.JobFileLifetime))
	if err != nil {
		return err
	}
	var errs []error
	for _, j := range expired {
		if j.File == "" {
			continue
		}
		if err := os.Remove(filepath.Join(js.Dir, j.File)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	// A partial file older than a running job could be is left by a crashed process.
	entries, _ := os.ReadDir(js.Dir)
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".part") {
			continue
		}
		if info, err := e.Info(); err == nil && now.Sub(info.ModTime()) > custexport.JobFileLifetime {
			os.Remove(filepath.Join(js.Dir, e.Name()))
		}
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

// userMessage is what the job page says about a failure: the message of a custexport.Error,
// otherwise a generic sentence (details go to the server log only).
func userMessage(err error) string {
	var e *custexport.Error
	if errors.As(err, &e) && e.Code != custexport.CodeInternal {
		return e.Error()
	}
	if errors.Is(err, context.Canceled) {
		return "the export was cancelled (the server stopped)"
	}
	return "the export failed; the server log has the details"
}
