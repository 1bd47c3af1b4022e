package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/custexport/custexport"
)

// Clock is a clock a test moves by hand, for a store to stamp times from: a test that needs two
// distinct times advances it instead of sleeping.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock standing at start.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now is the clock's time; it moves only by Advance.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Clocked is a store whose clock can be set (every store in this module is).
type Clocked interface {
	SetClock(now func() time.Time)
}

// UseClock gives db a Clock standing at the present second and returns it; it fails t when the
// store's clock cannot be set.
func UseClock(t testing.TB, db custexport.Database) *Clock {
	t.Helper()
	s, ok := db.(Clocked)
	if !ok {
		t.Fatalf("%T has no SetClock: the tests cannot control its time", db)
	}
	c := NewClock(time.Now().UTC().Truncate(time.Second))
	s.SetClock(c.Now)
	return c
}
