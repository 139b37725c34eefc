package main

import (
	"fmt"
	"time"

	"github.com/issuerkit/issuerkit/internal/home"
	"github.com/issuerkit/issuerkit/repository"
	"github.com/issuerkit/issuerkit/repository/api"
)

// verifyLinker returns what makes a document's /verify link, with its
// token, for a repository API served at addr ("" for serve's default):
// serve's PDFs and get's (--format pdf, --format link) ask the same
// function, so they print the same link.
func verifyLinker(h *home.Home, addr string) (func(uri string) string, []byte, error) {
	key, err := h.VerifyKey()
	if err != nil {
		return nil, nil, err
	}
	base := h.PublicURL(addr)
	return func(uri string) string { return api.VerifyLink(base, key, uri) }, key, nil
}

// printLink prints doc's /verify link (get --format link).
func printLink(e *env, h *home.Home, doc repository.Document) error {
	link, _, err := verifyLinker(h, "")
	if err != nil {
		return err
	}
	if doc.Held(time.Now()) {
		fmt.Fprintf(e.stderr, "get: %s is held until %s: the link opens once it is released\n", doc.URI, istTime(doc.ReleaseAt))
	}
	_, err = fmt.Fprintln(e.stdout, link(doc.URI))
	return err
}
