package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Config names an S3 bucket (and optional key prefix) and how to reach it.
type S3Config struct {
	Endpoint string // URL: https://s3.ap-south-1.amazonaws.com, http://127.0.0.1:7070
	Bucket   string
	Prefix   string // optional; keys are stored as Prefix/key
	Region   string // default us-east-1
	// Credentials: AccessKey/SecretKey when set (tests), otherwise the
	// AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY environment, otherwise the
	// shared credentials file CredentialsFile (profile CredentialsProfile).
	AccessKey, SecretKey string
	CredentialsFile      string
	CredentialsProfile   string
	// MaxRetries bounds minio-go's retries, with backoff, of timeouts, 5xx
	// and connection errors (default 5).
	MaxRetries int
}

// S3 is a Store on an S3-compatible object store (AWS S3, MinIO,
// versitygw…). Objects are write-once through a conditional put
// (If-None-Match: *).
type S3 struct {
	c      *minio.Client
	bucket string
	prefix string
	where  string // endpoint/bucket/prefix for messages, without secrets
}

var _ Store = (*S3)(nil)

// OpenS3 connects to the bucket and checks that it exists.
func OpenS3(ctx context.Context, cfg S3Config) (*S3, error) {
	u, err := url.Parse(cfg.Endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("s3 store: endpoint %q must be an http:// or https:// URL", redactURL(cfg.Endpoint))
	}
	if cfg.Bucket == "" {
		return nil, errors.New("s3 store: no bucket configured")
	}
	var creds *credentials.Credentials
	switch {
	case cfg.AccessKey != "":
		creds = credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, "")
	case cfg.CredentialsFile != "":
		creds = credentials.NewChainCredentials([]credentials.Provider{
			&credentials.EnvAWS{},
			&credentials.FileAWSCredentials{Filename: cfg.CredentialsFile, Profile: cfg.CredentialsProfile},
		})
	default:
		creds = credentials.NewEnvAWS()
	}
	region := cfg.Region
	if region == "" {
		region = "us-east-1"
	}
	retries := cfg.MaxRetries
	if retries <= 0 {
		retries = 5
	}
	tr, err := minio.DefaultTransport(u.Scheme == "https")
	if err != nil {
		return nil, err
	}
	tr.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	tr.ResponseHeaderTimeout = 30 * time.Second
	tr.MaxIdleConnsPerHost = 64
	c, err := minio.New(u.Host, &minio.Options{
		Creds: creds, Secure: u.Scheme == "https", Region: region, Transport: deadlineTransport{tr, s3RequestTimeout},
		BucketLookup: minio.BucketLookupAuto, MaxRetries: retries,
	})
	if err != nil {
		return nil, fmt.Errorf("s3 store: %w", err)
	}
	s := &S3{c: c, bucket: cfg.Bucket, prefix: strings.Trim(cfg.Prefix, "/"),
		where: redactURL(cfg.Endpoint) + "/" + cfg.Bucket}
	if s.prefix != "" {
		s.where += "/" + s.prefix
	}
	ok, err := c.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, s.wrap("open", "", err)
	}
	if !ok {
		return nil, fmt.Errorf("s3 store %s: bucket %q does not exist", redactURL(cfg.Endpoint), cfg.Bucket)
	}
	return s, nil
}

// String describes the store without credentials.
func (s *S3) String() string { return "s3 " + s.where }

func (s *S3) full(key string) string {
	if s.prefix == "" {
		return key
	}
	return s.prefix + "/" + key
}

// wrap maps S3 errors to the Store's and makes the rest readable.
func (s *S3) wrap(op, key string, err error) error {
	if err == nil {
		return nil
	}
	what := s.where
	if key != "" {
		what += ": " + key
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("s3 %s %s: %w", op, what, err)
	}
	resp := minio.ToErrorResponse(err)
	switch resp.Code {
	case "NoSuchKey":
		return fmt.Errorf("s3 %s %s: %w", op, what, ErrNotFound)
	case "NoSuchBucket":
		return fmt.Errorf("s3 %s %s: the bucket does not exist", op, what)
	case "InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "InvalidToken", "ExpiredToken":
		return fmt.Errorf("s3 %s %s: access denied (%s): check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY and the bucket policy", op, what, resp.Code)
	}
	var ne net.Error
	var oe *net.OpError
	if errors.As(err, &oe) || (errors.As(err, &ne) && ne.Timeout()) {
		return fmt.Errorf("s3 %s %s: endpoint unreachable: %v", op, what, err)
	}
	return fmt.Errorf("s3 %s %s: %w", op, what, err)
}

