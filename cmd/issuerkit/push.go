package main

import (
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/issuerkit/issuerkit/internal/httpserve"
	"github.com/issuerkit/issuerkit/pusher"
	"github.com/issuerkit/issuerkit/repository"
	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"
)

func pushCommand(e *env) *cli.Command {
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
			caFlag("trust anchors (`PEM` bundle) for an HTTPS gateway with a private CA (default push.ca_file, else the system's)"),
			&cli.BoolFlag{Name: "once", Usage: "one pass over every row due now, then exit"},
			&cli.IntFlag{Name: "workers", Usage: "concurrent requests (default: push.workers, or 8)"},
			&cli.StringFlag{Name: "gateway", Usage: "locker gateway base `URL` (default: push.gateway in the config)"},
			&cli.IntFlag{Name: "bulk", Usage: "send up to `N` rows per request with the bulk CSV variant (gateway must support it)"},
			&cli.BoolFlag{Name: "retry-dead", Usage: "first re-queue every dead-lettered row"},
			&cli.DurationFlag{Name: "retry-for", Value: 2 * time.Minute, Usage: "with --once: keep retrying transient failures whose next attempt falls within this time"},
			&cli.DurationFlag{Name: "timeout", Value: 15 * time.Second, Usage: "per-request timeout"},
			&cli.DurationFlag{Name: "lease", Value: 2 * time.Minute, Usage: "how long a claimed row is reserved for this process"},
			&cli.IntFlag{Name: "max-attempts", Usage: "dead-letter a row after N transient failures (0: retry for ever)"},
			&cli.DurationFlag{Name: "backoff", Value: time.Second, Usage: "first retry delay; doubles per attempt up to 10m"},
			&cli.BoolFlag{Name: "json", Usage: "print the summary as one JSON object"},
			&cli.BoolFlag{Name: "quiet", Usage: "no progress output"},
		},
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 0, 0, "no arguments"); err != nil {
				return err
			}
			r, err := openRepo(c, false)
			if err != nil {
				return err
			}
			defer r.Close()
			h := r.h
			kr, err := h.Keyring()
			if err != nil {
				return err
			}
			key, err := h.PushKey()
			if err != nil {
				return err
			}
			cfg := h.Config.Push
			gateway := cfg.Gateway
			if c.IsSet("gateway") {
				// --gateway names the gateway: today's paths on it.
				gateway, cfg.Endpoint, cfg.BulkEndpoint = c.String("gateway"), "", ""
			}
			if c.IsSet("ca-file") {
				cfg.CAFile = c.String("ca-file")
			}
			var roots *x509.CertPool
			if cfg.CAFile != "" {
				if roots, err = httpserve.LoadCAFile(cfg.CAFile); err != nil {
					return err
				}
			}
			workers, bulk := cfg.Workers, cfg.Bulk
			if c.IsSet("workers") {
				workers = c.Int("workers")
			}
			if c.IsSet("bulk") {
				bulk = c.Int("bulk")
			}
			if c.Bool("retry-dead") {
				n, err := r.cat.RetryDead(c.Context)
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stderr, "push: re-queued %d dead-lettered %s\n", n, plural(n, "row", "rows"))
			}
			before, err := r.cat.Stats(c.Context, 0)
			if err != nil {
				return err
			}
			ui := newPushUI(e.stderr, c.Bool("quiet") || c.Bool("json"), before.Outbox.Pending-before.Outbox.Held)
			p, err := pusher.New(pusher.Config{
				Outbox: r.cat, Keyring: kr, Gateway: gateway, Endpoint: cfg.Endpoint, BulkEndpoint: cfg.BulkEndpoint, RootCAs: roots, OrgID: h.Config.Issuer.ID, Key: key,
				Workers: workers, Bulk: bulk, Lease: c.Duration("lease"), Timeout: c.Duration("timeout"),
				BackoffBase: c.Duration("backoff"), MaxAttempts: c.Int("max-attempts"),
				Logger: e.log.With("component", "pusher"), Progress: ui.update,
			})
			if err != nil {
				return err
			}
			sum, runErr := p.Run(c.Context, c.Bool("once"), c.Duration("retry-for"))
			ui.finish()
			after, err := r.cat.Stats(c.Context, 0)
			if err != nil && runErr == nil {
				runErr = err
			}
			out := struct {
				pusher.Summary
				Seconds    float64                `json:"seconds"`
				PushesPerS float64                `json:"pushes_per_sec"`
				Outbox     repository.OutboxStats `json:"outbox"`
			}{sum, sum.Elapsed.Seconds(), rate(sum.Pushed, sum.Elapsed), after.Outbox}
			if c.Bool("json") {
				b, _ := json.Marshal(out)
				fmt.Fprintln(e.stdout, string(b))
			} else {
				printPushSummary(e.stdout, gateway, out.Summary, after.Outbox)
			}
			switch {
			case runErr != nil:
				if errors.Is(runErr, pusher.ErrUnauthorized) {
					return &exitErr{code: exitError, err: runErr}
				}
				return runErr
			case c.Context.Err() != nil:
				return c.Context.Err()
			case after.Outbox.Pending > after.Outbox.Held:
				// Rows held for a release are not stuck: they fall due then.
				n := after.Outbox.Pending - after.Outbox.Held
				return &exitErr{code: exitError, err: fmt.Errorf("%d %s still pending: is the gateway %s up? run `issuerkit push --once` again later",
					n, plural(n, "row is", "rows are"), gateway)}
			case after.Outbox.Dead > 0:
				return &exitErr{code: exitRejected, err: fmt.Errorf("%d %s in the dead-letter queue: see `issuerkit status`, then `issuerkit push --retry-dead --once`",
					after.Outbox.Dead, plural(after.Outbox.Dead, "row is", "rows are"))}
			}
			return nil
		},
	}
}

