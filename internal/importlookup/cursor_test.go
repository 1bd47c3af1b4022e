package importlookup

import (
	"errors"
	"fmt"
	"testing"
)

// memoryBatches is a stream of n stored customers in export order, in batches of size rows:
// customer i has registration date i/2 (two customers a day) and guid g%06d.
type memoryBatches struct {
	n, size   int
	next      int   // the first customer of the next batch
	first     int   // the first customer of the current batch
	nexts     int   // Next calls
	restarts  []int // the customer each Restart started after
	failAfter int   // Next fails once this many batches were read; 0: never
}

func (m *memoryBatches) date(i int) int64        { return int64(i / 2) }
func (m *memoryBatches) guid(i int) string       { return fmt.Sprintf("g%06d", i) }
func (m *memoryBatches) passed(c *Cursor, i int) { c.Passed(m.date(i), m.guid(i)) }

func (m *memoryBatches) Next() (int, error) {
	m.nexts++
	if m.failAfter > 0 && m.nexts > m.failAfter {
		return 0, errors.New("connection lost")
	}
	m.first = m.next
	rows := min(m.size, m.n-m.next)
	m.next += rows
	return rows, nil
}

func (m *memoryBatches) Key(i int) (int64, []byte) {
	return m.date(m.first + i), []byte(m.guid(m.first + i))
}

func (m *memoryBatches) Restart(date int64, guid string) error {
	var after int
	if _, err := fmt.Sscanf(guid, "g%d", &after); err != nil || m.date(after) != date {
		return fmt.Errorf("restart after an unknown position (%d, %q)", date, guid)
	}
	m.restarts = append(m.restarts, after)
	m.next = after + 1
	return nil
}

// take asks the cursor for customer i as an import asks for a file's row: at the head, else
// by a lookup that tells the cursor where it found the customer. It reports whether the head
// answered.
func take(c *Cursor, m *memoryBatches, i int) bool {
	if _, ok := c.Match(m.guid(i)); ok {
		c.Advance()
		return true
	}
	m.passed(c, i)
	return false
}

// A file in export order is answered at the head, every row, reading each batch once.
func TestCursorFollowsExportOrder(t *testing.T) {
	m := &memoryBatches{n: 1000, size: 64}
	c := New(m)
	for i := range m.n {
		if !take(c, m, i) {
			t.Fatalf("customer %d was not at the head", i)
		}
	}
	if _, ok := c.Match("g999999"); ok {
		t.Fatal("a guid after the end matched")
	}
	if c.Hits() != m.n || m.nexts != 1000/64+2 || len(m.restarts) != 0 {
		t.Fatalf("%d hits, %d batches read, restarts %v; want %d hits, %d batches, none", c.Hits(), m.nexts, m.restarts, m.n, 1000/64+2)
	}
}

// A gap within the batch at hand is stepped over; a gap of up to MaxSkip rows is stepped over
// while following pays off; a longer one ends in a restart just after the customer found, after
// exactly MaxSkip steps (the cap).
func TestCursorSkipsAheadUpToTheCap(t *testing.T) {
	m := &memoryBatches{n: 20000, size: 100}
	c := New(m)
	take(c, m, 0)
	if take(c, m, 50) || !take(c, m, 51) {
		t.Fatal("a gap within the batch was not followed")
	}
	// 1449 rows ahead, beyond the batch: stepped over (the first jump pays off).
	if take(c, m, 1500) || !take(c, m, 1501) || len(m.restarts) != 0 {
		t.Fatalf("a gap of 1449 rows: restarts %v, want none and the head after it", m.restarts)
	}
	for i := 1502; i < 1520; i++ { // pay the next jump off
		take(c, m, i)
	}
	nexts := m.nexts
	target := 1520 + MaxSkip + 500
	if take(c, m, target) || !take(c, m, target+1) {
		t.Fatal("the cursor did not follow a long gap")
	}
	if len(m.restarts) != 1 || m.restarts[0] != target {
		t.Fatalf("restarts %v, want one after customer %d", m.restarts, target)
	}
	// Stepping MaxSkip rows from 1520 reads 1520+MaxSkip/100 batches' worth and stops there.
	stepped := (1520+MaxSkip)/100 - 1520/100
	if got := m.nexts - nexts; got != stepped+1 {
		t.Fatalf("%d batches read for the long gap, want %d stepped over and 1 after the restart", got, stepped)
	}
}

// After a restart that did not pay off, a file whose rows are never at the head (each far ahead
// of the last) makes the cursor restart only once per SeekAfterLookups lookups.
func TestCursorRestartsRarelyWhenItDoesNotPayOff(t *testing.T) {
	m := &memoryBatches{n: 50000 + (3*SeekAfterLookups+1)*5000, size: 100}
	c := New(m)
	take(c, m, 0)
	m.passed(c, 50000) // the free first jump: a restart
	if len(m.restarts) != 1 {
		t.Fatalf("restarts %v, want one", m.restarts)
	}
	for i := range 3 * SeekAfterLookups {
		m.passed(c, 50000+(i+1)*5000) // beyond MaxSkip ahead, never at the head
	}
	if len(m.restarts) != 1+3 {
		t.Fatalf("%d restarts for %d lookups, want 3 (one per %d)", len(m.restarts)-1, 3*SeekAfterLookups, SeekAfterLookups)
	}
}

// A file that goes back after the stream ended (an export twice over) makes the cursor start
// again after the customer found, once following pays off.
func TestCursorStartsAgainAfterTheEnd(t *testing.T) {
	m := &memoryBatches{n: 300, size: 100}
	c := New(m)
	for i := range m.n {
		take(c, m, i)
	}
	if take(c, m, 0) || !take(c, m, 1) || len(m.restarts) != 1 || m.restarts[0] != 0 {
		t.Fatalf("restarts %v, want one after customer 0, and customer 1 at the head", m.restarts)
	}
}

// A stream that fails is dropped: every later row is left to lookups, and the stream is not
// read again.
func TestCursorFailureLeavesLookups(t *testing.T) {
	m := &memoryBatches{n: 1000, size: 100, failAfter: 2}
	c := New(m)
	for i := range 200 {
		if !take(c, m, i) {
			t.Fatalf("customer %d was not at the head", i)
		}
	}
	for i := 200; i < 300; i++ {
		if take(c, m, i) {
			t.Fatalf("customer %d came from a failed stream", i)
		}
	}
	if m.nexts != 3 || len(m.restarts) != 0 {
		t.Fatalf("%d batches asked for, restarts %v; want 3 and none", m.nexts, m.restarts)
	}
}

// ClaimSet tells a second claim of an id, for ids in its range only.
func TestClaimSet(t *testing.T) {
	var s ClaimSet
	for _, id := range []int64{0, 63, 64, 1 << 20, MaxClaimID} {
		if was, ok := s.Claim(id); was || !ok {
			t.Fatalf("first claim of %d = %v, %v", id, was, ok)
		}
		if was, ok := s.Claim(id); !was || !ok {
			t.Fatalf("second claim of %d = %v, %v", id, was, ok)
		}
	}
	if was, _ := s.Claim(65); was {
		t.Fatal("an unclaimed neighbour counts as claimed")
	}
	for _, id := range []int64{-1, MaxClaimID + 1} {
		if _, ok := s.Claim(id); ok {
			t.Fatalf("id %d outside the range was claimed", id)
		}
	}
}
