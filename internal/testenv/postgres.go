package testenv

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgresServer is a throwaway PostgreSQL cluster on 127.0.0.1, made by
// initdb in a temp dir and run as an unprivileged user.
type PostgresServer struct {
	Addr string // host:port
	dir  string
	bin  string
	cred *syscall.Credential
	n    atomic.Int64
}

var (
	pgOnce sync.Once
	pgSrv  *PostgresServer
	pgErr  error
)

// StartPostgres returns a DSN for a new, empty database on a cluster shared
// by the test binary (started on first use, stopped when the process
// exits: see StopPostgres), or skips/fails t when PostgreSQL is not
// installed (apt-get install postgresql). ISSUERKIT_TEST_POSTGRES_DSN
// names an existing server instead (the DSN of a role that may create
// databases).
func StartPostgres(t testing.TB) string {
	t.Helper()
	if dsn := os.Getenv("ISSUERKIT_TEST_POSTGRES_DSN"); dsn != "" {
		return newDatabase(t, dsn)
	}
	pgOnce.Do(func() { pgSrv, pgErr = startPostgres() })
	if pgErr != nil {
		SkipOrFail(t, "PostgreSQL: "+pgErr.Error())
	}
	return newDatabase(t, pgSrv.DSN("postgres"))
}

// DSN returns the DSN of database db on the cluster.
func (s *PostgresServer) DSN(db string) string {
	host, port, _ := net.SplitHostPort(s.Addr)
	return fmt.Sprintf("postgres://issuerkit@%s:%s/%s?sslmode=disable", host, port, db)
}

var dbSeq atomic.Int64

func newDatabase(t testing.TB, adminDSN string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, adminDSN)
	if err != nil {
		t.Fatalf("connect to PostgreSQL: %v", err)
	}
	defer conn.Close(ctx)
	name := fmt.Sprintf("ik_%d_%d", os.Getpid(), dbSeq.Add(1))
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	cfg, err := pgx.ParseConfig(adminDSN)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Host, cfg.Port, name)
}

// pgBinDir finds the newest /usr/lib/postgresql/N/bin with initdb.
func pgBinDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(dirs, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(dirs[i]))))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(dirs[j]))))
		return vi > vj
	})
	if len(dirs) > 0 {
		return filepath.Dir(dirs[0]), nil
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", fmt.Errorf("initdb not found (apt-get install postgresql)")
}

func startPostgres() (*PostgresServer, error) {
	bin, err := pgBinDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "issuerkit-pg-")
	if err != nil {
		return nil, err
	}
	s := &PostgresServer{dir: dir, bin: bin}
	// PostgreSQL refuses to run as root: run it as the postgres user.
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root and there is no postgres user to run the server as")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	if out, err := s.run("initdb", "-D", data, "-U", "issuerkit", "-A", "trust", "-E", "UTF8", "--no-sync"); err != nil {
		return nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.Addr = l.Addr().String()
	l.Close()
	_, port, _ := net.SplitHostPort(s.Addr)
	opts := fmt.Sprintf("-h 127.0.0.1 -p %s -k %s -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200", port, dir)
	if out, err := s.run("pg_ctl", "-D", data, "-l", filepath.Join(dir, "log"), "-o", opts, "-w", "-t", "60", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		return nil, fmt.Errorf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
	return s, nil
}

func (s *PostgresServer) run(name string, args ...string) ([]byte, error) {
	cmd := exec.Command(filepath.Join(s.bin, name), args...)
	cmd.Dir = s.dir
	if s.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	}
	return cmd.CombinedOutput()
}

// NewPostgres starts a cluster of its own (for tools; tests use
// StartPostgres). Stop it when done.
func NewPostgres() (*PostgresServer, error) { return startPostgres() }

// NewDatabase creates an empty database on s and returns its DSN.
func (s *PostgresServer) NewDatabase() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.DSN("postgres"))
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	name := fmt.Sprintf("ik_%d", s.n.Add(1))
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", err
	}
	return s.DSN(name), nil
}

// Stop stops the cluster and removes its files.
func (s *PostgresServer) Stop() {
	s.run("pg_ctl", "-D", filepath.Join(s.dir, "data"), "-m", "immediate", "-w", "stop")
	os.RemoveAll(s.dir)
}

// Main is a test package's TestMain: it runs the tests, stops the shared
// PostgreSQL cluster if they started one, runs cleanups (the package's
// shared fixtures) and exits with the tests' code.
func Main(m *testing.M, cleanups ...func()) {
	code := m.Run()
	StopPostgres()
	for _, f := range cleanups {
		f()
	}
	os.Exit(code)
}

// StopPostgres stops the shared cluster, if one was started; Main calls
// it after the tests.
func StopPostgres() {
	if pgSrv == nil {
		return
	}
	if out, err := pgSrv.run("pg_ctl", "-D", filepath.Join(pgSrv.dir, "data"), "-m", "immediate", "-w", "stop"); err != nil {
		fmt.Fprintf(os.Stderr, "testenv: stopping PostgreSQL: %v\n%s", err, out)
	}
	os.RemoveAll(pgSrv.dir)
}
