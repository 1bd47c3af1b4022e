package exporter

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/custexport/custexport"
)

// panickingEncoder stands for a bug in an encoder, in Encode or in Close.
type panickingEncoder struct{ inClose bool }

func (p panickingEncoder) Encode(*custexport.Customer) error {
	if !p.inClose {
		panic("encoder bug")
	}
	return nil
}

func (p panickingEncoder) Close() error {
	if p.inClose {
		panic("encoder bug in Close")
	}
	return nil
}

// A panicking encoder fails the export like any error: the process goes on, the slot is free
// at once and the access log says failed.
func TestEncoderPanicFailsTheExport(t *testing.T) {
	for _, inClose := range []bool{false, true} {
		e, db := newEngine(t)
		e.Encoders[custexport.FormatCSV] = func(io.Writer, custexport.EncodeOptions) custexport.Encoder {
			return panickingEncoder{inClose: inClose}
		}
		_, err := e.Run(context.Background(), request(partner), io.Discard, nil)
		if err == nil || !strings.Contains(err.Error(), "panicked") {
			t.Fatalf("panic in Close %v: Run returned %v, want the panic as an error", inClose, err)
		}
		if got := outcomes(t, db); len(got) != 2 || !strings.HasPrefix(got[0], "started:") || !strings.HasPrefix(got[1], "failed:") {
			t.Fatalf("panic in Close %v: access log %v, want started and one failed entry", inClose, got)
		}
		slot, err := e.Begin(context.Background(), request(partner))
		if err != nil {
			t.Fatalf("panic in Close %v: the slot was not freed: %v", inClose, err)
		}
		slot.Release(context.Background())
	}
}

// failingStore's snapshots fail before their first row (a damaged database, an I/O error).
type failingStore struct{ custexport.CustomerStore }

func (s failingStore) OpenSnapshot(ctx context.Context, q custexport.SnapshotQuery) (custexport.CustomerSnapshot, error) {
	snap, err := s.CustomerStore.OpenSnapshot(ctx, q)
	if err != nil {
		return nil, err
	}
	return failingSnapshot{snap}, nil
}

type failingSnapshot struct{ custexport.CustomerSnapshot }

func (failingSnapshot) Each(func(*custexport.Customer) error) error {
	return errors.New("database disk image is malformed")
}

// An export that fails before its first row writes nothing at all: not the CSV header, which
// would let a download start (200) and hide the failure behind a short file.
func TestFailureBeforeFirstRowWritesNothing(t *testing.T) {
	e, _ := newEngine(t)
	e.Store = failingStore{e.Store}
	var out bytes.Buffer
	res, err := e.Run(context.Background(), request(partner), &out, nil)
	if err == nil || out.Len() != 0 || res.Bytes != 0 {
		t.Fatalf("Run: %v, wrote %d bytes (result says %d), want an error and nothing written", err, out.Len(), res.Bytes)
	}
}

// flakyLeases fails the first renewal with a transient error while the lease is intact, and
// reports the renewals that follow.
type flakyLeases struct {
	custexport.LeaseStore
	mu        sync.Mutex
	calls     int
	recovered chan struct{} // closed at the first successful renewal after the failure
}

func (f *flakyLeases) RenewLease(ctx context.Context, l custexport.Lease, ttl time.Duration) (custexport.Lease, error) {
	f.mu.Lock()
	f.calls++
	n := f.calls
	f.mu.Unlock()
	if n == 1 {
		return l, errors.New("database is locked")
	}
	renewed, err := f.LeaseStore.RenewLease(ctx, l, ttl)
	if err == nil && n == 2 {
		close(f.recovered)
	}
	return renewed, err
}

// One failed renewal, with the lease still valid, does not stop a healthy export: only a lost
// slot (CodeBusy) or one about to expire does.
func TestTransientRenewalErrorKeepsTheExport(t *testing.T) {
	e, db := newEngine(t)
	leases := &flakyLeases{LeaseStore: db, recovered: make(chan struct{})}
	e.Leases = leases
	e.LeaseTTL = 3 * time.Second // renewals every second: the failed one leaves 2 s of lease
	w := &blockingWriter{started: make(chan struct{}), release: make(chan struct{})}
	done := make(chan error, 1)
	go func() {
		_, err := e.Run(context.Background(), request(partner), w, nil)
		done <- err
	}()
	<-leases.recovered // the export is held at its first write across both renewals
	close(w.release)
	if err := <-done; err != nil {
		t.Fatalf("the export ended with %v after one transient renewal error", err)
	}
}
