package s3files

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/custexport/custexport/internal/exporter"
	"github.com/custexport/custexport/internal/s3test"
)

var _ exporter.FileStore = (*Store)(nil)

const (
	testBucket = "custexport-test"
	testSecret = s3test.SecretKey
)

func config(f *s3test.Server) Config {
	cfg := Config{
		Endpoint: f.Endpoint, AccessKey: s3test.AccessKey, SecretKey: s3test.SecretKey,
		Bucket: f.Bucket, Prefix: "exports/jobs", Secure: f.Secure(), Region: "us-east-1",
		PartSize: MinPartSize,
	}
	if f.Secure() {
		cfg.Transport = f.Transport()
	}
	return cfg
}

func startFakeS3(t *testing.T, secure bool) *s3test.Server {
	if secure {
		return s3test.StartTLS(t, testBucket)
	}
	return s3test.Start(t, testBucket)
}

func openStore(t *testing.T, secure bool) (*Store, *s3test.Server) {
	t.Helper()
	f := startFakeS3(t, secure)
	s, err := Open(context.Background(), config(f))
	if err != nil {
		t.Fatal(err)
	}
	return s, f
}

// content is n deterministic, not repetitive bytes.
func content(n int) []byte {
	b := make([]byte, n)
	var x uint64 = 0x9E3779B97F4A7C15
	for i := range b {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = byte(x)
	}
	return b
}

// writeInPieces writes data as an encoder does: in small writes.
func writeInPieces(w io.Writer, data []byte) error {
	for len(data) > 0 {
		n := min(len(data), 100_000)
		if _, err := w.Write(data[:n]); err != nil {
			return err
		}
		data = data[n:]
	}
	return nil
}

// noUnfinishedUploads fails the test when a multipart upload is left in the bucket.
func noUnfinishedUploads(t *testing.T, s *Store) {
	t.Helper()
	for up := range s.client.ListIncompleteUploads(context.Background(), s.bucket, "", true) {
		if up.Err != nil {
			t.Fatal(up.Err)
		}
		t.Errorf("unfinished upload left: %s (%s)", up.Key, up.UploadID)
	}
}

// A 12 MiB file goes up in three parts of at most the part size (5 MiB), under the prefix,
// and comes back byte for byte with its size, whole and by ranges; over HTTPS and plain HTTP.
func TestMultipartRoundTrip(t *testing.T) {
	for _, secure := range []bool{true, false} {
		t.Run(fmt.Sprintf("secure=%v", secure), func(t *testing.T) {
			s, f := openStore(t, secure)
			ctx := context.Background()
			data := content(12 << 20)
			if err := s.Put(ctx, "job-1.csv", func(w io.Writer) error { return writeInPieces(w, data) }); err != nil {
				t.Fatal(err)
			}
			if got, largest := f.Parts(); got != 3 || largest != MinPartSize {
				t.Errorf("upload: %d parts, the largest %d bytes; want 3 parts of at most %d", got, largest, MinPartSize)
			}
			if _, err := f.Backend.HeadObject(testBucket, "exports/jobs/job-1.csv"); err != nil {
				t.Fatalf("the object is not under the prefix: %v", err)
			}
			r, size, err := s.Open(ctx, "job-1.csv")
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if size != int64(len(data)) {
				t.Fatalf("size %d, want %d", size, len(data))
			}
			got, err := io.ReadAll(r)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("read back %d bytes (%v), equal %v; want the %d bytes written", len(got), err, bytes.Equal(got, data), len(data))
			}
			// As http.ServeContent does for a range request.
			if end, err := r.Seek(0, io.SeekEnd); err != nil || end != size {
				t.Fatalf("seek to the end: %d, %v", end, err)
			}
			off := int64(7<<20 + 12345)
			if _, err := r.Seek(off, io.SeekStart); err != nil {
				t.Fatal(err)
			}
			piece := make([]byte, 1000)
			if _, err := io.ReadFull(r, piece); err != nil || !bytes.Equal(piece, data[off:off+1000]) {
				t.Fatalf("range read at %d: %v, equal %v", off, err, bytes.Equal(piece, data[off:off+1000]))
			}
			noUnfinishedUploads(t, s)
		})
	}
}

