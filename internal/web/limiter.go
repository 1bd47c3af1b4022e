package web

import (
	"container/heap"
	"container/list"
	"net/netip"
	"sync"
	"time"
)

// FailureLimiter counts failed download attempts per client network (clientip.Network: an
// IPv4 address, an IPv6 /64) in fixed windows. A network over the limit is refused until its
// window ends; other addresses, the legitimate partner's among them, are not affected.
type FailureLimiter = Limiter[netip.Prefix]

// LoginLimiter counts failed sign-ins (and wrong current passwords on the password page) per
// client network and per user name at a client network. It blocks; it does not slow down: a
// delay would hold a connection and a goroutine per attempt, which is what a flood wants, and
// a block is something the user can be told (429, Retry-After).
//
// There is deliberately no count per user name alone: failures for "admin" from anywhere would
// then lock the real admin out, from anywhere, for as long as someone keeps failing. A
// correct password from a network without failures always gets in. A guesser with many
// networks gets PerName tries per window from each; argon2id and the password policy make
// that hopeless, and an IPv6 network is a /64, not an address.
type LoginLimiter struct {
	PerAddress Limiter[netip.Prefix] // failures from a network, whatever the names tried
	PerName    Limiter[nameAt]       // failures of one user name from one network
}

// nameAt is a user name (custexport.UserNameKey) tried from a client network.
type nameAt struct {
	name string
	net  netip.Prefix
}

// NewLoginLimiter allows perAddress failures per window from a network and perName failures
// of one name from one network.
func NewLoginLimiter(perAddress, perName int, window time.Duration) *LoginLimiter {
	l := &LoginLimiter{}
	l.PerAddress.Max, l.PerAddress.Window = perAddress, window
	l.PerName.Max, l.PerName.Window = perName, window
	// A name key carries up to 256 bytes of name: half the keys keep it near the same memory.
	l.PerName.MaxKeys = DefaultMaxKeys / 2
	return l
}

// Blocked reports whether the name may not be tried from the network now, and for how long.
func (l *LoginLimiter) Blocked(nameKey string, network netip.Prefix, now time.Time) (bool, time.Duration) {
	if blocked, wait := l.PerAddress.Blocked(network, now); blocked {
		return true, wait
	}
	return l.PerName.Blocked(nameAt{nameKey, network}, now)
}

// Fail records a failed attempt of the name from the network.
func (l *LoginLimiter) Fail(nameKey string, network netip.Prefix, now time.Time) {
	l.PerAddress.Fail(network, now)
	l.PerName.Fail(nameAt{nameKey, network}, now)
}

// Limiter counts failures per key (a client network, a user name at a network) in fixed
// windows; a key over the limit is refused until its window ends.
//
// Memory is bounded by MaxKeys. When a new key arrives and the table is full, the limiter
// forgets lockouts whose window has ended, then the keys that failed longest ago without
// being locked out; an active lockout is never forgotten. If every tracked key is an active
// lockout, the new key's failure is not tracked (counted in Untracked): a client with more
// addresses than MaxKeys then gets more tries, but nobody already locked out gets in.
type Limiter[K comparable] struct {
	Max     int           // failed attempts allowed per window
	Window  time.Duration // e.g. a minute
	MaxKeys int           // keys tracked at most; DefaultMaxKeys when zero

	mu        sync.Mutex
	keys      map[K]*limitEntry[K]
	idle      list.List   // entries not locked out, the one that failed longest ago first
	locked    lockHeap[K] // active lockouts, the one that ends first on top
	untracked int64       // failures of keys that found the table full of lockouts
}

// DefaultMaxKeys bounds a limiter's table. An entry keyed by a network takes under
// limiterBytesPerKey bytes (key, window, list and heap links, map slot; about 250 measured), so
// a full table of 100,000 keys stays under 32 MB; TestLimiterMemoryBound measures it. A key
// holding a user name adds the name's bytes (at most 256).
const DefaultMaxKeys = 100_000

// limiterBytesPerKey is the stated upper bound of one tracked key's memory.
const limiterBytesPerKey = 320

type limitEntry[K comparable] struct {
	key   K
	start time.Time // of the window
	count int
	elem  *list.Element // in idle, or nil while locked out
	index int           // in locked, or -1
}

func (e *limitEntry[K]) end(window time.Duration) time.Time { return e.start.Add(window) }

// Blocked reports whether the key is over the limit now, and when it may try again.
func (l *Limiter[K]) Blocked(key K, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.keys[key]
	if e == nil || e.count < l.Max {
		return false, 0
	}
	if end := e.end(l.Window); now.Before(end) {
		return true, end.Sub(now)
	}
	return false, 0
}

// Fail records a failed attempt of the key.
func (l *Limiter[K]) Fail(key K, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.keys == nil {
		l.keys = make(map[K]*limitEntry[K])
	}
	e := l.keys[key]
	if e == nil {
		if !l.makeRoom(now) {
			l.untracked++
			return
		}
		e = &limitEntry[K]{key: key, start: now, index: -1}
		e.elem = l.idle.PushBack(e)
		l.keys[key] = e
	} else if !now.Before(e.end(l.Window)) {
		// The window has ended: a new one starts, and a former lockout is idle again.
		e.start, e.count = now, 0
		if e.index >= 0 {
			heap.Remove(&l.locked, e.index)
			e.elem = l.idle.PushBack(e)
		}
	}
	e.count++
	if e.elem != nil {
		l.idle.MoveToBack(e.elem)
		if e.count >= l.Max {
			l.idle.Remove(e.elem)
			e.elem = nil
			heap.Push(&l.locked, e)
		}
	}
}

// makeRoom frees a slot for a new key when the table is full, never dropping an active
// lockout; it reports whether there is room.
func (l *Limiter[K]) makeRoom(now time.Time) bool {
	max := l.MaxKeys
	if max <= 0 {
		max = DefaultMaxKeys
	}
	if len(l.keys) < max {
		return true
	}
	for l.locked.Len() > 0 && !now.Before(l.locked[0].end(l.Window)) {
		e := heap.Pop(&l.locked).(*limitEntry[K])
		delete(l.keys, e.key)
	}
	for len(l.keys) >= max && l.idle.Len() > 0 {
		e := l.idle.Remove(l.idle.Front()).(*limitEntry[K])
		delete(l.keys, e.key)
	}
	return len(l.keys) < max
}

// Tracked returns how many keys the limiter holds, and how many failures it could not track
// because every tracked key was an active lockout.
func (l *Limiter[K]) Tracked() (keys int, untracked int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys), l.untracked
}

// lockHeap orders active lockouts by the start of their window, which with one window length
// for all is the order in which they end.
type lockHeap[K comparable] []*limitEntry[K]

func (h lockHeap[K]) Len() int           { return len(h) }
func (h lockHeap[K]) Less(i, j int) bool { return h[i].start.Before(h[j].start) }
func (h lockHeap[K]) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *lockHeap[K]) Push(x any) {
	e := x.(*limitEntry[K])
	e.index = len(*h)
	*h = append(*h, e)
}
func (h *lockHeap[K]) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	e.index = -1
	return e
}
