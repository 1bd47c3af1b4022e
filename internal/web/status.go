package web

import (
	"net/http"

	"github.com/custexport/custexport"
)

// statusOfCode is the one table from a domain error's code to the HTTP status that answers it,
// on the partner URL and the admin pages alike. Busy is 429, as SPEC section 6 has it for the
// URL: the same principal may try again once its export has ended.
var statusOfCode = map[custexport.Code]int{
	custexport.CodeInvalid:  http.StatusBadRequest,
	custexport.CodeNotFound: http.StatusNotFound,
	custexport.CodeConflict: http.StatusConflict,
	custexport.CodeBusy:     http.StatusTooManyRequests,
	custexport.CodeDenied:   http.StatusForbidden,
	custexport.CodeInternal: http.StatusInternalServerError,
}

// httpStatus is the status that answers err: by its code, 500 for an error without one, 200
// for nil.
func httpStatus(err error) int {
	if err == nil {
		return http.StatusOK
	}
	if status, ok := statusOfCode[custexport.ErrorCode(err)]; ok {
		return status
	}
	return http.StatusInternalServerError
}
