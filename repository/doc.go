// Package repository keeps an issuer's documents: the object Store that holds
// every signed version (filesystem or S3), and the Catalog that knows every
// URI, its current version, content hash, status, search keys, the outbox
// of pushes to lockers, the audit log and the API Setu requesters.
//
// The two halves share only errors.go (ErrNotFound, ErrExists): the Store
// knows nothing of documents, and object.go (GetVerified, ObjectKey) joins
// them. Store decorators expose what they wrap through Unwrap, so that
// optional capabilities such as BatchPutter stay visible (As, PutAll).
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
