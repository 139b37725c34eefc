package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/issuerkit/issuerkit/ingest"
	"github.com/issuerkit/issuerkit/internal/testenv"
)

// postgres measures ingest with one and with two shards (two processes on
// this machine) into a PostgreSQL catalog, and Pull URI on a PostgreSQL
// home, against a throwaway cluster.
func (b *bench) postgres(n int) error {
	srv, err := testenv.NewPostgres()
	if err != nil {
		return fmt.Errorf("PostgreSQL: %w", err)
	}
	defer srv.Stop()
	csvPath := filepath.Join(b.dir, "pg.csv")
	if err := genCSV(csvPath, n, 41); err != nil {
		return err
	}
	for _, shards := range []int{1, 2} {
		dsn, err := srv.NewDatabase()
		if err != nil {
			return err
		}
		home := filepath.Join(b.dir, fmt.Sprintf("home-pg-%d", shards))
		if _, err := runBin(b.bin, "--home", home, "init", "--issuer-id", "in.gov.bench", "--issuer-name", "Bench Board",
			"--key-type", "ecdsa-p256", "--catalog-dsn", dsn); err != nil {
			return err
		}
		start := time.Now()
		cmds := make([]*exec.Cmd, shards)
		outs := make([]*os.File, shards)
		for i := range shards {
			args := []string{"--home", home, "ingest", "--json", "--quiet", "--profile", b.profile}
			if shards > 1 {
				args = append(args, "--shard", fmt.Sprintf("%d/%d", i, shards))
			}
			outs[i], _ = os.CreateTemp(b.dir, "shard-*.json")
			cmds[i] = exec.Command(b.bin, append(args, csvPath)...)
			cmds[i].Stdout = outs[i]
			if err := cmds[i].Start(); err != nil {
				return err
			}
		}
		issued := 0
		for i, c := range cmds {
			if err := c.Wait(); err != nil {
				return fmt.Errorf("ingest shard %d: %w", i, err)
			}
			var s ingest.Summary
			data, _ := os.ReadFile(outs[i].Name())
			if err := json.Unmarshal(data, &s); err != nil {
				return fmt.Errorf("shard summary %q: %w", data, err)
			}
			issued += s.Issued
		}
		el := time.Since(start)
		b.add(row{fmt.Sprintf("ingest end to end, ecdsa-p256, PostgreSQL catalog, %d %s", shards, map[bool]string{true: "process", false: "shard processes"}[shards == 1]),
			f0(float64(issued) / el.Seconds()), "docs/s", fmt.Sprintf("%d documents in %.1f s, fs store", issued, el.Seconds())})
	}
	if b.apiDocs > 0 {
		dsn, err := srv.NewDatabase()
		if err != nil {
			return err
		}
		return b.api(n, b.clients, min(b.apiDur, 20*time.Second), dsn)
	}
	return nil
}
