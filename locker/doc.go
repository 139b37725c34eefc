// Package locker will be the reference locker: a small real HTTP server that
// receives Push URI requests and pulls documents from an issuer's repository
// API. It talks to the issuer over HTTP only, so it imports neither
// repository, ingest nor pusher. It is not built yet.
package locker
