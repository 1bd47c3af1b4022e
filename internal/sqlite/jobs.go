package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/storerow"
)

// CreateJob stores a new running job and sets its id and times.
func (db *DB) CreateJob(ctx context.Context, j *custexport.ExportJob) error {
	now := db.clock.Now().UTC().Truncate(time.Millisecond)
	j.State, j.CreatedAt, j.UpdatedAt = custexport.JobRunning, now, now
	res, err := db.sql.ExecContext(ctx, `INSERT INTO export_job (user_id, format, encoding, guard, date_from, date_until,
		state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		j.UserID, string(j.Options.Format), string(j.Options.Encoding), j.Options.FormulaGuard,
		j.Options.Filter.From.String(), j.Options.Filter.Until.String(), string(j.State), now.UnixMilli(), now.UnixMilli())
	if err != nil {
		return err
	}
	j.ID, err = res.LastInsertId()
	return err
}

// UpdateJobProgress records the rows of a running job.
func (db *DB) UpdateJobProgress(ctx context.Context, id, done, total int64) error {
	_, err := db.sql.ExecContext(ctx, `UPDATE export_job SET rows_done = ?, rows_total = ?, updated_at = ?
		WHERE id = ? AND state = 'running'`, done, total, db.clock.Now().UnixMilli(), id)
	return err
}

// FinishJob records how a running job ended. A job already finished (say, failed as stale by
// another instance) is left as it is.
func (db *DB) FinishJob(ctx context.Context, j *custexport.ExportJob) error {
	now := db.clock.Now().UTC().Truncate(time.Millisecond)
	res, err := db.sql.ExecContext(ctx, `UPDATE export_job SET state = ?, rows_done = ?, rows_total = ?, bytes = ?,
		replaced = ?, error = ?, file = ?, updated_at = ?, ended_at = ? WHERE id = ? AND state = 'running'`,
		string(j.State), j.RowsDone, j.RowsTotal, j.Bytes, j.Replaced, j.Error, j.File, now.UnixMilli(), now.UnixMilli(), j.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return custexport.Errorf(custexport.CodeConflict, "export job %d is no longer running", j.ID)
	}
	j.UpdatedAt, j.EndedAt = now, now
	return nil
}

// Job returns one job.
func (db *DB) Job(ctx context.Context, id int64) (*custexport.ExportJob, error) {
	j, err := storerow.ScanJob(db.sql.QueryRowContext(ctx, `SELECT `+storerow.JobColumns+` FROM export_job WHERE id = ?`, id).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, custexport.Errorf(custexport.CodeNotFound, "export job %d does not exist", id)
	}
	return j, err
}

// LatestJob returns the user's newest job, or nil when there is none.
func (db *DB) LatestJob(ctx context.Context, userID int64) (*custexport.ExportJob, error) {
	j, err := storerow.ScanJob(db.sql.QueryRowContext(ctx, `SELECT `+storerow.JobColumns+` FROM export_job
		WHERE user_id = ? ORDER BY id DESC LIMIT 1`, userID).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return j, err
}

// FailStaleJobs marks running jobs whose runner stopped reporting as failed.
func (db *DB) FailStaleJobs(ctx context.Context, before time.Time, reason string) ([]custexport.ExportJob, error) {
	return db.endJobs(ctx, `UPDATE export_job SET state = 'failed', error = ?2, ended_at = ?3, updated_at = ?3
		WHERE state = 'running' AND updated_at < ?1 RETURNING `+storerow.JobColumns, before.UnixMilli(), reason, db.clock.Now().UnixMilli())
}

// ExpireJobs marks done jobs that ended before the time as expired.
func (db *DB) ExpireJobs(ctx context.Context, endedBefore time.Time) ([]custexport.ExportJob, error) {
	return db.endJobs(ctx, `UPDATE export_job SET state = 'expired', updated_at = ?2
		WHERE state = 'done' AND ended_at < ?1 RETURNING `+storerow.JobColumns, endedBefore.UnixMilli(), db.clock.Now().UnixMilli())
}

func (db *DB) endJobs(ctx context.Context, query string, args ...any) ([]custexport.ExportJob, error) {
	rows, err := db.sql.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return storerow.Collect(rows, storerow.ScanJob)
}
