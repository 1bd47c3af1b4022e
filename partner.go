package custexport

import (
	"context"
	"time"
)

// Partner is a service that downloads exports by a signed URL. Its links are signed with a key
// derived from the server's master key and LinkSalt; replacing the salt (regenerate) or
// deleting the partner makes every link issued for it stop working at once.
type Partner struct {
	ID         int64
	Name       string
	Note       string
	ValidUntil Date // last day the links work, in shop time; zero: no expiry
	LinkSalt   []byte
	CreatedAt  time.Time
	LastUsedAt time.Time // zero: never
}

// ActiveAt reports whether the partner's links work at t: until the end of ValidUntil in the
// shop's time zone.
func (p *Partner) ActiveAt(t time.Time, loc *time.Location) bool {
	if p.ValidUntil.IsZero() {
		return true
	}
	end := time.Date(p.ValidUntil.Year, p.ValidUntil.Month, p.ValidUntil.Day+1, 0, 0, 0, 0, loc)
	return t.Before(end)
}

// Principal is the partner as the one-at-a-time rule and the access log see it.
func (p *Partner) Principal() Principal {
	return Principal{Kind: PrincipalPartner, ID: p.ID, Name: p.Name}
}

// PartnerStore keeps partners. Every change is also written to the access log by the store, in
// the same transaction, so the log cannot miss one.
type PartnerStore interface {
	CreatePartner(ctx context.Context, p *Partner, by Principal) error
	Partner(ctx context.Context, id int64) (*Partner, error) // CodeNotFound when unknown or deleted
	Partners(ctx context.Context) ([]Partner, error)
	RegeneratePartner(ctx context.Context, id int64, salt []byte, by Principal) error
	SetPartnerValidUntil(ctx context.Context, id int64, until Date, by Principal) error
	DeletePartner(ctx context.Context, id int64, by Principal) error
	TouchPartner(ctx context.Context, id int64, at time.Time) error
}
