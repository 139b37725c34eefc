package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/issuerkit/issuerkit/internal/home"
	"github.com/issuerkit/issuerkit/repository"
	"github.com/urfave/cli/v2"
)

// storeFlags are the S3 settings of the Storage CONTRACT. Credentials are
// deliberately not among them.
func storeFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "store", Value: "fs", Usage: "document store: fs (store/ in the home) or s3"},
		&cli.StringFlag{Name: "s3-endpoint", Usage: "S3 endpoint `URL` (https://… or http://… for a local server)"},
		&cli.StringFlag{Name: "s3-bucket", Usage: "S3 `BUCKET`"},
		&cli.StringFlag{Name: "s3-prefix", Usage: "key `PREFIX` inside the bucket"},
		&cli.StringFlag{Name: "s3-region", Usage: "S3 `REGION` (default us-east-1)"},
	}
}

func storeConfigFromFlags(c *cli.Context) (home.StoreConfig, error) {
	switch c.String("store") {
	case "fs":
		return home.StoreConfig{Type: "fs", Path: home.StoreDir}, nil
	case "s3":
		return s3ConfigFromFlags(c)
	}
	return home.StoreConfig{}, usageErr("--store %q: want fs or s3", c.String("store"))
}

func s3ConfigFromFlags(c *cli.Context) (home.StoreConfig, error) {
	sc := home.StoreConfig{Type: "s3", Endpoint: c.String("s3-endpoint"), Bucket: c.String("s3-bucket"),
		Prefix: c.String("s3-prefix"), Region: c.String("s3-region")}
	if sc.Endpoint == "" || sc.Bucket == "" {
		return sc, usageErr("--store s3 needs --s3-endpoint and --s3-bucket")
	}
	if u, err := url.Parse(sc.Endpoint); err != nil || u.User != nil {
		return sc, usageErr("--s3-endpoint: give a URL without credentials; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY instead")
	}
	return sc, nil
}

func storeCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "store",
		Usage: "check or migrate the document store",
		Subcommands: []*cli.Command{
			{
				Name:  "check",
				Usage: "verify the configured store is reachable and writable",
				Description: "Writes, reads, lists and deletes a probe object under .issuerkit-check/ and reports each\n" +
					"step; exits 1 if any fails.\n\n" +
					"Example:\n" +
					"   issuerkit store check",
				Action: func(c *cli.Context) error { return storeCheck(c, e) },
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
					&cli.StringFlag{Name: "to", Required: true, Usage: "target store type: s3"},
				}, storeFlags()[1:]...),
				Action: func(c *cli.Context) error { return storeMigrate(c, e) },
			},
		},
	}
}

func storeCheck(c *cli.Context, e *env) error {
	h, err := openHome(c)
	if err != nil {
		return err
	}
	sc := h.Config.Store
	where := "fs " + h.Path(sc.Path)
	if sc.Type == "s3" {
		where = fmt.Sprintf("s3 %s bucket %s prefix %q", sc.Endpoint, sc.Bucket, sc.Prefix)
	}
	fmt.Fprintf(e.stdout, "store: %s\n", where)
	t0 := time.Now()
	s, err := h.OpenStore(c.Context)
	if err != nil {
		fmt.Fprintf(e.stdout, "  connect  FAIL %v\n", err)
		return &exitErr{code: exitError, err: errors.New("store check failed")}
	}
	defer s.Close()
	fmt.Fprintf(e.stdout, "  connect  OK   %v\n", time.Since(t0).Round(time.Millisecond))
	b := make([]byte, 8)
	rand.Read(b)
	key := ".issuerkit-check/" + hex.EncodeToString(b) + ".xml"
	probe := []byte("<probe/>")
	steps := []struct {
		name string
		fn   func() error
	}{
		{"write", func() error { return s.Put(c.Context, key, probe) }},
		{"read", func() error {
			got, err := s.Get(c.Context, key)
			if err == nil && !bytes.Equal(got, probe) {
				err = errors.New("read back different bytes")
			}
			return err
		}},
		{"list", func() error {
			n := 0
			err := s.List(c.Context, ".issuerkit-check/", func(repository.ObjectInfo) error { n++; return nil })
			if err == nil && n == 0 {
				err = errors.New("the probe object is not listed")
			}
			return err
		}},
		{"write-once", func() error {
			if err := s.Put(c.Context, key, []byte("<other/>")); !errors.Is(err, repository.ErrExists) {
				return fmt.Errorf("overwriting an object was not refused (%v)", err)
			}
			return nil
		}},
		{"delete", func() error { return s.Delete(c.Context, key) }},
	}
	failed := false
	for _, st := range steps {
		t0 := time.Now()
		if err := st.fn(); err != nil {
			failed = true
			fmt.Fprintf(e.stdout, "  %-8s FAIL %v\n", st.name, err)
			continue
		}
		fmt.Fprintf(e.stdout, "  %-8s OK   %v\n", st.name, time.Since(t0).Round(time.Millisecond))
	}
	if failed {
		s.Delete(c.Context, key)
		return &exitErr{code: exitError, err: errors.New("store check failed")}
	}
	return nil
}

func storeMigrate(c *cli.Context, e *env) error {
	if c.String("to") != "s3" {
		return usageErr("store migrate: --to %q: only s3 is supported", c.String("to"))
	}
	sc, err := s3ConfigFromFlags(c)
	if err != nil {
		return err
	}
	h, err := openHome(c)
	if err != nil {
		return err
	}
	if h.Config.Store.Type != "fs" && h.Config.Store.Type != "" {
		return fmt.Errorf("store migrate: this home's store is already %s", h.Config.Store.Type)
	}
	src, err := h.OpenStore(c.Context)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := home.OpenStore(c.Context, h, sc)
	if err != nil {
		return err
	}
	defer dst.Close()
	start := time.Now()
	var batch []repository.Object
	copied := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		errs, err := repository.PutAll(c.Context, dst, batch, 16)
		if err != nil {
			return err
		}
		for i, perr := range errs {
			if perr != nil {
				return fmt.Errorf("copy %s: %w", batch[i].Key, perr)
			}
			got, err := dst.Get(c.Context, batch[i].Key)
			if err != nil {
				return fmt.Errorf("verify %s: %w", batch[i].Key, err)
			}
			if !bytes.Equal(got, batch[i].Data) {
				return fmt.Errorf("verify %s: S3 returned different bytes", batch[i].Key)
			}
		}
		copied += len(batch)
		batch = batch[:0]
		return nil
	}
	err = src.List(c.Context, "", func(oi repository.ObjectInfo) error {
		data, err := src.Get(c.Context, oi.Key)
		if err != nil {
			return err
		}
		batch = append(batch, repository.Object{Key: oi.Key, Data: data})
		if len(batch) == 256 {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return fmt.Errorf("store migrate: %d objects copied and verified before: %w (run the command again to continue)", copied, err)
	}
	h.Config.Store = sc
	if err := h.Save(); err != nil {
		return fmt.Errorf("store migrate: objects copied but the config was not updated: %w", err)
	}
	fmt.Fprintf(e.stdout, "copied and verified %d objects in %v; the home now uses s3 %s bucket %s prefix %q\n",
		copied, time.Since(start).Round(time.Millisecond), sc.Endpoint, sc.Bucket, sc.Prefix)
	fmt.Fprintf(e.stdout, "the fs store %s was left in place: remove it when you no longer need it\n", h.Path(home.StoreDir))
	return nil
}
