package web

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/exporter"
)

// RefusalLog decides which refused partner-URL attempts (everything refused before a link is
// served) become access-log entries, so that clients without a valid link cannot grow the log
// faster than a fixed rate, however many addresses they have (SPEC section 7):
//
//   - a refusal is logged as an entry of its own while fewer than Singles have been this window,
//     all clients together. One network makes at most the failure limiter's Max denials a
//     window before the limiter refuses it;
//   - an attempt refused by the rate limiter is never logged on its own: it is counted per
//     network (clientip.Network), and at the end of the window each network gets one entry with
//     its count, for at most Networks networks;
//   - what is left over (refusals past Singles, networks past Networks) is counted into one more
//     entry at the end of the window.
//
// So clients without a valid link add at most Singles + Networks + 1 entries a window
// together (by default 251 a minute) and one network at most the limiter's Max + 1 (21 a
// minute); every entry's text is bounded by custexport.AccessEntry.Bound (a user agent to 512
// bytes).
//
// A window ends when a refusal arrives after it has lasted Window, or when RunRefusalLog (beside
// the server) finds it has; FlushRefusals ends it at once (shutdown).
type RefusalLog struct {
	Window   time.Duration // one minute when zero
	Singles  int           // DefaultRefusalSingles when zero
	Networks int           // DefaultRefusalNetworks when zero

	mu       sync.Mutex
	start    time.Time // of the window; zero before the first refusal
	singles  int
	limited  map[netip.Prefix]*limitedCount
	overflow refusalOverflow
}

// The default budget of a window of RefusalLog.
const (
	DefaultRefusalSingles  = 200
	DefaultRefusalNetworks = 50
)

// limitedCount is what one network's rate-limited attempts of a window became.
type limitedCount struct {
	req         exporter.Request // the first of them, for the entry's address, agent and format
	n           int64
	first, last time.Time
}

// refusalOverflow counts the refusals of a window past the budget, by outcome. It keeps no set
// of networks: that would grow with them.
type refusalOverflow map[custexport.Outcome]int64

// refusalSummary is an entry to write when a window ends.
type refusalSummary struct {
	req    exporter.Request
	reason string
}

func (l *RefusalLog) window() time.Duration { return orDefault(l.Window, time.Minute) }
func (l *RefusalLog) singlesBudget() int    { return orDefault(l.Singles, DefaultRefusalSingles) }
func (l *RefusalLog) networksBudget() int   { return orDefault(l.Networks, DefaultRefusalNetworks) }

func orDefault[T int | time.Duration](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}

// note counts one refusal. It reports whether the refusal is to be logged on its own, and the
// summaries of a window that this refusal found ended.
func (l *RefusalLog) note(req exporter.Request, outcome custexport.Outcome, network netip.Prefix, now time.Time) (single bool, ended []refusalSummary) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ended = l.endIf(now, false)
	if l.start.IsZero() {
		l.start = now
	}
	if outcome == custexport.OutcomeRateLimited {
		c := l.limited[network]
		if c == nil {
			if len(l.limited) >= l.networksBudget() {
				l.overflowed(outcome)
				return false, ended
			}
			if l.limited == nil {
				l.limited = make(map[netip.Prefix]*limitedCount)
			}
			c = &limitedCount{req: req, first: now}
			l.limited[network] = c
		}
		c.n++
		c.last = now
		return false, ended
	}
	if l.singles < l.singlesBudget() {
		l.singles++
		return true, ended
	}
	l.overflowed(outcome)
	return false, ended
}

func (l *RefusalLog) overflowed(outcome custexport.Outcome) {
	if l.overflow == nil {
		l.overflow = make(refusalOverflow)
	}
	l.overflow[outcome]++
}

// endIf closes the window when it has lasted Window, or at once with force; the caller holds
// l.mu.
func (l *RefusalLog) endIf(now time.Time, force bool) []refusalSummary {
	if l.start.IsZero() || (!force && now.Sub(l.start) < l.window()) {
		return nil
	}
	return l.end(now)
}

// end closes the window: it returns the summaries to write and starts afresh. The caller holds
// l.mu.
func (l *RefusalLog) end(now time.Time) []refusalSummary {
	var out []refusalSummary
	span := func(from, to time.Time) string {
		return from.UTC().Format("2006-01-02 15:04:05") + " and " + to.UTC().Format("15:04:05") + " UTC"
	}
	networks := make([]netip.Prefix, 0, len(l.limited))
	for n := range l.limited {
		networks = append(networks, n)
	}
	sort.Slice(networks, func(i, j int) bool { return l.limited[networks[i]].first.Before(l.limited[networks[j]].first) })
	for _, n := range networks {
		c := l.limited[n]
		out = append(out, refusalSummary{req: c.req, reason: fmt.Sprintf(
			"%d attempts refused by the rate limiter from %s between %s (too many failed attempts); the first one's user agent is shown",
			c.n, n, span(c.first, c.last))})
	}
	if len(l.overflow) > 0 {
		outcomes := make([]string, 0, len(l.overflow))
		var total int64
		for o, n := range l.overflow {
			outcomes = append(outcomes, fmt.Sprintf("%s %d", o, n))
			total += n
		}
		sort.Strings(outcomes)
		out = append(out, refusalSummary{
			req: exporter.Request{Principal: custexport.Principal{Kind: custexport.PrincipalPartner}, Channel: custexport.ChannelURL},
			reason: fmt.Sprintf("%d further refused attempts between %s not logged one by one: over the log's budget of %d entries and %d rate-limited networks a window (%s)",
				total, span(l.start, now), l.singlesBudget(), l.networksBudget(), strings.Join(outcomes, ", ")),
		})
	}
	l.start, l.singles, l.limited, l.overflow = time.Time{}, 0, nil, nil
	return out
}

// logRefusal writes, or counts, the access-log entry of a refused partner-URL attempt (see
// RefusalLog).
func (s *Server) logRefusal(ctx context.Context, req exporter.Request, outcome custexport.Outcome, reason string, network netip.Prefix, now time.Time) {
	single, ended := s.Refusals.note(req, outcome, network, now)
	s.writeRefusalSummaries(ctx, ended)
	if single {
		s.Engine.LogAttempt(ctx, req, outcome, reason)
	}
}

func (s *Server) writeRefusalSummaries(ctx context.Context, summaries []refusalSummary) {
	for _, sum := range summaries {
		s.Engine.LogAttempt(context.WithoutCancel(ctx), sum.req, custexport.OutcomeRateLimited, sum.reason)
	}
}

// flushRefusals writes the counts of the window of refusals when it has lasted its length, or
// at once with force.
func (s *Server) flushRefusals(ctx context.Context, now time.Time, force bool) {
	l := s.Refusals
	l.mu.Lock()
	ended := l.endIf(now, force)
	l.mu.Unlock()
	s.writeRefusalSummaries(ctx, ended)
}

// FlushRefusals ends the window of refusals now and writes its counts: at shutdown, and in
// tests.
func (s *Server) FlushRefusals(ctx context.Context) { s.flushRefusals(ctx, time.Now(), true) }

// RunRefusalLog writes ended windows of refusals until ctx ends. It does not write the last
// one: main calls FlushRefusals once the server has stopped, before the database closes.
func (s *Server) RunRefusalLog(ctx context.Context) {
	tick := time.NewTicker(s.Refusals.window() / 6)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			s.flushRefusals(ctx, now, false) // a flood that stopped is still written down
		}
	}
}
