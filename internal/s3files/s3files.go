// Package s3files keeps the files of finished admin export jobs in an S3-compatible bucket
// (AWS S3, MinIO, Ceph RGW, …), so that every instance of a multi-instance deployment can
// serve every job's file. It is an exporter.FileStore.
//
// A file is uploaded as it is written, as a multipart upload of parts of Config.PartSize
// bytes: memory stays at about one part per running upload whatever the file's size, and
// the object appears only when the upload completes. A failed or cancelled write aborts the
// multipart upload, leaving no object.
package s3files

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/s3utils"
)

const (
	// DefaultPartSize is the part size when Config.PartSize is zero. With S3's limit of
	// 10,000 parts it allows files of up to about 156 GiB.
	DefaultPartSize = 16 << 20
	// MinPartSize is S3's minimum size of a part (all but the last).
	MinPartSize = 5 << 20
	// MaxPartSize is S3's maximum size of a part.
	MaxPartSize = 5 << 30

	// DefaultEndpoint is used when Config.Endpoint is empty: AWS S3.
	DefaultEndpoint = "s3.amazonaws.com"
)

// Config says where the files are kept and how to reach the bucket. Its String never shows
// the credentials.
type Config struct {
	// Endpoint is the server's host[:port] (default DefaultEndpoint). A URL such as
	// http://minio.local:9000 is accepted too; its scheme then decides Secure.
	Endpoint string
	// AccessKey and SecretKey are the static credentials; both are required.
	AccessKey, SecretKey string
	// Bucket must exist; Prefix (may be empty) is put before every file's name, with a "/"
	// between them. Use a bucket or prefix of custexport's own: CleanPartial aborts every
	// old unfinished upload under it.
	Bucket, Prefix string
	// Secure uses HTTPS. Without it requests, though signed, travel in plain text.
	Secure bool
	// Region is the bucket's region; empty asks the server.
	Region string
	// PartSize is the size of the upload's parts and so the memory each running upload
	// holds: DefaultPartSize when zero, at least MinPartSize.
	PartSize int64
	// Transport is the HTTP transport (for a private CA, say); nil uses minio-go's default.
	Transport http.RoundTripper
}

// String describes the configuration for logs and errors, without the credentials.
func (c Config) String() string {
	var b strings.Builder
	b.WriteString("s3://" + c.Bucket)
	if p := cleanPrefix(c.Prefix); p != "" {
		b.WriteString("/" + strings.TrimSuffix(p, "/"))
	}
	endpoint, secure := c.Endpoint, c.Secure
	if e, s, err := splitEndpoint(endpoint, secure); err == nil {
		endpoint, secure = e, s
	}
	scheme := "http"
	if secure {
		scheme = "https"
	}
	fmt.Fprintf(&b, " at %s://%s", scheme, endpoint)
	if c.Region != "" {
		b.WriteString(" region " + c.Region)
	}
	return b.String()
}

// GoString keeps %#v from printing the credentials.
func (c Config) GoString() string { return "s3files.Config(" + c.String() + ")" }

// ParseURL reads s3://bucket or s3://bucket/prefix into a Config's Bucket and Prefix; the
// other fields are left for the caller. Credentials in the URL are refused (and not echoed).
func ParseURL(raw string) (Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Config{}, errors.New("s3files: not a URL of the form s3://bucket/prefix")
	}
	if u.User != nil {
		return Config{}, errors.New("s3files: credentials do not belong in the s3:// URL; use the access-key and secret-key settings")
	}
	if u.Scheme != "s3" {
		return Config{}, fmt.Errorf("s3files: %q is not an s3:// URL", u.Redacted())
	}
	if u.Opaque != "" || u.RawQuery != "" || u.Fragment != "" || u.Port() != "" {
		return Config{}, fmt.Errorf("s3files: %q: want s3://bucket/prefix, with no port, query or fragment", u.Redacted())
	}
	if u.Host == "" {
		return Config{}, errors.New("s3files: the s3:// URL names no bucket: want s3://bucket/prefix")
	}
	if err := s3utils.CheckValidBucketNameStrict(u.Host); err != nil {
		return Config{}, fmt.Errorf("s3files: bucket %q: %v", u.Host, err)
	}
	prefix := strings.Trim(u.Path, "/")
	if strings.Contains(prefix, "//") || strings.Contains("/"+prefix+"/", "/../") || strings.Contains("/"+prefix+"/", "/./") {
		return Config{}, fmt.Errorf("s3files: prefix %q: empty, . or .. segments", prefix)
	}
	return Config{Bucket: u.Host, Prefix: prefix}, nil
}

// Store is a bucket (and prefix) of files.
type Store struct {
	client   *minio.Client
	bucket   string
	prefix   string // "" or ending in "/"
	partSize int64
	endpoint string // scheme://host[:port], for errors
	where    string // Config.String(), for logs
}

