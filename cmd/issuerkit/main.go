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
	os.Exit(profiled(func() int { return run(ctx, os.Args, os.Stdout, os.Stderr) }))
}

// profiled runs fn, for `go tool pprof`: ISSUERKIT_CPUPROFILE=FILE writes a
// CPU profile of the whole run, ISSUERKIT_MEMPROFILE=FILE the heap as of
// the last garbage collection before the end (what the run held at its
// height, not after it let go).
func profiled(fn func() int) int {
	if path := os.Getenv("ISSUERKIT_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			if err := pprof.StartCPUProfile(f); err == nil {
				defer func() { pprof.StopCPUProfile(); f.Close() }()
			}
		}
	}
	code := fn()
	if path := os.Getenv("ISSUERKIT_MEMPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			pprof.WriteHeapProfile(f)
			f.Close()
		}
	}
	return code
}
