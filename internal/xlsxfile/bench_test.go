package xlsxfile

import (
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/sample"
)

// realistic returns n deterministic customers that look like a Czech shop's: diacritics,
// companies on some, a default delivery address on most, remarks on few.
func realistic(n int) []custexport.Customer {
	r := rand.New(rand.NewPCG(42, 7))
	pick := func(s []string) string { return s[r.IntN(len(s))] }
	first := []string{"Jan", "Petr", "Eva", "Jana", "Tomáš", "Lucie", "Martin", "Kateřina", "Jiří", "Zuzana", "Lukáš", "Tereza"}
	last := []string{"Novák", "Svoboda", "Dvořák", "Černý", "Procházka", "Kučera", "Veselý", "Horák", "Němec", "Pokorný"}
	streets := []string{"Dlouhá", "Masarykova", "Nádražní", "Husova", "Palackého", "Žižkova", "Komenského", "Školní"}
	cities := []string{"Praha", "Brno", "Ostrava", "Plzeň", "Liberec", "Olomouc", "České Budějovice", "Hradec Králové", "Žilina", "Bratislava"}
	companies := []string{"", "", "", "Stavby Novák s.r.o.", "Pekařství U Kostela", "ACME CZ a.s.", "Dvořák & syn, s.r.o."}
	base := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)
	cs := make([]custexport.Customer, n)
	for i := range cs {
		name := pick(first) + " " + pick(last)
		reg := base.Add(time.Duration(r.Int64N(10*365*86400)) * time.Second)
		a := custexport.Address{
			FullName: name, Company: pick(companies), Street: pick(streets),
			HouseNumber: fmt.Sprintf("%d/%d", r.IntN(3000), r.IntN(40)), City: pick(cities),
			Zip: fmt.Sprintf("%03d %02d", 100+r.IntN(700), r.IntN(100)), CountryCode: "CZ",
		}
		c := custexport.Customer{
			GUID:             fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", r.Uint32(), r.IntN(1<<16), r.IntN(1<<12), r.IntN(1<<12), r.Uint64()&(1<<48-1)),
			Email:            fmt.Sprintf("zakaznik%d@example.cz", i),
			RegistrationDate: reg,
			Billing:          a,
			Phone:            fmt.Sprintf("+420 %03d %03d %03d", 600+r.IntN(200), r.IntN(1000), r.IntN(1000)),
			CustomerGroup:    pick([]string{"Maloobchod", "Velkoobchod", "VIP"}),
			PriceList:        "Hlavní ceník",
			PriceRatio:       custexport.PriceRatio(7000 + r.IntN(3001)),
			ChangeTime:       reg.Add(time.Duration(r.Int64N(86400*30)) * time.Second),
		}
		if a.Company != "" {
			c.CompanyID = fmt.Sprintf("%08d", r.IntN(1e8))
			c.VatID = "CZ" + c.CompanyID
		}
		if r.IntN(4) > 0 {
			c.Delivery = []custexport.Address{a}
		}
		if r.IntN(3) == 0 {
			c.BirthDate = custexport.Date{Year: 1950 + r.IntN(55), Month: time.Month(1 + r.IntN(12)), Day: 1 + r.IntN(28)}
		}
		if r.IntN(10) == 0 {
			c.Remark = "Volat před doručením; platba převodem\nzvonek nefunguje"
		}
		cs[i] = c
	}
	// Exports come ordered by registration date.
	slices.SortFunc(cs, func(a, b custexport.Customer) int { return a.RegistrationDate.Compare(b.RegistrationDate) })
	return cs
}

// xmlBytesPerCustomer is the average size of a row's sheet XML, for MB/s figures.
func xmlBytesPerCustomer(cs []custexport.Customer) int64 {
	e := rowEncoder(sample.Prague, true)
	var n int
	var b []byte
	for i := range cs {
		b = e.appendRow(b[:0], &cs[i], i+2)
		n += len(b)
	}
	return int64(n / len(cs))
}

// BenchmarkEncode measures the whole encoder (row XML, flate, zip) per customer; MB/s is
// uncompressed sheet XML.
func BenchmarkEncode(b *testing.B) {
	benchmarkEncode(b, compressionLevel)
}

func benchmarkEncode(b *testing.B, level int) {
	cs := realistic(4096)
	b.SetBytes(xmlBytesPerCustomer(cs))
	var out countWriter
	opts := sampleOptions(true)
	opts.Rows = custexport.UnknownRows // b.Loop decides how many
	e := newEncoder(&out, opts, level)
	for i := range 4096 { // warm up: buffers at their final size
		e.Encode(&cs[i%len(cs)])
	}
	out.n = 0
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	i := 0
	for b.Loop() {
		if err := e.Encode(&cs[i%len(cs)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu)/float64(i), "cpu-ns/op")
	if err := e.Close(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(out.n)/float64(i), "zipB/op")
}

// BenchmarkEncodeLevel compares compression levels: time per customer and compressed size.
func BenchmarkEncodeLevel(b *testing.B) {
	for _, level := range []int{-2, 1, 2, 3} {
		b.Run(fmt.Sprintf("level=%d", level), func(b *testing.B) { benchmarkEncode(b, level) })
	}
}

// BenchmarkAppendRow measures the row XML alone, without compression.
func BenchmarkAppendRow(b *testing.B) {
	cs := realistic(4096)
	b.SetBytes(xmlBytesPerCustomer(cs))
	e := rowEncoder(sample.Prague, true)
	buf := make([]byte, 0, 1<<16)
	b.ReportAllocs()
	cpu := cpuTime()
	i := 0
	for b.Loop() {
		buf = e.appendRow(buf[:0], &cs[i%len(cs)], i%excelMaxDataRows+2)
		i++
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(i), "cpu-ns/op")
}

// cpuTime is the process's CPU time (user and system) in nanoseconds. On a busy machine it
// is a steadier measure than wall time; it counts every goroutine, so it is the cost, not
// the latency, of a parallel encoder.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

var _ io.Writer = (*countWriter)(nil)