// Open connects to the bucket and checks that it exists, so that a wrong endpoint, wrong
// credentials or a missing bucket show at start-up rather than at the first export.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Endpoint == "" {
		cfg.Endpoint = DefaultEndpoint
	}
	endpoint, secure, err := splitEndpoint(cfg.Endpoint, cfg.Secure)
	if err != nil {
		return nil, err
	}
	cfg.Endpoint, cfg.Secure = endpoint, secure
	where := cfg.String()
	if err := s3utils.CheckValidBucketName(cfg.Bucket); err != nil {
		return nil, fmt.Errorf("s3files: bucket %q: %v", cfg.Bucket, err)
	}
	if cfg.AccessKey == "" || cfg.SecretKey == "" {
		return nil, fmt.Errorf("s3files: %s: the access key and the secret key are both required", where)
	}
	partSize := cfg.PartSize
	if partSize == 0 {
		partSize = DefaultPartSize
	}
	if partSize < MinPartSize || partSize > MaxPartSize {
		return nil, fmt.Errorf("s3files: part size %d: want %d to %d bytes", partSize, MinPartSize, MaxPartSize)
	}
	client, err := minio.New(endpoint, &minio.Options{
		Creds:     credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:    secure,
		Region:    cfg.Region,
		Transport: cfg.Transport,
	})
	if err != nil {
		return nil, fmt.Errorf("s3files: %s: %w", where, err)
	}
	scheme := "http://"
	if secure {
		scheme = "https://"
	}
	s := &Store{client: client, bucket: cfg.Bucket, prefix: cleanPrefix(cfg.Prefix), partSize: partSize,
		endpoint: scheme + endpoint, where: where}
	ok, err := client.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("s3files: checking the bucket of %s: %w", where, err)
	}
	if !ok {
		return nil, fmt.Errorf("s3files: %s: the bucket %q does not exist", where, cfg.Bucket)
	}
	return s, nil
}

// String describes the store for logs: bucket, prefix and endpoint, no credentials.
func (s *Store) String() string { return s.where }

// errWriteFailed ends an upload whose content could not be written completely.
var errWriteFailed = errors.New("s3files: the file's content was not written completely")

// Put uploads the file as write writes it. Nothing is sent before the first byte: then a
// multipart upload of unknown size starts, fed through a pipe, and write's writes block while
// a full part is being sent. When write returns nil the upload is completed and the object
// appears; when it fails (or panics, or ctx ends) the upload is aborted and nothing appears.
func (s *Store) Put(ctx context.Context, name string, write func(w io.Writer) error) (err error) {
	key, err := s.key(name)
	if err != nil {
		return err
	}
	up := &upload{s: s, ctx: ctx, key: key}
	defer func() {
		if p := recover(); p != nil {
			up.abort()
			panic(p)
		}
		if err != nil {
			up.abort()
		}
	}()
	if err := write(up); err != nil {
		return err
	}
	if err := up.complete(); err != nil {
		return s.wrap("uploading", key, err)
	}
	return nil
}

// upload is the writer a Put gives its write function.
type upload struct {
	s   *Store
	ctx context.Context
	key string

	pw   *io.PipeWriter
	done chan struct{} // closed when PutObject has returned; err is set then
	err  error
	once sync.Once // ends the pipe: complete or abort, whichever comes first
}

func (u *upload) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if u.pw == nil {
		u.start()
	}
	n, err := u.pw.Write(p)
	if err != nil {
		return n, u.s.wrap("uploading", u.key, err)
	}
	return n, nil
}

// start begins the multipart upload: size -1 (unknown) with an explicit part size, so that
// minio-go buffers one part at a time instead of sizing parts for a 5 TiB object.
func (u *upload) start() {
	pr, pw := io.Pipe()
	u.pw, u.done = pw, make(chan struct{})
	go func() {
		defer close(u.done)
		_, err := u.s.client.PutObject(u.ctx, u.s.bucket, u.key, pr, -1, u.s.putOptions())
		if err == nil && u.ctx.Err() != nil {
			err = u.ctx.Err()
		}
		u.err = err
		// Unblock a writer still writing: PutObject stopped reading.
		if err == nil {
			err = errors.New("s3files: the upload ended")
		}
		pr.CloseWithError(err)
	}()
}

func (s *Store) putOptions() minio.PutObjectOptions {
	return minio.PutObjectOptions{
		PartSize:       uint64(s.partSize),
		ContentType:    "application/octet-stream",
		SendContentMd5: true, // each part checked by the server
	}
}

// complete ends the content and waits for the upload to complete. A file never written to
// is stored with a single PUT of no bytes (a multipart upload needs a part).
func (u *upload) complete() error {
	if u.pw == nil {
		u.once.Do(func() {})
		_, err := u.s.client.PutObject(u.ctx, u.s.bucket, u.key, bytes.NewReader(nil), 0, u.s.putOptions())
		return err
	}
	u.once.Do(func() { u.pw.Close() })
	<-u.done
	if u.err != nil {
		// minio-go aborts the multipart upload; should the completion itself have failed
		// after the server acted on it, make sure no object is left either.
		u.s.removeQuietly(u.ctx, u.key)
	}
	return u.err
}

