package storetest

import (
	"testing"
	"time"

	"github.com/custexport/custexport"
)

var jobTests = []test{
	{"JobLifecycle", testJobLifecycle},
	{"StaleAndExpiredJobs", testStaleAndExpiredJobs},
}

func testJobLifecycle(t *testing.T, db custexport.Database) {
	ctx := t.Context()
	clock := UseClock(t, db)
	u := AddUser(t, db, "eva")
	other := AddUser(t, db, "petr")
	if j, err := db.LatestJob(ctx, u.ID); err != nil || j != nil {
		t.Fatalf("LatestJob of a user without jobs = %+v, %v; want nil, nil", j, err)
	}
	wantCode(t, "Job of an unknown id", func() error { _, err := db.Job(ctx, 999); return err }(), custexport.CodeNotFound)

	opts := custexport.ExportOptions{
		Format: custexport.FormatCSV, Encoding: custexport.EncodingWindows1250, FormulaGuard: true,
		Filter: custexport.Filter{From: custexport.Date{Year: 2024, Month: 1, Day: 2}, Until: custexport.Date{Year: 2024, Month: 12, Day: 31}},
	}
	j := &custexport.ExportJob{UserID: u.ID, Options: opts}
	if err := db.CreateJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	if j.ID == 0 || j.State != custexport.JobRunning || !j.CreatedAt.Equal(clock.Now()) || !j.UpdatedAt.Equal(j.CreatedAt) {
		t.Fatalf("CreateJob filled %+v", j)
	}
	got, err := db.Job(ctx, j.ID)
	if err != nil || got.UserID != u.ID || got.Options != opts || got.State != custexport.JobRunning ||
		!got.CreatedAt.Equal(j.CreatedAt) || !got.EndedAt.IsZero() || got.RowsDone != 0 || got.File != "" {
		t.Fatalf("Job = %+v, %v; want %+v", got, err, j)
	}
	plain := &custexport.ExportJob{UserID: other.ID, Options: custexport.ExportOptions{Format: custexport.FormatXML}}
	if err := db.CreateJob(ctx, plain); err != nil {
		t.Fatal(err)
	}
	if got, err := db.Job(ctx, plain.ID); err != nil || got.Options != plain.Options {
		t.Fatalf("a job without filter or encoding read back as %+v, %v", got, err)
	}

	clock.Advance(time.Millisecond)
	if err := db.UpdateJobProgress(ctx, j.ID, 40, 100); err != nil {
		t.Fatal(err)
	}
	got, _ = db.Job(ctx, j.ID)
	if got.RowsDone != 40 || got.RowsTotal != 100 || !got.UpdatedAt.After(j.CreatedAt) || got.Percent() != 40 {
		t.Fatalf("after progress: %+v", got)
	}

	j.State, j.RowsDone, j.RowsTotal, j.Bytes, j.Replaced, j.File = custexport.JobDone, 100, 100, 12345, 2, "job-1.csv"
	if err := db.FinishJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	if j.EndedAt.IsZero() {
		t.Error("FinishJob did not set EndedAt")
	}
	got, _ = db.Job(ctx, j.ID)
	if got.State != custexport.JobDone || got.RowsDone != 100 || got.Bytes != 12345 || got.Replaced != 2 || got.File != "job-1.csv" ||
		!got.EndedAt.Equal(j.EndedAt) || got.Error != "" {
		t.Fatalf("after FinishJob: %+v", got)
	}
	// A finished job stays as it ended: a late progress report or a second finish changes nothing.
	if err := db.UpdateJobProgress(ctx, j.ID, 1, 2); err != nil {
		t.Fatal(err)
	}
	again := *j
	again.State, again.Error, again.File = custexport.JobFailed, "late", ""
	wantCode(t, "finishing a finished job", db.FinishJob(ctx, &again), custexport.CodeConflict)
	if got, _ := db.Job(ctx, j.ID); got.State != custexport.JobDone || got.RowsDone != 100 || got.File != "job-1.csv" || got.Error != "" {
		t.Fatalf("a finished job was changed: %+v", got)
	}

	// The newest job of the user, not of anyone.
	second := &custexport.ExportJob{UserID: u.ID, Options: custexport.ExportOptions{Format: custexport.FormatXLSX}}
	if err := db.CreateJob(ctx, second); err != nil {
		t.Fatal(err)
	}
	if l, err := db.LatestJob(ctx, u.ID); err != nil || l == nil || l.ID != second.ID {
		t.Fatalf("LatestJob = %+v, %v; want job %d", l, err, second.ID)
	}
	if l, err := db.LatestJob(ctx, other.ID); err != nil || l == nil || l.ID != plain.ID {
		t.Fatalf("LatestJob of the other user = %+v, %v; want job %d", l, err, plain.ID)
	}

	// A failed job keeps its error.
	second.State, second.Error = custexport.JobFailed, "the disk is full"
	if err := db.FinishJob(ctx, second); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.Job(ctx, second.ID); got.State != custexport.JobFailed || got.Error != "the disk is full" || got.Percent() != 0 {
		t.Fatalf("failed job %+v", got)
	}
}

