package main

import (
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// The hash alone (SPEC section 5): a request that carries only a link's hash is answered after
// comparing it with every partner's plain link. Target: with 1,000 partners, at most 5 ms of
// server time above the same link with its partnerId. Both are timed with HEAD (the same checks,
// the slot taken and freed, the access-log entry written, no export), alternating, on one
// kept-alive loopback connection, so the difference is the lookup.
const (
	hashAlonePartners   = 1000
	hashAloneTargetMS   = 5.0
	hashAloneRequests   = 100 // per kind and run
	hashPartnerPrefix   = "bench-hash-partner-"
	urlHashAloneMeasure = "URL hash alone, 1,000 partners"
)

// ensurePartners adds partners named hashPartnerPrefix+N until the shop has at least n active
// partners. They are kept in the bench database, like the download partners; making them
// the first time takes one `partner add` each.
func ensurePartners(c *config, n int) error {
	out, err := productOutput(c, "partner", "list", "--format", "json")
	if err != nil {
		return err
	}
	have := strings.Count(out, `"state":"active"`)
	if have < n {
		fmt.Fprintf(os.Stderr, "[server] adding %d partners for the hash-alone measure (once)\n", n-have)
	}
	for i := have; i < n; i++ {
		if _, err := productOutput(c, "partner", "add", hashPartnerPrefix+strconv.Itoa(i+1), "--note", "made by make bench"); err != nil {
			return err
		}
	}
	return nil
}

// measureHashAlone times HEAD requests of link (a plain link: partnerId and hash only) and of
// its hash alone, alternating.
func (res *serverResult) measureHashAlone(c *config, client *http.Client, link string) error {
	hash := link[strings.LastIndex(link, "hash=")+len("hash="):]
	path := link[:strings.Index(link, "?")]
	alone := path + "?hash=" + hash
	head := func(u string) (float64, error) {
		start := time.Now()
		resp, err := client.Head(u)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return 0, fmt.Errorf("HEAD %s: %s", strings.Replace(u, hash, "…", 1), resp.Status)
		}
		return float64(time.Since(start).Microseconds()) / 1000, nil
	}
	for range c.runs * hashAloneRequests {
		ms, err := head(link)
		if err != nil {
			return err
		}
		res.PlainHeadMS = append(res.PlainHeadMS, ms)
		if ms, err = head(alone); err != nil {
			return err
		}
		res.HashAloneMS = append(res.HashAloneMS, ms)
	}
	plain, _ := median(res.PlainHeadMS)
	alonem, _ := median(res.HashAloneMS)
	res.HashAloneExtraMS = alonem - plain
	fmt.Fprintf(os.Stderr, "[server] HEAD with %d partners: its link %.2f ms, the hash alone %.2f ms (median of %d each)\n",
		hashAlonePartners, plain, alonem, len(res.HashAloneMS))
	return nil
}

// hashAloneCheck is the verdict on the hash-alone measure.
func (s *serverResult) hashAloneCheck() *checkResult {
	cr := &checkResult{Measure: urlHashAloneMeasure, Shown: "time above its link", Target: fmt.Sprintf("≤ %.0f ms", hashAloneTargetMS), Status: "n/a"}
	if len(s.HashAloneMS) > 0 {
		plain, _ := median(s.PlainHeadMS)
		alone, _ := median(s.HashAloneMS)
		cr.Shown = fmt.Sprintf("%+.2f ms (HEAD: hash alone %.2f ms, its link %.2f ms; median of %d)", s.HashAloneExtraMS, alone, plain, len(s.HashAloneMS))
		cr.Status = verdict(false, s.HashAloneExtraMS <= hashAloneTargetMS)
	}
	return cr
}