// Put implements Store.
func (s *S3) Put(ctx context.Context, key string, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := ValidateKey(key); err != nil {
		return err
	}
	opts := minio.PutObjectOptions{ContentType: "application/xml", SendContentMd5: true}
	opts.SetMatchETagExcept("*") // create only: write-once even between processes
	_, err := s.c.PutObject(ctx, s.bucket, s.full(key), bytes.NewReader(data), int64(len(data)), opts)
	if err == nil {
		return nil
	}
	if r := minio.ToErrorResponse(err); r.Code == "PreconditionFailed" || r.StatusCode == http.StatusPreconditionFailed {
		old, gerr := s.Get(ctx, key)
		if gerr != nil {
			return gerr
		}
		if !bytes.Equal(old, data) {
			return fmt.Errorf("s3 put %s: %s: a different object: %w", s.where, key, ErrExists)
		}
		return nil
	}
	return s.wrap("put", key, err)
}

// Get implements Store.
func (s *S3) Get(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	obj, err := s.c.GetObject(ctx, s.bucket, s.full(key), minio.GetObjectOptions{})
	if err != nil {
		return nil, s.wrap("get", key, err)
	}
	defer obj.Close()
	b, err := io.ReadAll(io.LimitReader(obj, 64<<20))
	if err != nil {
		return nil, s.wrap("get", key, err)
	}
	return b, nil
}

// Stat implements Store.
func (s *S3) Stat(ctx context.Context, key string) (ObjectInfo, error) {
	if err := ctx.Err(); err != nil {
		return ObjectInfo{}, err
	}
	if err := ValidateKey(key); err != nil {
		return ObjectInfo{}, err
	}
	oi, err := s.c.StatObject(ctx, s.bucket, s.full(key), minio.StatObjectOptions{})
	if err != nil {
		return ObjectInfo{}, s.wrap("stat", key, err)
	}
	return ObjectInfo{Key: key, Size: oi.Size, ModTime: oi.LastModified}, nil
}

// List implements Store. S3 lists in lexical key order, one page of up to
// 1,000 keys per request; minio-go follows the pages.
func (s *S3) List(ctx context.Context, prefix string, fn func(ObjectInfo) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops minio-go's lister when fn fails
	for oi := range s.c.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.full(prefix), Recursive: true}) {
		if oi.Err != nil {
			return s.wrap("list", prefix, oi.Err)
		}
		key := oi.Key
		if s.prefix != "" {
			key = strings.TrimPrefix(key, s.prefix+"/")
		}
		if err := fn(ObjectInfo{Key: key, Size: oi.Size, ModTime: oi.LastModified}); err != nil {
			return fmt.Errorf("list %q: %w", prefix, err)
		}
	}
	return ctx.Err()
}

// Delete implements Store.
func (s *S3) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := ValidateKey(key); err != nil {
		return err
	}
	return s.wrap("delete", key, s.c.RemoveObject(ctx, s.bucket, s.full(key), minio.RemoveObjectOptions{}))
}

// Close implements Store.
func (s *S3) Close() error { return nil }

// redactURL drops any user:password from a URL before it is shown.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(invalid URL)"
	}
	u.User = nil
	return strings.TrimSuffix(u.String(), "/")
}

// s3RequestTimeout bounds one S3 request from its start to its body's
// last byte: the transport's timeouts end at the response's headers, and
// minio-go's client has no deadline of its own, so an endpoint that stalls
// in a body would hold an ingest or a locker's request for ever. Documents
// are kilobytes; two minutes is far beyond a healthy request. A variable
// for the test.
var s3RequestTimeout = 2 * time.Minute

// deadlineTransport gives every request a deadline of d, which holds
// until its response's body is closed. Each retry minio-go makes is a new
// request with a deadline of its own.
type deadlineTransport struct {
	rt http.RoundTripper
	d  time.Duration
}

func (t deadlineTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(req.Context(), t.d)
	resp, err := t.rt.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = cancelOnClose{resp.Body, cancel}
	return resp, nil
}

// cancelOnClose ends a request's deadline when its body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}
