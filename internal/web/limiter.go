package web

import (
	"net/netip"
	"sync"
	"time"
)

// FailureLimiter counts failed download attempts per client address in fixed windows. An
// address over the limit is refused until its window ends; other addresses, the legitimate
// partner's among them, are not affected.
type FailureLimiter = Limiter[netip.Addr]

// Limiter counts failures per key (a client address, a user name) in fixed windows; a key
// over the limit is refused until its window ends.
type Limiter[K comparable] struct {
	Max    int           // failed attempts allowed per window
	Window time.Duration // e.g. a minute

	mu    sync.Mutex
	addrs map[K]*failWindow
}

type failWindow struct {
	start time.Time
	count int
}

// maxTracked bounds the memory an attacker with many addresses can make us use.
const maxTracked = 100_000

// Blocked reports whether the key is over the limit now, and when it may try again.
func (l *Limiter[K]) Blocked(addr K, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.addrs[addr]
	if w == nil || now.Sub(w.start) >= l.Window {
		return false, 0
	}
	if w.count < l.Max {
		return false, 0
	}
	return true, w.start.Add(l.Window).Sub(now)
}

// Fail records a failed attempt of the key.
func (l *Limiter[K]) Fail(addr K, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.addrs == nil {
		l.addrs = make(map[K]*failWindow)
	}
	w := l.addrs[addr]
	if w == nil || now.Sub(w.start) >= l.Window {
		if len(l.addrs) >= maxTracked {
			l.prune(now)
		}
		w = &failWindow{start: now}
		l.addrs[addr] = w
	}
	w.count++
}

// prune drops windows that have ended; if none has, it drops them all rather than grow.
func (l *Limiter[K]) prune(now time.Time) {
	for a, w := range l.addrs {
		if now.Sub(w.start) >= l.Window {
			delete(l.addrs, a)
		}
	}
	if len(l.addrs) >= maxTracked {
		clear(l.addrs)
	}
}
