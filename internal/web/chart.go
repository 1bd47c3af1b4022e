package web

import (
	"context"
	"time"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/i18n"
)

// The access-log tab's picture: download attempts per day of the last 30 days, by outcome,
// drawn on the server as an inline SVG (no script) with the same numbers as a table beside it.

// chartDays is how many days the chart shows, today included.
const chartDays = 30

// chartOutcomes are the outcomes the chart stacks, bottom up; events (partner changes) and
// anything else are not download attempts.
var chartOutcomes = []custexport.Outcome{custexport.OutcomeServed, custexport.OutcomeDenied, custexport.OutcomeBadRequest,
	custexport.OutcomeRateLimited, custexport.OutcomeBusy, custexport.OutcomeFailed, custexport.OutcomeAborted}

// Chart geometry, in the SVG's own units (it scales to the page's width).
const (
	chartW, chartH        = 640.0, 240.0
	chartLeft, chartRight = 44.0, 8.0
	chartTop, chartBottom = 10.0, 28.0
)

type chartBar struct {
	X, W     float64
	Segments []chartSegment
	Label    string // the axis label under every fifth day, else ""
	LabelX   float64
	Title    string // what a pointer over the bar shows
}

type chartSegment struct {
	Y, H    float64
	Outcome string
}

type chartDay struct {
	Label  string
	Counts []int64 // by chartOutcomes
	Total  int64
}

type chartLegend struct {
	Outcome, Name string
}

type logChart struct {
	W, H, Left, Right, Top, Base float64
	Max                          int64 // the tallest day, the top of the axis
	MaxText                      string
	Bars                         []chartBar
	Days                         []chartDay
	Legend                       []chartLegend
	Desc                         string
	Total                        int64
}

// accessChart counts the attempts of the last chartDays days (shop time) from the log. It reads
// the entries of those days one by one (the store's newest-first query), so memory stays the
// same whatever their number; the counts are chartDays × outcomes numbers.
func (s *Server) accessChart(ctx context.Context, l i18n.Lang, now time.Time) (*logChart, error) {
	now = now.In(s.Location)
	first := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, s.Location).AddDate(0, 0, -(chartDays - 1))
	index := map[custexport.Outcome]int{}
	for i, o := range chartOutcomes {
		index[o] = i
	}
	days := make([]chartDay, chartDays)
	for i := range days {
		days[i].Counts = make([]int64, len(chartOutcomes))
	}
	err := s.Store.QueryAccess(ctx, custexport.AccessQuery{From: first}, func(e *custexport.AccessEntry) error {
		o, ok := index[e.Outcome]
		if !ok {
			return nil
		}
		t := e.At.In(s.Location)
		day := dayNumber(t) - dayNumber(first)
		if day < 0 || day >= chartDays {
			return nil
		}
		days[day].Counts[o]++
		days[day].Total++
		return nil
	})
	if err != nil {
		return nil, err
	}
	c := &logChart{W: chartW, H: chartH, Left: chartLeft, Right: chartW - chartRight, Top: chartTop, Base: chartH - chartBottom}
	for i := range days {
		days[i].Label = l.DayLabel(first.AddDate(0, 0, i))
		c.Max = max(c.Max, days[i].Total)
		c.Total += days[i].Total
	}
	scale := 0.0
	if c.Max > 0 {
		scale = (c.Base - c.Top) / float64(c.Max)
	}
	step := (c.Right - c.Left) / chartDays
	for i, d := range days {
		bar := chartBar{X: c.Left + float64(i)*step + step*0.15, W: step * 0.7,
			Title: d.Label + ": " + l.T("log.attempts", formatNumber(d.Total))}
		bar.LabelX = bar.X + bar.W/2
		if (chartDays-1-i)%5 == 0 {
			bar.Label = d.Label
		}
		y := c.Base
		for o, n := range d.Counts {
			if n == 0 {
				continue
			}
			h := float64(n) * scale
			y -= h
			bar.Segments = append(bar.Segments, chartSegment{Y: y, H: h, Outcome: string(chartOutcomes[o])})
		}
		c.Bars = append(c.Bars, bar)
	}
	c.Days = days
	for _, o := range chartOutcomes {
		c.Legend = append(c.Legend, chartLegend{Outcome: string(o), Name: l.Outcome(o)})
	}
	c.MaxText = formatNumber(c.Max)
	c.Desc = l.T("log.chartdesc", l.Date(dateOf(first)), l.Date(dateOf(now)), l.T("log.attempts", formatNumber(c.Total)))
	return c, nil
}

// dayNumber counts calendar days, so that the days between two local times are a difference
// whatever daylight saving does to the hours between them.
func dayNumber(t time.Time) int64 {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC).Unix() / 86400
}

func dateOf(t time.Time) custexport.Date {
	return custexport.Date{Year: t.Year(), Month: t.Month(), Day: t.Day()}
}
