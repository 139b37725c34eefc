package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // to reset the outbox between runs
)

// pushes measures `issuerkit push --once` against the reference locker run
// as its own process on the same machine: one Push URI per request, then
// the bulk CSV variant.
func (b *bench) pushes(n int) error {
	home := filepath.Join(b.dir, "push-home")
	if _, err := runBin(b.bin, "--home", home, "init", "--issuer-id", "in.gov.bench", "--issuer-name", "Bench Board", "--key-type", "ecdsa-p256"); err != nil {
		return err
	}
	input := filepath.Join(b.dir, "push.csv")
	if err := genCSV(input, n, 5); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "  (ingesting %d documents for the push runs…)\n", n)
	if _, _, err := runIngest(b.bin, home, b.profile, input); err != nil {
		return err
	}
	for _, run := range []struct {
		name string
		args []string
	}{
		{"Push URI to the reference locker, 1 per request, 16 workers", []string{"--workers", "16"}},
		{"Push URI, bulk CSV variant, 250 rows per request", []string{"--workers", "4", "--bulk", "250"}},
	} {
		data := filepath.Join(b.dir, "locker-"+run.args[len(run.args)-1])
		if _, err := runBin(b.bin, "locker", "issuer", "add", "--data", data, "--id", "in.gov.bench",
			"--api-key-file", filepath.Join(home, "keys/api-key"), "--pull-url", "http://127.0.0.1:1",
			"--cert", filepath.Join(home, "keys/signing.crt")); err != nil {
			return err
		}
		addr, err := freeAddr()
		if err != nil {
			return err
		}
		lk := exec.Command(b.bin, "--log-level", "warn", "locker", "serve", "--data", data, "--addr", addr)
		if err := lk.Start(); err != nil {
			return err
		}
		if err := waitUp(addr); err != nil {
			lk.Process.Kill()
			return err
		}
		if err := resetOutbox(filepath.Join(home, "catalog.db")); err != nil {
			lk.Process.Kill()
			return err
		}
		out, err := runBin(b.bin, append([]string{"--home", home, "push", "--once", "--json", "--gateway", "http://" + addr}, run.args...)...)
		rss := rssMB(lk.Process.Pid)
		lk.Process.Kill()
		lk.Wait()
		if err != nil {
			return err
		}
		var s struct {
			Pushed, Dead int
			PushesPerSec float64 `json:"pushes_per_sec"`
		}
		if err := json.Unmarshal(out, &s); err != nil {
			return fmt.Errorf("push summary %q: %w", out, err)
		}
		if s.Pushed != n || s.Dead != 0 {
			return fmt.Errorf("push: %d pushed, %d dead of %d", s.Pushed, s.Dead, n)
		}
		b.add(row{run.name, f0(s.PushesPerSec), "pushes/s", fmt.Sprintf("%d URIs, locker RSS %.0f MB", n, rss)})
	}
	return nil
}

// resetOutbox makes every outbox row pending again, as if just ingested.
func resetOutbox(path string) error {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(context.Background(), `UPDATE outbox SET state = 'pending', attempts = 0, lease_owner = NULL,
		next_attempt_at = ?, pushed_at = NULL`, time.Now().UTC().Add(-time.Second).Format("2006-01-02T15:04:05.000000000Z"))
	return err
}
