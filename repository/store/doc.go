// Package store holds an issuer's signed documents as objects: the Store
// interface and its two backends, the filesystem (FS: write-once files,
// fsync'd, one syncfs per batch on Linux) and S3 (minio-go), with the
// CONTRACT key layout (ObjectKey), the store check and copy that
// `issuerkit store check` and `store migrate` run, and the decorator rules:
// a Store that wraps another exposes it through Unwrap, so optional
// capabilities such as BatchPutter stay visible (As, PutAll).
//
// The store knows nothing of documents or the catalog; the conformance
// suite every backend runs is repository/storetest.
package store
