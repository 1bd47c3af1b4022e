package web

import "time"

// Interrupt ends a write blocked on a client that does not read: the engine calls it when the
// export must stop at once (its partner was revoked, its slot lost), which it could otherwise
// tell the export only between two writes, and a stalled client would hold the download (and
// its slot and snapshot) until the stall timeout.
func (b *lazyBody) Interrupt() {
	b.rc.SetWriteDeadline(time.Now())
}
