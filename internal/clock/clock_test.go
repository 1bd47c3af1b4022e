package clock

import (
	"testing"
	"time"
)

// The zero clock reads the system clock; a set one reads what it was given until reset.
func TestClock(t *testing.T) {
	var c Clock
	before := time.Now()
	if got := c.Now(); got.Before(before) || got.After(time.Now()) {
		t.Fatalf("the zero clock read %v, not the system time", got)
	}
	fixed := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	c.Set(func() time.Time { return fixed })
	if got := c.Now(); !got.Equal(fixed) {
		t.Fatalf("a set clock read %v, want %v", got, fixed)
	}
	c.Set(nil)
	if got := c.Now(); got.Equal(fixed) || got.Before(before) {
		t.Fatalf("a reset clock read %v", got)
	}
}
