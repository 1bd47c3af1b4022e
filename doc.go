// Package custexport is the domain of the e-shop customer export: the customer record and its
// column tags, the export filter, file formats and encodings, principals, the domain error with
// its code, and the interfaces the stores and file encoders implement.
//
// It imports only the standard library. Everything that talks to a database, a file format or
// the network lives in its own package under internal/ and is wired together in cmd/custexport.
package custexport
