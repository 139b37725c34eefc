// Package pusher will drain the catalog's outbox to locker gateways with
// Push URI requests (digilocker-spec.md §5): durable, retried with backoff,
// ordered per URI. Ingest already writes the outbox rows it will send; the
// pusher itself is not built yet.
package pusher
