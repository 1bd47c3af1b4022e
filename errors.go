package custexport

import (
	"errors"
	"fmt"
)

// Code classifies an error so that every channel (CLI exit code, HTTP status, form message)
// can answer it the same way without parsing text.
type Code string

// The error codes.
const (
	CodeInvalid  Code = "invalid"   // the caller's input is wrong; the message says which part
	CodeNotFound Code = "not_found" // the thing asked for does not exist
	CodeConflict Code = "conflict"  // the change clashes with stored data (e.g. e-mail taken)
	CodeBusy     Code = "busy"      // the principal already has an export running
	CodeDenied   Code = "denied"    // not allowed; the message stays generic
	CodeInternal Code = "internal"  // anything else; the message is not shown to users
)

// Error is the domain error: a code, the field or parameter it concerns (if any) and a message
// safe to show to the user. Err keeps the underlying cause for logs and errors.Is.
type Error struct {
	Code    Code
	Field   string
	Message string
	// Reason is a stable key for the kind of mistake (e.g. ReasonDate), so that a user
	// interface can say it in its own language without parsing Message; Value is the
	// offending input it quotes. Both are optional.
	Reason string
	Value  string
	Err    error
}

func (e *Error) Error() string {
	msg := e.Message
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	if e.Err != nil && e.Message == "" {
		return e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf makes an *Error with a formatted, user-safe message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError makes a CodeInvalid error about one named field or parameter.
func FieldError(field, format string, args ...any) *Error {
	return &Error{Code: CodeInvalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, CodeInternal for any other
// non-nil error, and "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}
