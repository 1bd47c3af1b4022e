package exporter

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/custexport/custexport"
)

// note is what a lease carries of its export, so that another process can write the export's
// outcome if this one dies: the request as the access log shows it, and when it began.
type note struct {
	At        int64  `json:"at"` // unix milliseconds
	Kind      string `json:"kind"`
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	Channel   string `json:"channel"`
	ClientIP  string `json:"ip"`
	UserAgent string `json:"ua"`
	Format    string `json:"format"`
	Encoding  string `json:"encoding"`
	Filter    string `json:"filter"`
}

func encodeNote(req Request, at time.Time) string {
	b, _ := json.Marshal(note{
		At: at.UnixMilli(), Kind: string(req.Principal.Kind), ID: req.Principal.ID, Name: req.Principal.Name,
		Channel: string(req.Channel), ClientIP: req.ClientIP, UserAgent: req.UserAgent,
		Format: string(req.Options.Format), Encoding: string(req.Options.Encoding), Filter: FilterText(req.Options.Filter),
	})
	return string(b)
}

// ReasonProcessDied starts the reason of the entry RecoverDied writes for an export whose
// process died.
const ReasonProcessDied = "process died"

// RecoverDied writes the outcome of every export whose process died holding its slot (the
// lease expired with its note): failed, "process died". Each is written once, by whichever
// process recovers the lease first; Begin calls it before taking a slot, serve's sweeper
// (Jobs.Clean) regularly.
func (e *Engine) RecoverDied(ctx context.Context) error {
	dead, err := e.Leases.RecoverLeases(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, l := range dead {
		var n note
		// A note that does not parse still gets its entry, with what the lease says.
		_ = json.Unmarshal([]byte(l.Note), &n)
		entry := &custexport.AccessEntry{
			At:        time.UnixMilli(n.At).UTC(),
			Principal: custexport.Principal{Kind: custexport.PrincipalKind(n.Kind), ID: n.ID, Name: n.Name},
			Channel:   custexport.Channel(n.Channel), ClientIP: n.ClientIP, UserAgent: n.UserAgent,
			Format: custexport.Format(n.Format), Encoding: custexport.Encoding(n.Encoding), Filter: n.Filter,
			Outcome: custexport.OutcomeFailed,
			Reason: ReasonProcessDied + ": " + l.Holder + " stopped during the export; its slot (" + l.Principal +
				") expired at " + l.Expires.Format(time.RFC3339) + " and was recovered",
		}
		if n.At == 0 {
			entry.At = time.Time{}
		}
		if err := e.Log.AppendAccess(context.WithoutCancel(ctx), entry); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
