package custexport

import (
	"context"
	"time"
)

// JobState is where an admin export job is.
type JobState string

// The states of a job. A running job whose process died is finished as failed by the next
// instance that finds its heartbeat stale (see JobStore.FailStaleJobs).
const (
	JobRunning JobState = "running"
	JobDone    JobState = "done"
	JobFailed  JobState = "failed"
	JobExpired JobState = "expired" // done, but its file was deleted after JobFileLifetime
)

// JobFileLifetime is how long a finished job's file is kept for download (SPEC section 4).
const JobFileLifetime = 24 * time.Hour

// ExportJob is an export started in the admin UI: it runs in the background under the user's
// one-at-a-time slot and writes a file that the user downloads later, from any tab.
type ExportJob struct {
	ID        int64
	UserID    int64
	Options   ExportOptions
	State     JobState
	RowsDone  int64
	RowsTotal int64
	Bytes     int64
	Replaced  int64  // characters written as '?' (windows-1250)
	Error     string // why a failed job failed, for the user
	File      string // the file's name in the job file store; empty until done
	CreatedAt time.Time
	UpdatedAt time.Time // the runner's last heartbeat or progress report
	EndedAt   time.Time
}

// Percent is the share of rows done, 0–100.
func (j *ExportJob) Percent() int {
	if j.State == JobDone || j.State == JobExpired {
		return 100
	}
	if j.RowsTotal <= 0 {
		return 0
	}
	return int(min(100, j.RowsDone*100/j.RowsTotal))
}

// JobStore keeps admin export jobs, so that every tab, and every instance sharing the
// database, sees the same job.
type JobStore interface {
	CreateJob(ctx context.Context, j *ExportJob) error
	// UpdateJobProgress records rows done of total and refreshes UpdatedAt.
	UpdateJobProgress(ctx context.Context, id, done, total int64) error
	// FinishJob records the end of a job: its state, counts, error and file.
	FinishJob(ctx context.Context, j *ExportJob) error
	// Job returns a job; CodeNotFound when there is none.
	Job(ctx context.Context, id int64) (*ExportJob, error)
	// LatestJob returns the user's newest job, or nil.
	LatestJob(ctx context.Context, userID int64) (*ExportJob, error)
	// FailStaleJobs marks running jobs not updated since before as failed and returns them.
	FailStaleJobs(ctx context.Context, before time.Time, reason string) ([]ExportJob, error)
	// ExpireJobs marks done jobs that ended before the given time as expired and returns them,
	// so that their files can be deleted.
	ExpireJobs(ctx context.Context, endedBefore time.Time) ([]ExportJob, error)
}
