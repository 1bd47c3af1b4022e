package custexport

import "fmt"

// The texts of user and partner changes in the access log, and the refusal of a taken user name:
// both stores write them, and they must read alike whichever store the shop runs on.

// UserChangedEvent is the access-log text of a change to a stored user (what: "deleted", "password
// changed", …), which ends the user's sessions: "user 3 "eva" deleted; 2 sessions ended".
func UserChangedEvent(id int64, name, what string, sessionsEnded int64) string {
	sessions := "1 session"
	if sessionsEnded != 1 {
		sessions = fmt.Sprintf("%d sessions", sessionsEnded)
	}
	return fmt.Sprintf("user %d %q %s; %s ended", id, name, what, sessions)
}

// UserNameTaken refuses a user name that differs from the stored one, taken, at most in letter
// case (names are unique by UserNameKey); cause is the store's error, if any.
func UserNameTaken(name, taken string, cause error) *Error {
	msg := fmt.Sprintf("the user name %q is taken", name)
	if taken != name {
		msg = fmt.Sprintf("the user name %q is taken by %q (names are unique regardless of letter case)", name, taken)
	}
	return &Error{Code: CodeConflict, Field: "name", Message: msg, Err: cause}
}

// PartnerCreatedEvent is the access-log text of a partner's creation.
func PartnerCreatedEvent(p *Partner) string {
	return fmt.Sprintf("partner %d %q created (valid until %s)", p.ID, p.Name, PartnerExpiryText(p.ValidUntil))
}

// PartnerExpiryText is a partner's valid-until day as the access log tells it: the date, or "no
// expiry" for none.
func PartnerExpiryText(d Date) string {
	if d.IsZero() {
		return "no expiry"
	}
	return d.String()
}
