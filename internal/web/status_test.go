package web

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/custexport/custexport"
)

// Every domain error code has its status, found through wrapping; an error without a code is
// a 500.
func TestStatusOfEveryCode(t *testing.T) {
	want := map[custexport.Code]int{
		custexport.CodeInvalid: 400, custexport.CodeNotFound: 404, custexport.CodeConflict: 409,
		custexport.CodeBusy: 429, custexport.CodeDenied: 403, custexport.CodeInternal: 500,
	}
	for code, status := range want {
		err := fmt.Errorf("wrapped: %w", custexport.Errorf(code, "x"))
		if got := httpStatus(err); got != status {
			t.Errorf("%s: %d, want %d", code, got, status)
		}
	}
	if len(statusOfCode) != len(want) {
		t.Errorf("the table has %d codes, the test %d", len(statusOfCode), len(want))
	}
	if httpStatus(nil) != http.StatusOK || httpStatus(errors.New("plain")) != http.StatusInternalServerError {
		t.Error("nil is 200 and a plain error 500")
	}
}
