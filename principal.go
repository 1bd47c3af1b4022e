package custexport

import "strconv"

// PrincipalKind says who asks for an export.
type PrincipalKind string

// The kinds of principal.
const (
	PrincipalUser     PrincipalKind = "user"     // an admin user in the admin UI
	PrincipalPartner  PrincipalKind = "partner"  // a service holding a signed URL
	PrincipalOperator PrincipalKind = "operator" // whoever runs the CLI on the server
)

// Principal is the one on whose behalf an export runs. The one-at-a-time rule is per Key.
type Principal struct {
	Kind PrincipalKind
	ID   int64  // user or partner id; 0 for the operator
	Name string // kept in the access log as it was at that moment
}

// Key identifies the principal for the one-export-at-a-time rule, e.g. "partner:7".
func (p Principal) Key() string {
	return string(p.Kind) + ":" + strconv.FormatInt(p.ID, 10)
}
