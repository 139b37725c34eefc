package repository

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// dbColumn is a column as a database reports it.
type dbColumn struct {
	typ     string
	notNull bool
}

// wantColumns is the declared schema as n spells it.
func wantColumns(n typeNames) map[string]map[string]dbColumn {
	out := map[string]map[string]dbColumn{}
	for _, t := range schema {
		out[t.name] = map[string]dbColumn{}
		for _, c := range t.cols {
			typ := strings.TrimSuffix(strings.Fields(n[c.typ])[0], "SERIAL")
			if c.typ == tSerial && typ == "BIG" {
				typ = "BIGINT"
			}
			out[t.name][c.name] = dbColumn{typ: typ, notNull: !c.null && !(c.typ == tSerial && n[tSerial] == sqliteTypes[tSerial])}
		}
	}
	return out
}

// compareSchema fails t where got differs from the declaration.
func compareSchema(t *testing.T, got, want map[string]map[string]dbColumn) {
	t.Helper()
	for name, cols := range want {
		for c, w := range cols {
			g, ok := got[name][c]
			if !ok {
				t.Errorf("%s.%s is declared but not in the database", name, c)
			} else if g != w {
				t.Errorf("%s.%s is %+v in the database, declared %+v", name, c, g, w)
			}
		}
		for c := range got[name] {
			if _, ok := cols[c]; !ok {
				t.Errorf("%s.%s is in the database but not declared", name, c)
			}
		}
	}
}

// sqliteColumns reads the shared tables' columns of a SQLite catalog. A
// primary key counts as NOT NULL, as it is in PostgreSQL (and as every
// write treats it); SQLite itself only enforces it for INTEGER ones.
func sqliteColumns(t *testing.T, c *SQLite) map[string]map[string]dbColumn {
	t.Helper()
	out := map[string]map[string]dbColumn{}
	for _, tb := range schema {
		out[tb.name] = map[string]dbColumn{}
		rs, err := c.db.db.Query(`SELECT name, type, "notnull" OR (pk > 0 AND type <> 'INTEGER') FROM pragma_table_info(?)`, tb.name)
		if err != nil {
			t.Fatal(err)
		}
		for rs.Next() {
			var name, typ string
			var nn bool
			if err := rs.Scan(&name, &typ, &nn); err != nil {
				t.Fatal(err)
			}
			out[tb.name][name] = dbColumn{typ: typ, notNull: nn}
		}
		if err := rs.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestSchemaMatchesDeclaration: SQLite's migrations, the shipped history
// and the steps rendered from schema.go alike, make exactly the declared
// tables and columns (PostgreSQL: TestPostgresSchemaMatchesDeclaration).
func TestSchemaMatchesDeclaration(t *testing.T) {
	c, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	compareSchema(t, sqliteColumns(t, c), wantColumns(sqliteTypes))
}

// TestSharedStepRendering: a step renders the declared columns in each
// dialect's types.
func TestSharedStepRendering(t *testing.T) {
	for _, tt := range []struct {
		n    typeNames
		want []string
	}{
		{sqliteTypes, []string{"key_hash BLOB NOT NULL", "no_consent INTEGER NOT NULL DEFAULT 0", "revoked_at TEXT,",
			"ALTER TABLE audit ADD COLUMN consent_id TEXT NOT NULL DEFAULT ''", "PRIMARY KEY (id)"}},
		{pgTypes, []string{"key_hash BYTEA NOT NULL", "no_consent BOOLEAN NOT NULL DEFAULT FALSE", "revoked_at TIMESTAMPTZ,",
			"ALTER TABLE audit ADD COLUMN purpose TEXT NOT NULL DEFAULT ''", "at TIMESTAMPTZ NOT NULL"}},
	} {
		got := tt.n.render(sharedSteps[0])
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s step lacks %q:\n%s", tt.n[tText], w, got)
			}
		}
	}
	if !slices.Contains(migrations, sqliteTypes.render(sharedSteps[0])) || !slices.Contains(pgMigrations, pgTypes.render(sharedSteps[0])) {
		t.Error("a dialect's migrations lack the rendered shared step")
	}
}

// TestMigrationsSkipEmptySteps: each dialect's migrations are its history
// and then exactly the shared steps that have something for it, so that a
// step of one dialect alone leaves the other's numbering as it was.
func TestMigrationsSkipEmptySteps(t *testing.T) {
	for _, tt := range []struct {
		name    string
		got     []string
		history []string
		n       typeNames
		own     func(step) string
	}{
		{"SQLite", migrations, sqliteHistory, sqliteTypes, sqliteOwn},
		{"PostgreSQL", pgMigrations, pgHistory, pgTypes, pgOwn},
	} {
		want := len(tt.history)
		for _, s := range sharedSteps {
			if tt.n.render(s)+tt.own(s) != "" {
				want++
			}
		}
		if len(tt.got) != want || slices.Contains(tt.got, "") {
			t.Errorf("%s: %d migrations, want %d, none empty", tt.name, len(tt.got), want)
		}
	}
	if slices.Contains(pgMigrations, "DROP INDEX IF EXISTS audit_uri;") || !slices.Contains(migrations, "DROP INDEX IF EXISTS audit_uri;") {
		t.Error("audit_uri must be dropped on SQLite alone")
	}
}
