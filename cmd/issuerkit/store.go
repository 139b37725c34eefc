package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"time"

	"github.com/issuerkit/issuerkit/internal/home"
	"github.com/issuerkit/issuerkit/repository/store"
	"github.com/urfave/cli/v2"
)

// storeOptions are the S3 settings of the Storage CONTRACT. Credentials
// are deliberately not among them.
type storeOptions struct {
	Store, S3Endpoint, S3Bucket, S3Prefix, S3Region string
}

// flags are the store flags; withType adds --store.
func (o *storeOptions) flags(withType bool) []cli.Flag {
	fl := []cli.Flag{
		&cli.StringFlag{Name: "s3-endpoint", Destination: &o.S3Endpoint, Usage: "S3 endpoint `URL` (https://… or http://… for a local server)"},
		&cli.StringFlag{Name: "s3-bucket", Destination: &o.S3Bucket, Usage: "S3 `BUCKET`"},
		&cli.StringFlag{Name: "s3-prefix", Destination: &o.S3Prefix, Usage: "key `PREFIX` inside the bucket"},
		&cli.StringFlag{Name: "s3-region", Destination: &o.S3Region, Usage: "S3 `REGION` (default us-east-1)"},
	}
	if withType {
		fl = append([]cli.Flag{&cli.StringFlag{Name: "store", Value: "fs", Destination: &o.Store, Usage: "document store: fs (store/ in the home) or s3"}}, fl...)
	}
	return fl
}

func (o *storeOptions) config() (home.StoreConfig, error) {
	switch o.Store {
	case "fs":
		return home.StoreConfig{Type: "fs", Path: home.StoreDir}, nil
	case "s3":
		return o.s3Config()
	}
	return home.StoreConfig{}, usageErr("--store %q: want fs or s3", o.Store)
}

func (o *storeOptions) s3Config() (home.StoreConfig, error) {
	sc := home.StoreConfig{Type: "s3", Endpoint: o.S3Endpoint, Bucket: o.S3Bucket, Prefix: o.S3Prefix, Region: o.S3Region}
	if sc.Endpoint == "" || sc.Bucket == "" {
		return sc, usageErr("--store s3 needs --s3-endpoint and --s3-bucket")
	}
	if u, err := url.Parse(sc.Endpoint); err != nil || u.User != nil {
		return sc, usageErr("--s3-endpoint: give a URL without credentials; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY instead")
	}
	return sc, nil
}

// storeMigrateOptions are store migrate's flags.
type storeMigrateOptions struct {
	To string
	storeOptions
}

func storeCommand(e *env) *cli.Command {
	mo := &storeMigrateOptions{}
	return &cli.Command{
		Name:  "store",
		Usage: "check or migrate the document store",
		Subcommands: []*cli.Command{
			{
				Name:  "check",
				Usage: "verify the configured store is reachable and writable",
				Description: "Writes, reads, lists and deletes a probe object under .issuerkit-check/ and reports each\n" +
					"step; exits 1 if any fails. With --json it prints one object: the store, ok, and each\n" +
					"step's name, ok, milliseconds and error.\n\n" +
					"Example:\n" +
					"   issuerkit store check\n" +
					"   issuerkit store check --json | jq -e .ok",
				Flags:  []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "one JSON object, for scripts and monitoring"}},
				Action: func(c *cli.Context) error { return storeCheck(c, e, c.Bool("json")) },
			},
			{
				Name:  "migrate",
				Usage: "copy the home's fs store to S3, verify every object, and switch the home to S3",
				Description: "Copies every object of the fs store to the S3 bucket (and prefix) given, reads each one\n" +
					"back and compares it, and only then switches issuerkit.yaml to the S3 store. It can be\n" +
					"run again after an interruption: objects already copied are checked, not rewritten.\n" +
					"The fs store is left in place; remove it once you are satisfied.\n\n" +
					"Example:\n" +
					"   AWS_ACCESS_KEY_ID=… AWS_SECRET_ACCESS_KEY=… issuerkit store migrate --to s3 \\\n" +
					"       --s3-endpoint https://s3.ap-south-1.amazonaws.com --s3-bucket cbse-docs --s3-prefix results",
				Flags: append([]cli.Flag{
					&cli.StringFlag{Name: "to", Required: true, Destination: &mo.To, Usage: "target store type: s3"},
				}, mo.flags(false)...),
				Action: func(c *cli.Context) error { return mo.run(c, e) },
			},
		},
	}
}

// checkReport is store check's --json output.
type checkReport struct {
	Store string      `json:"store"`
	OK    bool        `json:"ok"`
	Steps []checkStep `json:"steps"`
}

type checkStep struct {
	Name  string  `json:"name"`
	OK    bool    `json:"ok"`
	MS    float64 `json:"ms"`
	Error string  `json:"error,omitempty"`
}

func storeCheck(c *cli.Context, e *env, asJSON bool) error {
	h, err := openHome(c)
	if err != nil {
		return err
	}
	rep := checkReport{Store: h.Where(), Steps: []checkStep{}}
	step := func(name string, took time.Duration, err error) {
		st := checkStep{Name: name, OK: err == nil, MS: float64(took.Microseconds()) / 1000}
		if err != nil {
			st.Error = err.Error()
		}
		rep.Steps = append(rep.Steps, st)
		switch {
		case asJSON:
		case err != nil:
			fmt.Fprintf(e.stdout, "  %-8s FAIL %v\n", name, err)
		default:
			fmt.Fprintf(e.stdout, "  %-8s OK   %v\n", name, took.Round(time.Millisecond))
		}
	}
	if !asJSON {
		fmt.Fprintf(e.stdout, "store: %s\n", rep.Store)
	}
	t0 := time.Now()
	s, err := h.OpenStore(c.Context)
	step("connect", time.Since(t0), err)
	if err == nil {
		defer s.Close()
		err = store.CheckStore(c.Context, s, func(st store.CheckStep) { step(st.Name, st.Took, st.Err) })
	} else {
		err = &store.StoreCheckError{}
	}
	if asJSON {
		rep.OK = err == nil
		b, _ := json.Marshal(rep)
		fmt.Fprintln(e.stdout, string(b))
	}
	return err
}

func (o *storeMigrateOptions) run(c *cli.Context, e *env) error {
	if o.To != "s3" {
		return usageErr("store migrate: --to %q: only s3 is supported", o.To)
	}
	sc, err := o.s3Config()
	if err != nil {
		return err
	}
	h, err := openHome(c)
	if err != nil {
		return err
	}
	start := time.Now()
	copied, err := h.MigrateStore(c.Context, sc)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "copied and verified %d objects in %v; the home now uses s3 %s bucket %s prefix %q\n",
		copied, time.Since(start).Round(time.Millisecond), sc.Endpoint, sc.Bucket, sc.Prefix)
	fmt.Fprintf(e.stdout, "the fs store %s was left in place: remove it when you no longer need it\n", h.Path(home.StoreDir))
	return nil
}
