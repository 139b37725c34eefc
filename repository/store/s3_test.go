//go:build integration

package store_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/issuerkit/issuerkit/repository/store"

	"github.com/issuerkit/issuerkit/internal/testenv"
	"github.com/issuerkit/issuerkit/repository/storetest"
)

var s3Server *testenv.S3Server

// TestMain starts one S3 server for the package (each test works under its
// own prefix) and stops it when the tests end.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "issuerkit-s3-")
	if err != nil {
		panic(err)
	}
	var startErr error
	if os.Getenv("ISSUERKIT_TEST_S3_ENDPOINT") == "" {
		s3Server, startErr = testenv.NewS3Server(dir)
	}
	code := m.Run()
	testenv.StopPostgres()
	if s3Server != nil {
		s3Server.Stop()
	}
	os.RemoveAll(dir)
	if startErr != nil && code == 0 && testenv.DisallowSkip() {
		fmt.Fprintln(os.Stderr, "S3 server:", startErr)
		code = 1
	}
	os.Exit(code)
}

func sharedS3(t *testing.T) *testenv.S3Server {
	t.Helper()
	if os.Getenv("ISSUERKIT_TEST_S3_ENDPOINT") != "" {
		return testenv.StartS3(t)
	}
	if s3Server == nil {
		testenv.SkipOrFail(t, "no S3 server could be started")
	}
	return s3Server
}

func s3Config(srv *testenv.S3Server, prefix string) store.S3Config {
	return store.S3Config{Endpoint: srv.Endpoint, Bucket: srv.Bucket, Prefix: prefix,
		AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, MaxRetries: 1}
}

func uniquePrefix() string {
	b := make([]byte, 6)
	rand.Read(b)
	return "t-" + hex.EncodeToString(b)
}

func TestS3Conformance(t *testing.T) {
	srv := sharedS3(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := store.OpenS3(context.Background(), s3Config(srv, uniquePrefix()))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestS3Errors(t *testing.T) {
	srv := sharedS3(t)
	ctx := context.Background()
	tests := []struct {
		name string
		cfg  func() store.S3Config
		want string
	}{
		{"server down", func() store.S3Config {
			c := s3Config(srv, "")
			c.Endpoint = "http://127.0.0.1:1"
			return c
		}, "unreachable"},
		{"wrong credentials", func() store.S3Config {
			c := s3Config(srv, "")
			c.SecretKey = "wrong"
			return c
		}, "access denied"},
		{"missing bucket", func() store.S3Config {
			c := s3Config(srv, "")
			c.Bucket = "no-such-bucket"
			return c
		}, `bucket "no-such-bucket" does not exist`},
		{"bad endpoint", func() store.S3Config {
			c := s3Config(srv, "")
			c.Endpoint = "ftp://x"
			return c
		}, "must be an http:// or https:// URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := store.OpenS3(ctx, tt.cfg())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("OpenS3: %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), srv.SecretKey) {
				t.Fatal("error shows the secret key")
			}
		})
	}
}

func BenchmarkS3(b *testing.B) {
	if s3Server == nil {
		b.Skip("no S3 server")
	}
	storetest.Bench(b, func(b *testing.B) store.Store {
		s, err := store.OpenS3(context.Background(), s3Config(s3Server, uniquePrefix()))
		if err != nil {
			b.Fatal(err)
		}
		return s
	})
}
