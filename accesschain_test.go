package custexport

import (
	"strings"
	"testing"
	"time"
)

// The head printed for an outside record reads back exactly, and its MAC covers every field.
func TestHeadRoundTrip(t *testing.T) {
	k := NewLogKey([]byte("key"))
	h := Checkpoint{Kind: CheckpointHead, At: time.Date(2026, 12, 8, 1, 2, 3, 456789, time.UTC), Count: 42, Last: strings.Repeat("ab", 32)}
	k.Sign(&h)
	got, err := ParseHead(FormatHead(&h))
	if err != nil || *got != h || !k.Signed(got) {
		t.Fatalf("ParseHead(FormatHead(h)) = %+v, %v; want %+v, signed", got, err, h)
	}
	for _, change := range []func(c *Checkpoint){
		func(c *Checkpoint) { c.Count++ },
		func(c *Checkpoint) { c.At = c.At.Add(time.Millisecond) },
		func(c *Checkpoint) { c.Last = strings.Repeat("cd", 32) },
		func(c *Checkpoint) { c.Kind = CheckpointStart },
	} {
		c := h
		change(&c)
		if k.Signed(&c) {
			t.Errorf("a changed head %+v still verifies", c)
		}
	}
	if NewLogKey([]byte("other")).Signed(&h) {
		t.Error("another key verifies the head")
	}
	empty := Checkpoint{Kind: CheckpointHead, At: h.At}
	k.Sign(&empty)
	if got, err := ParseHead(FormatHead(&empty)); err != nil || got.Count != 0 || got.Last != "" {
		t.Errorf("the head of an empty chain: %+v, %v", got, err)
	}
	for _, bad := range []string{"", "custexport-head-v1:1:2:3", "custexport-head-v2:1:2::" + h.MAC, "custexport-head-v1:-1:2::" + h.MAC,
		"custexport-head-v1:x:2::" + h.MAC, "custexport-head-v1:1:2:zz:" + h.MAC, "custexport-head-v1:1:2::" + h.MAC[:10]} {
		if _, err := ParseHead(bad); ErrorCode(err) != CodeInvalid {
			t.Errorf("ParseHead(%q) = %v, want CodeInvalid", bad, err)
		}
	}
}
