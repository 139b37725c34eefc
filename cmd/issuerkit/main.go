// Command issuerkit issues DigiLocker documents: it turns an issuer's records
// into signed Certificate XML, stores and catalogs them, and serves them to
// lockers. Run `issuerkit --help` for the commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// A second signal exits at once; the first lets in-flight work commit.
		<-ctx.Done()
		stop()
	}()
	// ISSUERKIT_CPUPROFILE=FILE writes a CPU profile of the whole run, for
	// `go tool pprof`.
	if path := os.Getenv("ISSUERKIT_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			if err := pprof.StartCPUProfile(f); err == nil {
				code := run(ctx, os.Args, os.Stdout, os.Stderr)
				pprof.StopCPUProfile()
				f.Close()
				os.Exit(code)
			}
		}
	}
	os.Exit(run(ctx, os.Args, os.Stdout, os.Stderr))
}