// A running job whose heartbeat stopped is failed with the reason; a done job whose file is
// old enough is expired. Each is returned once, to the instance that changed it.
func testStaleAndExpiredJobs(t *testing.T, db custexport.Database) {
	ctx := t.Context()
	clock := UseClock(t, db)
	u := AddUser(t, db, "eva")
	mk := func() *custexport.ExportJob {
		j := &custexport.ExportJob{UserID: u.ID, Options: custexport.ExportOptions{Format: custexport.FormatCSV}}
		if err := db.CreateJob(ctx, j); err != nil {
			t.Fatal(err)
		}
		return j
	}
	stale, done, fresh := mk(), mk(), mk()
	done.State, done.File = custexport.JobDone, "done.csv"
	if err := db.FinishJob(ctx, done); err != nil {
		t.Fatal(err)
	}
	if failed, err := db.FailStaleJobs(ctx, stale.CreatedAt.Add(-time.Second), "x"); err != nil || len(failed) != 0 {
		t.Fatalf("FailStaleJobs before any heartbeat went stale = %+v, %v", failed, err)
	}
	clock.Advance(5 * time.Millisecond)
	cut := clock.Now()
	clock.Advance(5 * time.Millisecond)
	if err := db.UpdateJobProgress(ctx, fresh.ID, 1, 10); err != nil {
		t.Fatal(err)
	}
	failed, err := db.FailStaleJobs(ctx, cut, "the server stopped")
	if err != nil || len(failed) != 1 || failed[0].ID != stale.ID || failed[0].State != custexport.JobFailed || failed[0].Error != "the server stopped" {
		t.Fatalf("FailStaleJobs = %+v, %v; want job %d failed with the reason", failed, err, stale.ID)
	}
	if got, _ := db.Job(ctx, stale.ID); got.State != custexport.JobFailed || got.Error != "the server stopped" || got.EndedAt.IsZero() {
		t.Fatalf("the stale job reads as %+v", got)
	}
	if got, _ := db.Job(ctx, fresh.ID); got.State != custexport.JobRunning {
		t.Fatalf("a job with a recent heartbeat was failed: %+v", got)
	}
	if failed, _ := db.FailStaleJobs(ctx, cut, "again"); len(failed) != 0 {
		t.Fatalf("a second FailStaleJobs returned %+v", failed)
	}
	// Its runner learns that its job was taken from it.
	stale.State = custexport.JobDone
	wantCode(t, "finishing a job failed as stale", db.FinishJob(ctx, stale), custexport.CodeConflict)

	if expired, err := db.ExpireJobs(ctx, done.EndedAt.Add(-time.Second)); err != nil || len(expired) != 0 {
		t.Fatalf("ExpireJobs before the job ended = %+v, %v", expired, err)
	}
	expired, err := db.ExpireJobs(ctx, clock.Now().Add(time.Second))
	if err != nil || len(expired) != 1 || expired[0].ID != done.ID || expired[0].File != "done.csv" || expired[0].State != custexport.JobExpired {
		t.Fatalf("ExpireJobs = %+v, %v; want the done job, with its file", expired, err)
	}
	if got, _ := db.Job(ctx, done.ID); got.State != custexport.JobExpired || got.Percent() != 100 {
		t.Fatalf("the expired job reads as %+v", got)
	}
	if expired, _ := db.ExpireJobs(ctx, clock.Now().Add(time.Second)); len(expired) != 0 {
		t.Fatalf("a second ExpireJobs returned %+v (failed and running jobs are not expired)", expired)
	}
	// Deleting the user deletes the user's jobs.
	if err := db.DeleteUser(ctx, u.ID, operator); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "Job of a deleted user", func() error { _, err := db.Job(ctx, fresh.ID); return err }(), custexport.CodeNotFound)
}
