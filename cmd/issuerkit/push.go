package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/issuerkit/issuerkit/internal/issuer"
	"github.com/issuerkit/issuerkit/internal/report"
	"github.com/issuerkit/issuerkit/pusher"
	"github.com/issuerkit/issuerkit/repository"
	"github.com/urfave/cli/v2"
)

// pushOptions are push's flags.
type pushOptions struct {
	CAFile, Gateway                   string
	Once, RetryDead, JSON, Quiet      bool
	Workers, Bulk, MaxAttempts        int
	RetryFor, Timeout, Lease, Backoff time.Duration
}

func pushCommand(e *env) *cli.Command {
	o := &pushOptions{}
	return &cli.Command{
		Name:  "push",
		Usage: "push issued URIs to citizens' lockers (drains the outbox)",
		Description: "Sends a Push URI request (digilocker-spec.md §5) for every outbox row: A for a new document,\n" +
			"U for a changed one, D for a revoked one, in order per URI. Transient failures are retried\n" +
			"with exponential backoff (honouring Retry-After); permanent refusals go to the dead-letter\n" +
			"queue, listed by `issuerkit status` and re-queued by --retry-dead. Several push processes may\n" +
			"run at once: each row is leased to one of them.\n\n" +
			"With --once it makes one pass and exits 0 when nothing is left pending, 3 when rows are in\n" +
			"the dead-letter queue, 1 when some are still pending (gateway down) or on an error.\n" +
			"Without --once it keeps running and polling until SIGINT/SIGTERM.\n\n" +
			"Example:\n" +
			"   issuerkit push --once\n" +
			"   issuerkit push --once --gateway http://127.0.0.1:9090 --workers 16 --json\n" +
			"   issuerkit push --retry-dead --once",
		Flags: []cli.Flag{
			caFlag(&o.CAFile, "trust anchors (`PEM` bundle) for an HTTPS gateway with a private CA (default push.ca_file, else the system's)"),
			&cli.BoolFlag{Name: "once", Destination: &o.Once, Usage: "one pass over every row due now, then exit"},
			&cli.IntFlag{Name: "workers", Destination: &o.Workers, Usage: "concurrent requests (default: push.workers, or 8)"},
			&cli.StringFlag{Name: "gateway", Destination: &o.Gateway, Usage: "locker gateway base `URL` (default: push.gateway in the config)"},
			&cli.IntFlag{Name: "bulk", Destination: &o.Bulk, Usage: "send up to `N` rows per request with the bulk CSV variant (gateway must support it)"},
			&cli.BoolFlag{Name: "retry-dead", Destination: &o.RetryDead, Usage: "first re-queue every dead-lettered row"},
			&cli.DurationFlag{Name: "retry-for", Value: 2 * time.Minute, Destination: &o.RetryFor, Usage: "with --once: keep retrying transient failures whose next attempt falls within this time"},
			&cli.DurationFlag{Name: "timeout", Value: 15 * time.Second, Destination: &o.Timeout, Usage: "per-request timeout"},
			&cli.DurationFlag{Name: "lease", Value: 2 * time.Minute, Destination: &o.Lease, Usage: "how long a claimed row is reserved for this process"},
			&cli.IntFlag{Name: "max-attempts", Destination: &o.MaxAttempts, Usage: "dead-letter a row after N transient failures (0: retry for ever)"},
			&cli.DurationFlag{Name: "backoff", Value: time.Second, Destination: &o.Backoff, Usage: "first retry delay; doubles per attempt up to 10m"},
			&cli.BoolFlag{Name: "json", Destination: &o.JSON, Usage: "print the summary as one JSON object"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Destination: &o.Quiet, Usage: "no progress output"},
		},
		Action: func(c *cli.Context) error { return o.run(c, e) },
	}
}

func (o *pushOptions) run(c *cli.Context, e *env) error {
	if err := needArgs(c, 0, 0, "no arguments"); err != nil {
		return err
	}
	r, err := openRepo(c, false)
	if err != nil {
		return err
	}
	defer r.Close()
	var ui *report.PushUI
	cfg, err := o.config(c, r, e.log.With("component", "pusher"), func(p pusher.Progress) { ui.Update(p) })
	if err != nil {
		return err
	}
	if o.RetryDead {
		n, err := r.Catalog.RetryDead(c.Context)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "push: re-queued %d dead-lettered %s\n", n, report.Plural(n, "row", "rows"))
	}
	before, err := r.Catalog.Stats(c.Context, 0)
	if err != nil {
		return err
	}
	ui = report.NewPushUI(e.stderr, o.Quiet || o.JSON, before.Outbox.Pending-before.Outbox.Held)
	p, err := pusher.New(cfg)
	if err != nil {
		return err
	}
	sum, runErr := p.Run(c.Context, o.Once, o.RetryFor)
	ui.Finish()
	// Not c.Context: after SIGINT the outbox is still what the summary
	// must show.
	after, err := r.Catalog.Stats(context.WithoutCancel(c.Context), 0)
	if err != nil && runErr == nil {
		runErr = err
	}
	if o.JSON {
		b, _ := json.Marshal(struct {
			pusher.Summary
			Seconds    float64                `json:"seconds"`
			PushesPerS float64                `json:"pushes_per_sec"`
			Outbox     repository.OutboxStats `json:"outbox"`
		}{sum, sum.Elapsed.Seconds(), report.Rate(sum.Pushed, sum.Elapsed), after.Outbox})
		fmt.Fprintln(e.stdout, string(b))
	} else {
		report.PushSummary(e.stdout, cfg.Gateway, sum, after.Outbox)
	}
	return pusher.Outcome(c.Context, runErr, after.Outbox, cfg.Gateway)
}

// config is the pusher's configuration: the home's push settings, the
// flags given over them.
func (o *pushOptions) config(c *cli.Context, r *issuer.Repo, log *slog.Logger, progress func(pusher.Progress)) (pusher.Config, error) {
	po := issuer.PushOverrides{CAFile: o.CAFile, Gateway: o.Gateway, Workers: o.Workers, Bulk: o.Bulk}
	po.SetCAFile, po.SetGateway, po.SetWorkers, po.SetBulk = c.IsSet("ca-file"), c.IsSet("gateway"), c.IsSet("workers"), c.IsSet("bulk")
	cfg, err := issuer.PusherConfig(r, po)
	cfg.Lease, cfg.Timeout, cfg.BackoffBase, cfg.MaxAttempts = o.Lease, o.Timeout, o.Backoff, o.MaxAttempts
	cfg.Logger, cfg.Progress = log, progress
	return cfg, err
}
