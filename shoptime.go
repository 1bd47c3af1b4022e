package custexport

import "time"

// ShopClock turns instants into the shop's wall-clock time quickly. Exports convert two
// date-times per row; time.Time.In looks the zone up every time, while customers arrive
// ordered by registration, so the zone period of the previous row nearly always still applies.
// A ShopClock is not safe for concurrent use; give each encoder its own.
type ShopClock struct {
	loc          *time.Location
	periodStart  int64 // unix seconds, inclusive
	periodEnd    int64 // unix seconds, exclusive
	periodOffset int64 // seconds east of UTC within the period

	// The calendar day of the previous call, as local seconds since 1970 at its midnight.
	dayStart         int64
	dayY, dayM, dayD int
}

// NewShopClock returns a clock for the shop's time zone (UTC when loc is nil).
func NewShopClock(loc *time.Location) *ShopClock {
	if loc == nil {
		loc = time.UTC
	}
	return &ShopClock{loc: loc, periodStart: 1, periodEnd: 0, dayStart: 1, dayY: -1}
}

// Location is the shop's time zone.
func (c *ShopClock) Location() *time.Location { return c.loc }

// WallTime is a broken-down shop-time date and time plus its UTC offset.
type WallTime struct {
	Year, Month, Day     int
	Hour, Minute, Second int
	Offset               int // seconds east of UTC
}

// offset returns the zone offset in force at unix second sec.
func (c *ShopClock) offset(sec int64) int64 {
	if sec >= c.periodStart && sec < c.periodEnd {
		return c.periodOffset
	}
	t := time.Unix(sec, 0).In(c.loc)
	_, off := t.Zone()
	start, end := t.ZoneBounds()
	c.periodOffset = int64(off)
	c.periodStart, c.periodEnd = -1<<62, 1<<62
	if !start.IsZero() {
		c.periodStart = start.Unix()
	}
	if !end.IsZero() {
		c.periodEnd = end.Unix()
	}
	return c.periodOffset
}

// Wall breaks t down into shop time (to the second).
func (c *ShopClock) Wall(t time.Time) WallTime {
	sec := t.Unix()
	off := c.offset(sec)
	local := sec + off
	if rel := local - c.dayStart; rel < 0 || rel >= 86400 || c.dayY < 0 {
		days := floorDiv(local, 86400)
		c.dayStart = days * 86400
		c.dayY, c.dayM, c.dayD = civilFromDays(days)
	}
	rem := int(local - c.dayStart)
	return WallTime{Year: c.dayY, Month: c.dayM, Day: c.dayD, Hour: rem / 3600, Minute: rem / 60 % 60, Second: rem % 60, Offset: int(off)}
}

// AppendDateTime appends "YYYY-MM-DD HH:MM:SS" (shop time), the CSV form.
func (w WallTime) AppendDateTime(dst []byte) []byte {
	dst = appendYMD(dst, w.Year, w.Month, w.Day)
	return append(dst, ' ',
		byte('0'+w.Hour/10), byte('0'+w.Hour%10), ':',
		byte('0'+w.Minute/10), byte('0'+w.Minute%10), ':',
		byte('0'+w.Second/10), byte('0'+w.Second%10))
}

// AppendISO8601 appends "YYYY-MM-DDTHH:MM:SS+01:00", the XML form.
func (w WallTime) AppendISO8601(dst []byte) []byte {
	n := len(dst)
	dst = w.AppendDateTime(dst)
	dst[n+10] = 'T'
	off := w.Offset
	sign := byte('+')
	if off < 0 {
		sign = '-'
		off = -off
	}
	h, m := off/3600, off/60%60
	return append(dst, sign, byte('0'+h/10), byte('0'+h%10), ':', byte('0'+m/10), byte('0'+m%10))
}

// Serial returns the spreadsheet serial date-time number (days since 1899-12-30, the 1900
// date system as Excel and LibreOffice use it for dates after 1900-03-01).
func (w WallTime) Serial() float64 {
	return float64(DaySerial(w.Year, w.Month, w.Day)) + float64(w.Hour*3600+w.Minute*60+w.Second)/86400
}

// DaySerial returns the spreadsheet serial number of a calendar day.
func DaySerial(y, m, d int) int64 {
	return daysFromCivil(y, m, d) - daysFromCivil(1899, 12, 30)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// civilFromDays and daysFromCivil convert between days since 1970-01-01 and the proleptic
// Gregorian calendar (H. Hinnant's algorithms), without time.Time's per-call zone work.
func civilFromDays(z int64) (int, int, int) {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return int(y), int(m), int(d)
}

func daysFromCivil(y, m, d int) int64 {
	yy := int64(y)
	if m <= 2 {
		yy--
	}
	era := floorDiv(yy, 400)
	yoe := yy - era*400
	mm := int64(m)
	if mm > 2 {
		mm -= 3
	} else {
		mm += 9
	}
	doy := (153*mm+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}