// abort stops the upload and waits until minio-go has aborted the multipart upload.
func (u *upload) abort() {
	u.once.Do(func() {
		if u.pw != nil {
			u.pw.CloseWithError(errWriteFailed)
		}
	})
	if u.pw != nil {
		<-u.done
	}
}

func (s *Store) removeQuietly(ctx context.Context, key string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{})
}

// Open returns the object's content, which reads (and seeks, with range requests) lazily,
// and its size. A missing object gives an *fs.PathError wrapping fs.ErrNotExist.
func (s *Store) Open(ctx context.Context, name string) (io.ReadSeekCloser, int64, error) {
	key, err := s.key(name)
	if err != nil {
		return nil, 0, err
	}
	obj, err := s.client.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, 0, s.wrap("opening", key, err)
	}
	info, err := obj.Stat() // a HEAD request: the object's size, or that it is missing
	if err != nil {
		obj.Close()
		return nil, 0, s.wrap("opening", key, err)
	}
	return obj, info.Size, nil
}

// Remove deletes the object; a missing object is not an error.
func (s *Store) Remove(ctx context.Context, name string) error {
	key, err := s.key(name)
	if err != nil {
		return err
	}
	err = s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{})
	if err != nil && minioCode(err) != minio.NoSuchKey {
		return s.wrap("removing", key, err)
	}
	return nil
}

// CleanPartial aborts the multipart uploads under the prefix that were started before the
// given time and never completed nor aborted: a process that crashed during a Put left them,
// and their parts cost storage until aborted. (A bucket lifecycle rule
// AbortIncompleteMultipartUpload does the same on the server's side.)
func (s *Store) CleanPartial(ctx context.Context, before time.Time) error {
	return s.abortUploads(ctx, s.prefix, func(up minio.ObjectMultipartInfo) bool {
		return strings.HasPrefix(up.Key, s.prefix) && up.Initiated.Before(before)
	})
}

// RemovePartial aborts the unfinished uploads of name that a crashed process left.
func (s *Store) RemovePartial(ctx context.Context, name string) error {
	key, err := s.key(name)
	if err != nil {
		return err
	}
	return s.abortUploads(ctx, key, func(up minio.ObjectMultipartInfo) bool { return up.Key == key })
}

// abortUploads aborts the unfinished uploads under prefix that match.
func (s *Store) abortUploads(ctx context.Context, prefix string, match func(minio.ObjectMultipartInfo) bool) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the listing when returning early
	core := minio.Core{Client: s.client}
	var errs []error
	for up := range s.client.ListIncompleteUploads(ctx, s.bucket, prefix, true) {
		if up.Err != nil {
			// Some servers (gofakes3) answer NoSuchUpload for a bucket that never had one.
			if minioCode(up.Err) != minio.NoSuchUpload {
				errs = append(errs, s.wrap("listing unfinished uploads", prefix, up.Err))
			}
			break
		}
		if up.UploadID == "" || !match(up) {
			continue
		}
		if err := core.AbortMultipartUpload(ctx, s.bucket, up.Key, up.UploadID); err != nil &&
			minioCode(err) != minio.NoSuchUpload {
			errs = append(errs, s.wrap("aborting an unfinished upload", up.Key, err))
		}
	}
	return errors.Join(errs...)
}

// key is the object key of a file name: the prefix and a plain name.
func (s *Store) key(name string) (string, error) {
	if name == "" || strings.ContainsAny(name, `/\`+"\x00") || strings.HasPrefix(name, ".") {
		return "", fmt.Errorf("s3files: invalid file name %q", name)
	}
	return s.prefix + name, nil
}

// wrap names what failed: the object (s3://bucket/key) and the endpoint, never the
// credentials. A missing object or bucket also matches fs.ErrNotExist.
func (s *Store) wrap(op, key string, err error) error {
	what := "s3://" + s.bucket + "/" + key + " at " + s.endpoint
	switch minioCode(err) {
	case minio.NoSuchKey, minio.NoSuchBucket:
		return &fs.PathError{Op: "s3files: " + op, Path: what, Err: fs.ErrNotExist}
	}
	return fmt.Errorf("s3files: %s %s: %w", op, what, err)
}

// minioCode is the S3 error code of err, or "".
func minioCode(err error) string {
	var resp minio.ErrorResponse
	if errors.As(err, &resp) {
		return resp.Code
	}
	return ""
}

// cleanPrefix makes a prefix end in "/" (or be empty).
func cleanPrefix(p string) string {
	p = strings.Trim(p, "/")
	if p == "" {
		return ""
	}
	return p + "/"
}

// splitEndpoint accepts host[:port] or an http(s) URL of one.
func splitEndpoint(endpoint string, secure bool) (string, bool, error) {
	if !strings.Contains(endpoint, "://") {
		if endpoint == "" || strings.ContainsAny(endpoint, "/@?#") {
			return "", false, fmt.Errorf("s3files: endpoint %q: want host[:port]", endpoint)
		}
		return endpoint, secure, nil
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "" {
		return "", false, errors.New("s3files: the endpoint: want host[:port] or http(s)://host[:port]")
	}
	return u.Host, u.Scheme == "https", nil
}
