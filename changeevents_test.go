package custexport

import (
	"errors"
	"testing"
)

// The access log's change texts count sessions in good English and say "no expiry" for none.
func TestChangeEvents(t *testing.T) {
	for n, want := range map[int64]string{
		0: `user 3 "eva" deleted; 0 sessions ended`,
		1: `user 3 "eva" deleted; 1 session ended`,
		2: `user 3 "eva" deleted; 2 sessions ended`,
	} {
		if got := UserChangedEvent(3, "eva", "deleted", n); got != want {
			t.Errorf("UserChangedEvent(%d sessions) = %q, want %q", n, got, want)
		}
	}
	p := &Partner{ID: 7, Name: "Sklad"}
	if got := PartnerCreatedEvent(p); got != `partner 7 "Sklad" created (valid until no expiry)` {
		t.Errorf("PartnerCreatedEvent = %q", got)
	}
	p.ValidUntil = Date{Year: 2027, Month: 1, Day: 31}
	if got := PartnerCreatedEvent(p); got != `partner 7 "Sklad" created (valid until 2027-01-31)` {
		t.Errorf("PartnerCreatedEvent = %q", got)
	}
}

// A taken user name is a conflict on the name field; the message names the stored spelling when
// only letter case differs, and the store's error stays the cause.
func TestUserNameTaken(t *testing.T) {
	cause := errors.New("UNIQUE constraint failed")
	e := UserNameTaken("NOVÁK", "Novák", cause)
	if e.Code != CodeConflict || e.Field != "name" || !errors.Is(e, cause) ||
		e.Message != `the user name "NOVÁK" is taken by "Novák" (names are unique regardless of letter case)` {
		t.Errorf("UserNameTaken = %+v", e)
	}
	if e := UserNameTaken("Novák", "Novák", nil); e.Message != `the user name "Novák" is taken` {
		t.Errorf("UserNameTaken = %+v", e)
	}
}
