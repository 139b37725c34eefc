package main

import (
	"context"

	"github.com/issuerkit/issuerkit/ingest"
	"github.com/issuerkit/issuerkit/internal/clikit"
	"github.com/issuerkit/issuerkit/pusher"
	"github.com/issuerkit/issuerkit/repository/store"
	"github.com/issuerkit/issuerkit/verify"
)

// Exit codes (DESIGN.md CLI CONTRACT).
const (
	exitOK          = 0
	exitError       = 1
	exitUsage       = 2
	exitRejected    = 3
	exitInterrupted = 130
)

func usageErr(format string, a ...any) error { return clikit.Usagef(format, a...) }

// exitRules is the one table from typed errors to the CONTRACT's exit
// codes: the first rule that matches wins, an error no rule matches exits
// exitError, and a cli.ExitCoder's own code comes before the table.
var exitRules = []clikit.ExitRule{
	{Match: clikit.As[*clikit.UsageError], Code: exitUsage},
	{Match: clikit.As[*clikit.MissingFlagsError], Code: exitUsage},
	{Match: clikit.As[*pusher.DeadLetterError], Code: exitRejected},
	{Match: clikit.As[*pusher.PendingError], Code: exitError},
	{Match: clikit.Is(pusher.ErrUnauthorized), Code: exitError},
	{Match: clikit.As[*ingest.RejectedError], Code: exitRejected},
	{Match: clikit.As[*verify.FailedError], Code: exitError},
	{Match: clikit.As[*store.StoreCheckError], Code: exitError},
	{Match: clikit.Is(context.Canceled), Code: exitInterrupted},
}

// exitCode maps an error to the CONTRACT's exit codes.
func exitCode(err error) int { return clikit.ExitCode(err, exitRules, exitError) }
