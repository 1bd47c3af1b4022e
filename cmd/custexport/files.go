package main

import (
	"context"
	"flag"
	"path/filepath"
	"strings"

	"github.com/custexport/custexport/internal/dirfiles"
	"github.com/custexport/custexport/internal/exporter"
	"github.com/custexport/custexport/internal/s3files"
)

// fileConfig says where serve keeps the files of finished admin export jobs: a local
// directory (the default, DATA-DIR/jobs) or an S3-compatible bucket that every instance
// behind a load balancer reaches (--files s3://bucket/prefix).
//
// runServe wires it like the store configuration: register the flags before parsing, open
// the store after, and give it to the jobs:
//
//	files := registerFileFlags(fs, getenv)
//	… parseFlags …
//	fileStore, filesWhere, err := files.open(ctx, cfg.dataDir)
//	jobs := &exporter.Jobs{…, Files: fileStore, …}
//
// The secret key is read from the flag or the environment only when the store is opened: it
// is never a flag's default, so --help cannot print it, and the description open returns
// for the logs holds no credentials.
type fileConfig struct {
	files     string
	endpoint  string
	accessKey string
	secretKey string
	region    string
	insecure  *bool
	getenv    func(string) string
}

func registerFileFlags(fs *flag.FlagSet, getenv func(string) string) *fileConfig {
	c := &fileConfig{getenv: getenv}
	fs.StringVar(&c.files, "files", getenv("CUSTEXPORT_FILES"), "where the admin export files are kept: a directory, or s3://bucket/prefix so that every instance reaches them (env CUSTEXPORT_FILES; default DATA-DIR/jobs)")
	fs.StringVar(&c.endpoint, "s3-endpoint", getenv("CUSTEXPORT_S3_ENDPOINT"), "S3 server host[:port] for --files s3://… (env CUSTEXPORT_S3_ENDPOINT; default "+s3files.DefaultEndpoint+")")
	fs.StringVar(&c.accessKey, "s3-access-key", "", "S3 access key (env CUSTEXPORT_S3_ACCESS_KEY or AWS_ACCESS_KEY_ID)")
	fs.StringVar(&c.secretKey, "s3-secret-key", "", "S3 secret key; prefer the environment, a flag shows in the process list (env CUSTEXPORT_S3_SECRET_KEY or AWS_SECRET_ACCESS_KEY)")
	fs.StringVar(&c.region, "s3-region", envOr(getenv, "CUSTEXPORT_S3_REGION", getenv("AWS_REGION")), "S3 region (env CUSTEXPORT_S3_REGION or AWS_REGION; default: ask the server)")
	c.insecure = registerBool(fs, getenv, "s3-insecure", "CUSTEXPORT_S3_INSECURE", "talk to the S3 server over plain HTTP")
	return c
}

// open opens the configured file store and describes it for the logs (no credentials).
func (c *fileConfig) open(ctx context.Context, dataDir string) (exporter.FileStore, string, error) {
	if !strings.HasPrefix(c.files, "s3://") {
		if strings.Contains(c.files, "://") {
			return nil, "", usagef("--files: want a directory or s3://bucket/prefix")
		}
		if c.endpoint != "" {
			return nil, "", usagef("--s3-endpoint is set but --files is not an s3:// URL")
		}
		dir := c.files
		if dir == "" {
			dir = filepath.Join(dataDir, "jobs")
		}
		store := dirfiles.New(dir)
		return store, store.String(), nil
	}
	cfg, err := s3files.ParseURL(c.files)
	if err != nil {
		return nil, "", usagef("--files: %v", err)
	}
	cfg.Endpoint, cfg.Region, cfg.Secure = c.endpoint, c.region, !*c.insecure
	cfg.AccessKey = firstNonEmpty(c.accessKey, c.getenv("CUSTEXPORT_S3_ACCESS_KEY"), c.getenv("AWS_ACCESS_KEY_ID"))
	cfg.SecretKey = firstNonEmpty(c.secretKey, c.getenv("CUSTEXPORT_S3_SECRET_KEY"), c.getenv("AWS_SECRET_ACCESS_KEY"))
	if cfg.AccessKey == "" || cfg.SecretKey == "" {
		return nil, "", usagef("--files %s: set the S3 access key and secret key (env CUSTEXPORT_S3_ACCESS_KEY and CUSTEXPORT_S3_SECRET_KEY)", c.files)
	}
	store, err := s3files.Open(ctx, cfg)
	if err != nil {
		return nil, "", err
	}
	return store, store.String(), nil
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
