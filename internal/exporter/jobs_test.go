package exporter

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/dirfiles"
	"github.com/custexport/custexport/internal/sample"
	"github.com/custexport/custexport/internal/sqlite"
)

func newJobs(t *testing.T) (*Jobs, *sqlite.DB, *custexport.User) {
	t.Helper()
	e, db := newEngine(t)
	u := &custexport.User{Name: "Jana", PasswordHash: "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"}
	if err := db.AddUser(context.Background(), u, custexport.Principal{Kind: custexport.PrincipalOperator}); err != nil {
		t.Fatal(err)
	}
	return &Jobs{Engine: e, Store: db, Files: dirfiles.New(filepath.Join(t.TempDir(), "jobs"))}, db, u
}

// jobsDir is the directory of the test's jobs.
func jobsDir(js *Jobs) string { return js.Files.(*dirfiles.Store).Dir() }

func adminRequest(u *custexport.User) Request {
	return Request{Principal: u.Principal(), Channel: custexport.ChannelAdmin, ClientIP: "192.0.2.9",
		Options: custexport.ExportOptions{Format: custexport.FormatCSV, FormulaGuard: true}}
}

// finishedJob starts an admin export job of u and waits until it has ended.
func finishedJob(t *testing.T, js *Jobs, u *custexport.User) *custexport.ExportJob {
	t.Helper()
	ctx := context.Background()
	job, err := js.Start(ctx, ctx, adminRequest(u), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := js.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	return job
}

// A job writes its file, records its counts and logs the export on the admin channel.
func TestJobWritesItsFile(t *testing.T) {
	js, db, u := newJobs(t)
	ctx := context.Background()
	job := finishedJob(t, js, u)
	got, err := db.Job(ctx, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := int64(len(sample.Customers()))
	if got.State != custexport.JobDone || got.RowsDone != want || got.RowsTotal != want || got.Percent() != 100 || got.File == "" {
		t.Fatalf("job after the export: %+v, want done with %d rows and a file", got, want)
	}
	data, err := os.ReadFile(filepath.Join(jobsDir(js), got.File))
	if err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
	r.Comma = ';'
	records, err := r.ReadAll()
	if err != nil || int64(len(records)) != want+1 {
		t.Fatalf("job file: %d records, %v; want %d", len(records), err, want+1)
	}
	if latest, _ := db.LatestJob(ctx, u.ID); latest == nil || latest.ID != job.ID {
		t.Fatalf("latest job of the user: %+v", latest)
	}
	if got := outcomes(t, db); got[len(got)-1] != "served:"+u.Principal().Key()+":" {
		t.Fatalf("access log: %v", got)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(jobsDir(js), "*.part")); len(leftovers) != 0 {
		t.Fatalf("partial files left: %v", leftovers)
	}
}

// While the user's slot is taken (an export of theirs runs elsewhere), a start is refused at
// once with CodeBusy and no job is recorded.
func TestJobRefusedWhileUserExports(t *testing.T) {
	js, db, u := newJobs(t)
	ctx := context.Background()
	slot, err := js.Engine.Begin(ctx, adminRequest(u))
	if err != nil {
		t.Fatal(err)
	}
	defer slot.Release(ctx)
	if _, err := js.Start(ctx, ctx, adminRequest(u), u.ID); custexport.ErrorCode(err) != custexport.CodeBusy {
		t.Fatalf("second start: %v, want busy", err)
	}
	if latest, _ := db.LatestJob(ctx, u.ID); latest != nil {
		t.Fatalf("a refused start recorded job %+v", latest)
	}
}

// A day after a job ended its file is deleted and the job says expired; a running job whose
// process stopped reporting is failed.
func TestJobCleanUp(t *testing.T) {
	js, db, u := newJobs(t)
	ctx := context.Background()
	job := finishedJob(t, js, u)
	done, _ := db.Job(ctx, job.ID)
	stale := &custexport.ExportJob{UserID: u.ID, Options: adminRequest(u).Options}
	if err := db.CreateJob(ctx, stale); err != nil {
		t.Fatal(err)
	}
	if err := js.Clean(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	if j, _ := db.Job(ctx, job.ID); j.State != custexport.JobDone {
		t.Fatalf("a fresh job was cleaned: %s", j.State)
	}
	if err := js.Clean(ctx, time.Now().Add(custexport.JobFileLifetime+time.Minute)); err != nil {
		t.Fatal(err)
	}
	if j, _ := db.Job(ctx, job.ID); j.State != custexport.JobExpired {
		t.Fatalf("job a day later: %s, want expired", j.State)
	}
	if _, err := os.Stat(filepath.Join(jobsDir(js), done.File)); !os.IsNotExist(err) {
		t.Fatalf("the expired job's file still exists: %v", err)
	}
	if j, _ := db.Job(ctx, stale.ID); j.State != custexport.JobFailed || j.Error == "" {
		t.Fatalf("stale running job: %+v, want failed with a reason", j)
	}
}

// An admin job whose process died (its progress and its lease stopped) is failed by the next
// Clean once its lease has expired, and its partial file removed; the export it ran ends in
// the access log as failed, "process died". Time moves on the store's clock, not by sleeping.
func TestDeadJobIsFailedAndItsPartialFileRemoved(t *testing.T) {
	js, db, u := newJobs(t)
	ctx := context.Background()
	start := time.Now()
	db.SetClock(func() time.Time { return start })
	// What a process that dies mid-export leaves: a running job, its slot (with its note) and a
	// partial file; the started entry it wrote before its first byte.
	slot, err := js.Engine.Begin(ctx, adminRequest(u))
	if err != nil {
		t.Fatal(err)
	}
	job := &custexport.ExportJob{UserID: u.ID, Options: adminRequest(u).Options}
	if err := db.CreateJob(ctx, job); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(jobsDir(js), 0o700); err != nil {
		t.Fatal(err)
	}
	partial := filepath.Join(jobsDir(js), "."+JobFileName(job)+".123456.part")
	other := filepath.Join(jobsDir(js), ".job-999.csv.654321.part") // another job's, still running
	for _, p := range []string{partial, other} {
		if err := os.WriteFile(p, []byte("id;email\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	_ = slot // never exported nor released: the process is dead

	// Within the lease nothing happens.
	if err := js.Clean(ctx, start.Add(10*time.Second)); err != nil {
		t.Fatal(err)
	}
	if j, _ := db.Job(ctx, job.ID); j.State != custexport.JobRunning {
		t.Fatalf("a job within its lease was cleaned: %s", j.State)
	}
	// Once the lease has expired (DefaultLeaseTTL), the next sweep fails the job.
	later := start.Add(DefaultLeaseTTL + time.Second)
	db.SetClock(func() time.Time { return later })
	if err := js.Clean(ctx, later); err != nil {
		t.Fatal(err)
	}
	if j, _ := db.Job(ctx, job.ID); j.State != custexport.JobFailed {
		t.Fatalf("a dead job after its lease expired: %s, want failed", j.State)
	}
	if _, err := os.Stat(partial); !os.IsNotExist(err) {
		t.Fatalf("the dead job's partial file is still there: %v", err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Fatalf("another job's partial file was removed: %v", err)
	}
	got := outcomes(t, db)
	if len(got) != 2 || got[1] != "failed:"+u.Principal().Key()+":" { // after the user's creation
		t.Fatalf("access log %v, want the dead export failed", got)
	}
	if CleanInterval+staleAfter > time.Minute {
		t.Fatalf("a dead job is failed only %s after its last progress, want within a minute", CleanInterval+staleAfter)
	}
}

// A slot whose process died is taken by the next export of its principal once expired, and
// the dead export is logged failed first: no crash goes without a trace.
func TestDiedExportIsLoggedBeforeItsSlotIsReused(t *testing.T) {
	e, db := newEngine(t)
	ctx := context.Background()
	start := time.Now()
	db.SetClock(func() time.Time { return start })
	if _, err := e.Begin(ctx, request(partner)); err != nil { // and the process dies
		t.Fatal(err)
	}
	if _, err := e.Begin(ctx, request(partner)); custexport.ErrorCode(err) != custexport.CodeBusy {
		t.Fatalf("while the dead slot's lease runs: %v, want busy", err)
	}
	db.SetClock(func() time.Time { return start.Add(DefaultLeaseTTL + time.Second) })
	slot, err := e.Begin(ctx, request(partner))
	if err != nil {
		t.Fatalf("after the lease expired: %v", err)
	}
	slot.Release(ctx)
	got := outcomes(t, db)
	if len(got) != 2 || got[0] != "busy:partner:7:2018-01-01.." || got[1] != "failed:partner:7:2018-01-01.." {
		t.Fatalf("access log %v, want busy, then the dead export failed", got)
	}
	var reason string
	db.AccessEntries(ctx, time.Time{}, func(e *custexport.AccessEntry) error { reason = e.Reason; return nil })
	if !strings.HasPrefix(reason, ReasonProcessDied) {
		t.Fatalf("the dead export's reason %q", reason)
	}
}
