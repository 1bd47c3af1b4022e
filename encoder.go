package custexport

import "time"

// Encoder writes customers to one export file as they arrive; nothing is buffered beyond a
// fixed-size write buffer, so memory does not grow with the number of customers.
type Encoder interface {
	// Encode writes one customer. The encoder must not keep c, nor any of its strings, after
	// it returns.
	Encode(c *Customer) error
	// Close writes the file's trailer, flushes, and returns the first error of the encoder's
	// life. It does not close the underlying writer.
	Close() error
}

// ReplacementCounter is implemented by encoders that may write a substitute for characters the
// target encoding cannot carry (CSV in windows-1250). The count is reported, never hidden.
type ReplacementCounter interface {
	Replaced() int64
}

// UnknownRows in EncodeOptions.Rows (any negative number) says that the number of customers is
// not known.
const UnknownRows = -1

// EncodeOptions configure a file encoder.
type EncodeOptions struct {
	Encoding     Encoding       // CSV only; empty means UTF-8
	FormulaGuard bool           // CSV: prefix '; XLSX: quote-prefix cell style
	Location     *time.Location // the shop's time zone for date-times; nil means UTC
	// Rows is how many customers Encode will be given: the snapshot's Total. XLSX needs it to
	// state each sheet's range (<dimension>, which precedes the rows and which openpyxl's
	// read-only mode relies on) while streaming, and fails an export that gives it another
	// number; CSV and XML ignore it. UnknownRows is for callers that cannot know (a benchmark
	// of the encoder alone): XLSX then leaves <dimension> out.
	Rows int64
}
