package main

import (
	"fmt"
	"time"

	"github.com/issuerkit/issuerkit/internal/home"
	"github.com/issuerkit/issuerkit/internal/issuer"
	"github.com/issuerkit/issuerkit/internal/report"
	"github.com/issuerkit/issuerkit/repository"
)

// printLink prints doc's /verify link (get --format link).
func printLink(e *env, h *home.Home, doc repository.Document) error {
	link, _, err := issuer.VerifyLinker(h, "")
	if err != nil {
		return err
	}
	if doc.Held(time.Now()) {
		fmt.Fprintf(e.stderr, "get: %s is held until %s: the link opens once it is released\n", doc.URI, report.ISTTime(doc.ReleaseAt))
	}
	_, err = fmt.Fprintln(e.stdout, link(doc.URI))
	return err
}
