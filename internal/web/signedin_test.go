package web

import (
	"net/http"
	"testing"
)

// signedIn starts an admin fixture with the given number of customers and signs the user Jana
// in: what a test of a signed-in page needs first.
func signedIn(t *testing.T, customers int) (*adminFixture, *http.Client) {
	t.Helper()
	af := newAdminFixture(t, customers, "http://127.0.0.1")
	c := af.client()
	af.login(c, "Jana", adminPassword)
	return af, c
}