func rate(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

func printPushSummary(w io.Writer, gateway string, s pusher.Summary, ob repository.OutboxStats) {
	fmt.Fprintf(w, "push: %d pushed to %s in %s (%.0f pushes/s), %d dead-lettered, %d transient failures retried\n",
		s.Pushed, gateway, s.Elapsed.Round(time.Millisecond), rate(s.Pushed, s.Elapsed), s.Dead, s.Failures)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "pushed\talready there\tretried\tdead\trequests\tpending\tdead total\t")
	fmt.Fprintf(tw, "%d\t%d\t%d\t%d\t%d\t%d\t%d\t\n", s.Pushed, s.Already, s.Failures, s.Dead, s.Requests, ob.Pending, ob.Dead)
	tw.Flush()
	if ob.Held > 0 {
		fmt.Fprintf(w, "%d pending %s for documents held until their release (`issuerkit status` says when)\n",
			ob.Held, plural(ob.Held, "push waits", "pushes wait"))
	}
}

// pushUI shows a push's progress on stderr.
type pushUI struct {
	w     io.Writer
	bar   *progressbar.ProgressBar
	quiet bool
	start time.Time
	last  time.Time
	total int
}

func newPushUI(w io.Writer, quiet bool, total int) *pushUI {
	u := &pushUI{w: w, quiet: quiet, start: time.Now(), last: time.Now(), total: total}
	if f, ok := w.(*os.File); ok && !quiet && total > 0 && term.IsTerminal(int(f.Fd())) {
		u.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetWidth(30),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionShowCount(),
			progressbar.OptionShowDescriptionAtLineEnd(),
		)
	}
	return u
}

func (u *pushUI) update(p pusher.Progress) {
	if u.quiet {
		return
	}
	r := rate(p.Pushed, time.Since(u.start))
	if u.bar != nil {
		u.bar.Set(min(p.Pushed+p.Dead, u.total))
		u.bar.Describe(fmt.Sprintf("%.0f pushes/s, %d dead, %d retried", r, p.Dead, p.Failures))
		return
	}
	if time.Since(u.last) < plainEvery {
		return
	}
	u.last = time.Now()
	fmt.Fprintf(u.w, "push: %d pushed, %.0f pushes/s, %d dead, %d retried\n", p.Pushed, r, p.Dead, p.Failures)
}

func (u *pushUI) finish() {
	if u.bar != nil {
		u.bar.Finish()
	}
}
