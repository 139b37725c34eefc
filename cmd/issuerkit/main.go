// Command issuerkit issues DigiLocker documents: it turns an issuer's records
// into signed Certificate XML, stores and catalogs them, and serves them to
// lockers. Run `issuerkit --help` for the commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// A second signal exits at once; the first lets in-flight work commit.
		<-ctx.Done()
		stop()
	}()
	os.Exit(run(ctx, os.Args, os.Stdout, os.Stderr))
}
