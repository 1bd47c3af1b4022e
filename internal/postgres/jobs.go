package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/storerow"
)

// CreateJob stores a new running job and sets its id and times.
func (db *DB) CreateJob(ctx context.Context, j *custexport.ExportJob) error {
	now := db.clock.Now().UTC().Truncate(time.Millisecond)
	j.State, j.CreatedAt, j.UpdatedAt = custexport.JobRunning, now, now
	return db.pool.QueryRow(ctx, `INSERT INTO export_job (user_id, format, encoding, guard, date_from, date_until,
		state, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		j.UserID, string(j.Options.Format), string(j.Options.Encoding), j.Options.FormulaGuard,
		j.Options.Filter.From.String(), j.Options.Filter.Until.String(), string(j.State), now.UnixMilli(), now.UnixMilli()).Scan(&j.ID)
}

// UpdateJobProgress records the rows of a running job.
func (db *DB) UpdateJobProgress(ctx context.Context, id, done, total int64) error {
	_, err := db.pool.Exec(ctx, `UPDATE export_job SET rows_done = $1, rows_total = $2, updated_at = $3
		WHERE id = $4 AND state = 'running'`, done, total, db.clock.Now().UnixMilli(), id)
	return err
}

// FinishJob records how a running job ended. A job already finished (say, failed as stale by
// another instance) is left as it is.
func (db *DB) FinishJob(ctx context.Context, j *custexport.ExportJob) error {
	now := db.clock.Now().UTC().Truncate(time.Millisecond)
	tag, err := db.pool.Exec(ctx, `UPDATE export_job SET state = $1, rows_done = $2, rows_total = $3, bytes = $4,
		replaced = $5, error = $6, file = $7, updated_at = $8, ended_at = $8 WHERE id = $9 AND state = 'running'`,
		string(j.State), j.RowsDone, j.RowsTotal, j.Bytes, j.Replaced, j.Error, j.File, now.UnixMilli(), j.ID)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return custexport.Errorf(custexport.CodeConflict, "export job %d is no longer running", j.ID)
	}
	j.UpdatedAt, j.EndedAt = now, now
	return nil
}

// Job returns one job.
func (db *DB) Job(ctx context.Context, id int64) (*custexport.ExportJob, error) {
	j, err := storerow.ScanJob(db.pool.QueryRow(ctx, `SELECT `+storerow.JobColumns+` FROM export_job WHERE id = $1`, id).Scan)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, custexport.Errorf(custexport.CodeNotFound, "export job %d does not exist", id)
	}
	return j, err
}

// LatestJob returns the user's newest job, or nil when there is none.
func (db *DB) LatestJob(ctx context.Context, userID int64) (*custexport.ExportJob, error) {
	j, err := storerow.ScanJob(db.pool.QueryRow(ctx, `SELECT `+storerow.JobColumns+` FROM export_job
		WHERE user_id = $1 ORDER BY id DESC LIMIT 1`, userID).Scan)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	return j, err
}

// FailStaleJobs marks running jobs whose runner stopped reporting as failed.
func (db *DB) FailStaleJobs(ctx context.Context, before time.Time, reason string) ([]custexport.ExportJob, error) {
	return db.endJobs(ctx, `UPDATE export_job SET state = 'failed', error = $2, ended_at = $3, updated_at = $3
		WHERE state = 'running' AND updated_at < $1 RETURNING `+storerow.JobColumns, before.UnixMilli(), reason, db.clock.Now().UnixMilli())
}

// ExpireJobs marks done jobs that ended before the time as expired.
func (db *DB) ExpireJobs(ctx context.Context, endedBefore time.Time) ([]custexport.ExportJob, error) {
	return db.endJobs(ctx, `UPDATE export_job SET state = 'expired', updated_at = $2
		WHERE state = 'done' AND ended_at < $1 RETURNING `+storerow.JobColumns, endedBefore.UnixMilli(), db.clock.Now().UnixMilli())
}

// endJobs runs an UPDATE … RETURNING and lists the jobs it changed by id, the order in which
// SQLite returns them; PostgreSQL's RETURNING has no order of its own.
func (db *DB) endJobs(ctx context.Context, update string, args ...any) ([]custexport.ExportJob, error) {
	rows, err := db.pool.Query(ctx, `WITH ended AS (`+update+`) SELECT `+storerow.JobColumns+` FROM ended ORDER BY id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return storerow.Collect(rows, storerow.ScanJob)
}

var _ custexport.JobStore = (*DB)(nil)
