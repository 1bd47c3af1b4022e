package main

import (
	"testing"

	"github.com/custexport/custexport/internal/s3test"
)

// s3TestEnv starts an S3-compatible server on loopback for the test and returns the
// environment that points serve's --files at a bucket on it.
func s3TestEnv(t *testing.T) []string { return s3test.Start(t, "shop-files").Env("jobs") }
