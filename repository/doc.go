// Package repository is an issuer's catalog: it knows every URI, its
// current version, content hash, status, search keys, the outbox of pushes
// to lockers, the audit log and the API Setu requesters. The signed
// documents themselves are objects of a repository/store Store (filesystem
// or S3), which knows nothing of the catalog; the catalog reports the
// store's ErrNotFound and ErrExists as its own (errors.go), and object.go
// (GetVerified) reads a document's object checked against the SHA-256 the
// catalog recorded. Beside it: api/ (the HTTP API lockers call), apisetu/
// (the certificate API requesters call), and the conformance suites
// catalogtest/ and storetest/.
//
// Both SQL catalogs are one core (core*.go) over a small dialect
// (dialect.go): SQLite (sqlite.go: one file, database/sql, kept prepared
// statements, IMMEDIATE transactions) and PostgreSQL (postgres.go: pgx,
// Apply as one pipelined batch, audit rows by COPY, FOR UPDATE SKIP LOCKED
// outbox claims, a locked audit head). The schema is declared once
// (schema.go); each dialect's shipped migrations (history.go) are checked
// against it and later steps are rendered from it in both, so an existing
// home migrates forward when it is opened. migrate.go copies a SQLite
// catalog into PostgreSQL table by table of the same declaration. The
// conformance suite (catalogtest) runs on both and on the read cache
// (cached.go).
package repository
