package custexport

import "strings"

// EmailKey is the form in which customers' e-mails are unique: lower-cased with Unicode rules,
// which SQLite's own lower() does not know, so both stores compute it here.
func EmailKey(email string) string { return strings.ToLower(email) }
