// Package s3test gives tests an S3-compatible server of their own: gofakes3 with an in-memory
// backend on a loopback port, with one empty bucket, closed when the test ends. Tests of
// package s3files use it, and so can tests that run `custexport serve` processes sharing one
// file store (Env gives their settings).
package s3test

import (
	"bufio"
	"bytes"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// The credentials the server is given; gofakes3 does not check signatures.
const (
	AccessKey = "AKIACUSTEXPORTTEST"
	SecretKey = "custexport-test-secret-key" // tests check that it never shows
)

// Server is a running fake S3 server.
type Server struct {
	// Endpoint is the server's host:port; URL is its base URL (http:// or https://).
	Endpoint, URL string
	// Bucket is the bucket created at the start.
	Bucket string
	// Backend holds the objects, for a test to look at directly.
	Backend *s3mem.Backend

	srv         *httptest.Server
	parts       atomic.Int64
	largestPart atomic.Int64
}

// Start serves the fake S3 over plain HTTP with an empty bucket.
func Start(t testing.TB, bucket string) *Server { return start(t, bucket, false) }

// StartTLS serves it over HTTPS, with a certificate only Transport trusts.
func StartTLS(t testing.TB, bucket string) *Server { return start(t, bucket, true) }

func start(t testing.TB, bucket string, secure bool) *Server {
	t.Helper()
	s := &Server{Bucket: bucket, Backend: s3mem.New()}
	if err := s.Backend.CreateBucket(bucket); err != nil {
		t.Fatalf("s3test: create bucket %s: %v", bucket, err)
	}
	s.srv = httptest.NewUnstartedServer(s.countParts(dechunkParts(gofakes3.New(s.Backend).Server())))
	// A client that stops reading early (a range read) makes gofakes3 try to write an error
	// status after the body; net/http's complaint about that is noise.
	s.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	if secure {
		s.srv.StartTLS()
	} else {
		s.srv.Start()
	}
	t.Cleanup(s.srv.Close)
	s.URL, s.Endpoint = s.srv.URL, s.srv.Listener.Addr().String()
	return s
}

// Transport is an HTTP transport that trusts the server (needed with StartTLS).
func (s *Server) Transport() http.RoundTripper { return s.srv.Client().Transport }

// Secure says whether the server speaks HTTPS.
func (s *Server) Secure() bool { return strings.HasPrefix(s.URL, "https://") }

// Parts is how many multipart-upload parts the server has received, and the size of the
// largest (decoded) part body in bytes.
func (s *Server) Parts() (count, largest int64) { return s.parts.Load(), s.largestPart.Load() }

// Env is the environment that makes `custexport serve` keep its files under prefix in the
// bucket (a plain-HTTP server: Start, not StartTLS), as "KEY=value" lines.
func (s *Server) Env(prefix string) []string {
	files := "s3://" + s.Bucket
	if prefix = strings.Trim(prefix, "/"); prefix != "" {
		files += "/" + prefix
	}
	return []string{
		"CUSTEXPORT_FILES=" + files,
		"CUSTEXPORT_S3_ENDPOINT=" + s.Endpoint,
		"CUSTEXPORT_S3_ACCESS_KEY=" + AccessKey,
		"CUSTEXPORT_S3_SECRET_KEY=" + SecretKey,
		"CUSTEXPORT_S3_REGION=us-east-1",
		"CUSTEXPORT_S3_INSECURE=" + strconv.FormatBool(!s.Secure()),
	}
}

func isPartUpload(r *http.Request) bool {
	return r.Method == http.MethodPut && r.URL.Query().Get("partNumber") != ""
}

func (s *Server) countParts(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isPartUpload(r) {
			s.parts.Add(1)
			n := r.ContentLength
			if d, err := strconv.ParseInt(r.Header.Get("X-Amz-Decoded-Content-Length"), 10, 64); err == nil {
				n = d
			}
			for old := s.largestPart.Load(); n > old && !s.largestPart.CompareAndSwap(old, n); old = s.largestPart.Load() {
			}
		}
		next.ServeHTTP(w, r)
	})
}

// dechunkParts decodes the aws-chunked body (streaming V4 signature) that S3 clients such as
// minio-go send over plain HTTP: gofakes3 decodes it for a PUT of a whole object but not for
// a part of a multipart upload, whose stored content would include the chunk framing (and
// fail its Content-MD5 check).
func dechunkParts(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isPartUpload(r) && strings.HasPrefix(r.Header.Get("X-Amz-Content-Sha256"), "STREAMING-") {
			var body bytes.Buffer
			br := bufio.NewReader(r.Body)
			for {
				line, err := br.ReadString('\n')
				if err != nil {
					http.Error(w, "s3test: bad aws-chunked body", http.StatusBadRequest)
					return
				}
				size, err := strconv.ParseInt(strings.SplitN(strings.TrimSpace(line), ";", 2)[0], 16, 64)
				if err != nil || size < 0 {
					http.Error(w, "s3test: bad aws-chunked chunk size", http.StatusBadRequest)
					return
				}
				if size == 0 {
					break // trailers, if any, follow; nothing in them is needed
				}
				if _, err := io.CopyN(&body, br, size); err != nil {
					http.Error(w, "s3test: short aws-chunked chunk", http.StatusBadRequest)
					return
				}
				br.ReadString('\n')
			}
			r.Body = io.NopCloser(&body)
			r.ContentLength = int64(body.Len())
			r.Header.Set("Content-Length", strconv.Itoa(body.Len()))
			r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
		}
		next.ServeHTTP(w, r)
	})
}
