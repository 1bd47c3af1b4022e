package web

import (
	"net/netip"
	"runtime"
	"testing"
	"time"
)

// At a full table the limiter used to forget everything, the attacker's own lockout included
// (Why item 4 of issue 16). Now an active lockout survives any number of other keys; this runs
// at the real bound of 100,000 keys.
func TestLimiterNeverDropsAnActiveLockout(t *testing.T) {
	l := &FailureLimiter{Max: 3, Window: time.Minute}
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	attacker := netip.MustParsePrefix("203.0.113.66/32")
	for range 3 {
		l.Fail(attacker, now)
	}
	for i := range 2 * DefaultMaxKeys {
		l.Fail(testPrefix(i), now.Add(time.Second))
		if i%20_000 == 0 {
			if blocked, _ := l.Blocked(attacker, now.Add(time.Second)); !blocked {
				t.Fatalf("after %d other keys the attacker's lockout is gone", i+1)
			}
		}
	}
	if blocked, wait := l.Blocked(attacker, now.Add(2*time.Second)); !blocked || wait != 58*time.Second {
		t.Fatalf("after %d other keys: blocked %v for %s, want 58s", 2*DefaultMaxKeys, blocked, wait)
	}
	if keys, _ := l.Tracked(); keys > DefaultMaxKeys {
		t.Fatalf("%d keys tracked, bound %d", keys, DefaultMaxKeys)
	}
}

// A full table forgets, in this order: lockouts that have ended, then the key that failed
// longest ago; when every key is an active lockout, a new key is not tracked rather than any
// lockout forgotten.
func TestLimiterEvictsTheOldestIdleFirst(t *testing.T) {
	l := &Limiter[string]{Max: 2, Window: time.Minute, MaxKeys: 3}
	t0 := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	blocked := func(key string, now time.Time) bool { b, _ := l.Blocked(key, now); return b }
	l.Fail("a", at(1))
	l.Fail("b", at(2))
	l.Fail("c", at(3))
	l.Fail("a", at(4)) // a is locked out
	l.Fail("d", at(5)) // the table is full: b, the oldest idle key, goes
	l.Fail("b", at(6)) // b starts again at one failure; c, now the oldest idle, goes
	if blocked("b", at(6)) {
		t.Fatal("b was kept instead of being the first idle key forgotten")
	}
	if !blocked("a", at(6)) {
		t.Fatal("the lockout of a was forgotten")
	}
	l.Fail("b", at(7)) // b locked out; d is the only idle key
	l.Fail("d", at(8)) // d locked out: every key is an active lockout
	l.Fail("e", at(9))
	if keys, untracked := l.Tracked(); keys != 3 || untracked != 1 {
		t.Fatalf("tracked %d keys, %d untracked failures; want 3 and 1", keys, untracked)
	}
	for _, k := range []string{"a", "b", "d"} {
		if !blocked(k, at(9)) {
			t.Fatalf("the lockout of %s was forgotten for a new key", k)
		}
	}
	// a's window (from second 1) ends at 61: its lockout is the first to make room.
	l.Fail("e", at(61))
	l.Fail("e", at(62))
	if !blocked("e", at(62)) || blocked("a", at(62)) || !blocked("b", at(62)) || !blocked("d", at(62)) {
		t.Fatal("an ended lockout should have made room for e, and only it")
	}
}

// The memory bound the limiter states: a full table of DefaultMaxKeys keys takes at most
// limiterBytesPerKey bytes per key, and stays full however many more keys fail.
func TestLimiterMemoryBound(t *testing.T) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	l := &FailureLimiter{Max: 20, Window: time.Minute}
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	for i := range 3 * DefaultMaxKeys {
		l.Fail(testPrefix(i), now)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	keys, _ := l.Tracked()
	if keys != DefaultMaxKeys {
		t.Fatalf("%d keys tracked, want the bound %d", keys, DefaultMaxKeys)
	}
	grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	if grown > DefaultMaxKeys*limiterBytesPerKey {
		t.Fatalf("a full table takes %d bytes (%d a key), more than the stated %d a key", grown, grown/DefaultMaxKeys, limiterBytesPerKey)
	}
	t.Logf("a full table of %d keys: %d bytes (%d a key)", keys, grown, grown/int64(keys))
	runtime.KeepAlive(l)
}

// testPrefix is the i-th of many distinct IPv6 /64 networks.
func testPrefix(i int) netip.Prefix {
	a := [16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 0, byte(i >> 24), byte(i >> 16), byte(i >> 8), byte(i)}
	return netip.PrefixFrom(netip.AddrFrom16(a), 64)
}
