// Package clock is the time a store stamps on what it writes: the system clock, unless a test
// sets its own to control time instead of sleeping.
package clock

import "time"

// Clock reads the system clock until Set gives it another; its zero value is ready to use.
type Clock struct{ now func() time.Time }

// Set makes the clock read now; nil restores the system clock. Call it before the clock is
// shared between goroutines.
func (c *Clock) Set(now func() time.Time) { c.now = now }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	if c.now == nil {
		return time.Now()
	}
	return c.now()
}
