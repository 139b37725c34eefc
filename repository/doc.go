// Package repository keeps an issuer's documents: the object Store that holds
// every signed version (filesystem or S3), and the Catalog that knows every
// URI, its current version, content hash, status, search keys and the outbox
// of pushes to lockers.
package repository
