//go:build integration

package repository

import (
	"context"
	"strings"
	"testing"

	"github.com/issuerkit/issuerkit/internal/testenv"
)

// TestPostgresSchemaMatchesDeclaration: PostgreSQL's migrations make
// exactly the declared tables and columns.
func TestPostgresSchemaMatchesDeclaration(t *testing.T) {
	ctx := context.Background()
	c, err := OpenPostgres(ctx, testenv.StartPostgres(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got := map[string]map[string]dbColumn{}
	for _, tb := range schema {
		got[tb.name] = map[string]dbColumn{}
	}
	rs, err := c.pool.Query(ctx, `SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns
		WHERE table_schema = current_schema()`)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	spell := map[string]string{"text": "TEXT", "integer": "INTEGER", "bigint": "BIGINT", "boolean": "BOOLEAN",
		"timestamp with time zone": "TIMESTAMPTZ", "bytea": "BYTEA"}
	for rs.Next() {
		var tb, name, typ, nullable string
		if err := rs.Scan(&tb, &name, &typ, &nullable); err != nil {
			t.Fatal(err)
		}
		if got[tb] == nil {
			continue // a dialect's own table (audit_head, schema_migrations)
		}
		s, ok := spell[typ]
		if !ok {
			s = strings.ToUpper(typ)
		}
		got[tb][name] = dbColumn{typ: s, notNull: nullable == "NO"}
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	compareSchema(t, got, wantColumns(pgTypes))
}