// An empty file and a small one (less than one part) are stored too.
func TestSmallFiles(t *testing.T) {
	s, _ := openStore(t, true)
	ctx := context.Background()
	for name, data := range map[string][]byte{"job-2.csv": nil, "job-3.xml": content(1000)} {
		if err := s.Put(ctx, name, func(w io.Writer) error { return writeInPieces(w, data) }); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		r, size, err := s.Open(ctx, name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := io.ReadAll(r)
		r.Close()
		if err != nil || size != int64(len(data)) || !bytes.Equal(got, data) {
			t.Fatalf("%s: size %d, read %d bytes (%v); want %d", name, size, len(got), err, len(data))
		}
	}
}

// A write that fails after more than a part was sent leaves no object and no unfinished
// upload; so does a cancelled context and a panicking write.
func TestFailedWriteLeavesNothing(t *testing.T) {
	s, f := openStore(t, false)
	data := content(7 << 20)
	boom := errors.New("the database went away")

	err := s.Put(context.Background(), "job-4.csv", func(w io.Writer) error {
		if err := writeInPieces(w, data); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Put: %v, want the write's error", err)
	}
	if n, _ := f.Parts(); n == 0 {
		t.Fatal("no part was sent before the failure: the test proves nothing")
	}

	ctx, cancel := context.WithCancel(context.Background())
	err = s.Put(ctx, "job-5.csv", func(w io.Writer) error {
		if err := writeInPieces(w, data); err != nil {
			return err
		}
		cancel()
		return writeInPieces(w, data)
	})
	if err == nil {
		t.Fatal("Put with a cancelled context succeeded")
	}

	func() {
		defer func() {
			if p := recover(); p == nil {
				t.Fatal("the panic was swallowed")
			}
		}()
		s.Put(context.Background(), "job-6.csv", func(w io.Writer) error {
			writeInPieces(w, data)
			panic("encoder bug")
		})
	}()

	for _, name := range []string{"job-4.csv", "job-5.csv", "job-6.csv"} {
		if _, _, err := s.Open(context.Background(), name); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s after a failed write: %v, want not found", name, err)
		}
	}
	noUnfinishedUploads(t, s)
}

// Open of a missing file is fs.ErrNotExist (os.IsNotExist too); Remove deletes, and removing
// a missing file is no error.
func TestOpenMissingAndRemove(t *testing.T) {
	s, _ := openStore(t, true)
	ctx := context.Background()
	_, _, err := s.Open(ctx, "job-404.csv")
	if !errors.Is(err, fs.ErrNotExist) || !os.IsNotExist(err) {
		t.Fatalf("open of a missing file: %v, want fs.ErrNotExist", err)
	}
	if !strings.Contains(err.Error(), testBucket) || !strings.Contains(err.Error(), "job-404.csv") {
		t.Errorf("the error does not name the bucket and the file: %v", err)
	}
	if err := s.Put(ctx, "job-7.csv", func(w io.Writer) error { return writeInPieces(w, content(10)) }); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(ctx, "job-7.csv"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Open(ctx, "job-7.csv"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("open after remove: %v", err)
	}
	if err := s.Remove(ctx, "job-7.csv"); err != nil {
		t.Fatalf("second remove: %v", err)
	}
	for _, bad := range []string{"", "../job-1.csv", "a/b", ".hidden"} {
		if _, _, err := s.Open(ctx, bad); err == nil || errors.Is(err, fs.ErrNotExist) {
			t.Errorf("open %q: %v, want an invalid-name error", bad, err)
		}
	}
}

// CleanPartial aborts unfinished uploads under the prefix started before the given time, and
// only those.
func TestCleanPartial(t *testing.T) {
	s, _ := openStore(t, true)
	ctx := context.Background()
	if err := s.CleanPartial(ctx, time.Now()); err != nil {
		t.Fatalf("a bucket without uploads: %v", err)
	}
	core := minio.Core{Client: s.client}
	if _, err := core.NewMultipartUpload(ctx, testBucket, s.prefix+"job-8.csv", minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := core.NewMultipartUpload(ctx, testBucket, "elsewhere/file", minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	count := func() (ours, others int) {
		for up := range s.client.ListIncompleteUploads(ctx, testBucket, "", true) {
			if up.Err != nil {
				t.Fatal(up.Err)
			}
			if strings.HasPrefix(up.Key, s.prefix) {
				ours++
			} else {
				others++
			}
		}
		return
	}
	if err := s.CleanPartial(ctx, time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if ours, _ := count(); ours != 1 {
		t.Fatalf("a recent upload was aborted")
	}
	if err := s.CleanPartial(ctx, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if ours, others := count(); ours != 0 || others != 1 {
		t.Fatalf("after cleaning: %d of ours, %d others; want 0 and 1", ours, others)
	}
}

// RemovePartial aborts the unfinished uploads of one file (a dead admin job's) and only those:
// another job's upload, running, stays.
func TestRemovePartial(t *testing.T) {
	s, _ := openStore(t, true)
	ctx := context.Background()
	core := minio.Core{Client: s.client}
	for _, name := range []string{"job-8.csv", "job-80.csv"} {
		if _, err := core.NewMultipartUpload(ctx, testBucket, s.prefix+name, minio.PutObjectOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RemovePartial(ctx, "job-8.csv"); err != nil {
		t.Fatal(err)
	}
	var left []string
	for up := range s.client.ListIncompleteUploads(ctx, testBucket, "", true) {
		if up.Err != nil {
			t.Fatal(up.Err)
		}
		left = append(left, up.Key)
	}
	if len(left) != 1 || left[0] != s.prefix+"job-80.csv" {
		t.Fatalf("unfinished uploads after removing job-8.csv's: %v; want only job-80.csv's", left)
	}
	if err := s.RemovePartial(ctx, "../x"); err == nil {
		t.Fatal("an invalid name was accepted")
	}
}

// Open checks the bucket; errors name the bucket and endpoint but never the secret key, and
// neither does the configuration's description.
func TestOpenErrorsHideTheSecret(t *testing.T) {
	f := startFakeS3(t, true)
	cfg := config(f)
	cfg.Bucket = "no-such-bucket"
	_, err := Open(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), "no-such-bucket") || !strings.Contains(err.Error(), f.Endpoint) {
		t.Fatalf("missing bucket: %v, want an error naming the bucket and endpoint", err)
	}
	cfg = config(f)
	cfg.PartSize = 1 << 20
	_, err2 := Open(context.Background(), cfg)
	if err2 == nil {
		t.Fatal("a part size below 5 MiB was accepted")
	}
	cfg = config(f)
	cfg.SecretKey = ""
	_, err3 := Open(context.Background(), cfg)
	if err3 == nil {
		t.Fatal("a missing secret key was accepted")
	}
	for _, s := range []string{err.Error(), err2.Error(), err3.Error(), config(f).String(), fmt.Sprintf("%v %+v %#v", cfg, cfg, cfg)} {
		if strings.Contains(s, testSecret) {
			t.Errorf("the secret key shows: %s", s)
		}
	}
}

func TestParseURL(t *testing.T) {
	for raw, want := range map[string][2]string{
		"s3://exports":                 {"exports", ""},
		"s3://exports/":                {"exports", ""},
		"s3://exports/custexport/jobs": {"exports", "custexport/jobs"},
		"s3://exports/jobs/":           {"exports", "jobs"},
	} {
		cfg, err := ParseURL(raw)
		if err != nil || cfg.Bucket != want[0] || cfg.Prefix != want[1] {
			t.Errorf("ParseURL(%q) = %q, %q, %v; want %q", raw, cfg.Bucket, cfg.Prefix, err, want)
		}
	}
	for _, raw := range []string{"", "exports", "http://exports/x", "s3://", "s3://Bad_Bucket", "s3://b:9000/x",
		"s3://b/x?region=eu", "s3://b/a//c", "s3://b/../c", "s3://key:" + testSecret + "@bucket/x"} {
		_, err := ParseURL(raw)
		if err == nil {
			t.Errorf("ParseURL(%q) accepted", raw)
		} else if strings.Contains(err.Error(), testSecret) {
			t.Errorf("ParseURL(%q): the error shows the secret: %v", raw, err)
		}
	}
}

// Uploads run at the same time without mixing their contents.
func TestConcurrentPuts(t *testing.T) {
	s, _ := openStore(t, true)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for i := range 3 {
		wg.Go(func() {
			data := content(6<<20 + i)
			name := fmt.Sprintf("job-%d.csv", 100+i)
			if err := s.Put(ctx, name, func(w io.Writer) error { return writeInPieces(w, data) }); err != nil {
				errs <- err
				return
			}
			r, _, err := s.Open(ctx, name)
			if err != nil {
				errs <- err
				return
			}
			defer r.Close()
			if got, _ := io.ReadAll(r); !bytes.Equal(got, data) {
				errs <- fmt.Errorf("%s: content differs", name)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// The admin download serves an opened file with http.ServeContent: Content-Length, and ranges
// (206) read from the middle of the object.
func TestServeContent(t *testing.T) {
	s, _ := openStore(t, true)
	ctx := context.Background()
	data := content(6 << 20)
	if err := s.Put(ctx, "job-9.csv", func(w io.Writer) error { return writeInPieces(w, data) }); err != nil {
		t.Fatal(err)
	}
	serve := func(rangeHeader string) *httptest.ResponseRecorder {
		f, _, err := s.Open(ctx, "job-9.csv")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		req := httptest.NewRequest(http.MethodGet, "/jobs/9/download", nil)
		if rangeHeader != "" {
			req.Header.Set("Range", rangeHeader)
		}
		rec := httptest.NewRecorder()
		http.ServeContent(rec, req, "", time.Now(), f)
		return rec
	}
	rec := serve("")
	if rec.Code != 200 || rec.Header().Get("Content-Length") != strconv.Itoa(len(data)) || !bytes.Equal(rec.Body.Bytes(), data) {
		t.Fatalf("whole file: %d, Content-Length %s, %d bytes", rec.Code, rec.Header().Get("Content-Length"), rec.Body.Len())
	}
	rec = serve("bytes=5242000-5242999")
	if rec.Code != http.StatusPartialContent || !bytes.Equal(rec.Body.Bytes(), data[5242000:5243000]) {
		t.Fatalf("range: %d, %d bytes", rec.Code, rec.Body.Len())
	}
}
