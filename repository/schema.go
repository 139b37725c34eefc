package repository

import (
	"strings"
)

// The catalog's schema, declared once. Both dialects' migrations reach it:
// the shipped ones (sqliteHistory, pgHistory) are checked against it by
// TestSchemaMatchesDeclaration, and every later step is rendered from it
// in both dialects (sharedSteps). The copy between catalogs moves exactly
// these tables and columns.

// colType is a column's type, which each dialect spells its own way.
type colType int

const (
	tText   colType = iota
	tInt            // 32-bit
	tBigInt         // 64-bit
	tBool
	tTime  // SQLite: fixed-width RFC 3339 text (tsFixed); PostgreSQL: TIMESTAMPTZ
	tBytes // BLOB, BYTEA
	tSerial
)

// column is one column of a table; def is its SQL DEFAULT, if any.
type column struct {
	name string
	typ  colType
	null bool
	def  string
}

// table is one table the catalogs share.
type table struct {
	name    string
	cols    []column
	pk      string   // the PRIMARY KEY's columns; empty for a serial id
	indexes []string // CREATE INDEX statements both dialects take
}

func col(name string, typ colType) column       { return column{name: name, typ: typ} }
func nullable(name string, typ colType) column  { return column{name: name, typ: typ, null: true} }
func deflt(c column, def string) column         { c.def = def; return c }
func textDefault(name string) column            { return deflt(col(name, tText), "''") }
func intDefault(name string, def string) column { return deflt(col(name, tInt), def) }

// schema is every shared table in dependency order (the copy's order).
var schema = []table{
	{name: "batches", pk: "id", cols: []column{
		col("id", tText), col("profile", tText), col("doctype", tText), col("inputs", tText), col("state", tText),
		col("started_at", tTime), nullable("finished_at", tTime),
		intDefault("n_read", "0"), intDefault("n_issued", "0"), intDefault("n_updated", "0"),
		intDefault("n_unchanged", "0"), intDefault("n_rejected", "0"),
		textDefault("fingerprint"), intDefault("mark_input", "0"), intDefault("mark_seq", "-1"),
		textDefault("mark_rejects_path"), deflt(col("mark_rejects_size", tBigInt), "0"),
		nullable("release_at", tTime),
	}},
	{name: "documents", pk: "uri", cols: []column{
		col("uri", tText), col("doctype", tText), col("doc_id", tText), col("version", tInt),
		col("object_key", tText), col("object_sha256", tText), col("content_hash", tText), col("status", tText),
		col("search_key", tText), nullable("uid_hash", tText), col("holder_name", tText), col("holder_dob", tText),
		col("issue_date", tText), col("batch_id", tText), col("updated_at", tTime), nullable("release_at", tTime),
	}},
	{name: "versions", pk: "uri, version", cols: []column{
		col("uri", tText), col("version", tInt), col("object_key", tText), col("object_sha256", tText),
		col("size", tBigInt), col("content_hash", tText), col("status", tText), col("batch_id", tText),
		col("created_at", tTime),
	}},
	{name: "outbox", cols: []column{
		col("id", tSerial), col("uri", tText), col("version", tInt), col("action", tText), col("doctype", tText),
		col("doc_name", tText), col("doc_id", tText), col("issued_on", tText), col("valid_from", tText),
		col("valid_to", tText), col("aadhaar_enc", tBytes), deflt(col("state", tText), "'pending'"),
		intDefault("attempts", "0"), col("next_attempt_at", tTime), nullable("last_error", tText),
		nullable("lease_owner", tText), col("created_at", tTime), nullable("pushed_at", tTime),
	}},
	{name: "audit", cols: []column{
		col("id", tSerial), col("at", tTime), col("actor", tText), col("action", tText), textDefault("uri"),
		intDefault("version", "0"), textDefault("batch_id"), textDefault("reason"), col("prev_hash", tText),
		col("hash", tText), textDefault("consent_id"), textDefault("purpose"),
	}, indexes: []string{`CREATE INDEX audit_consent ON audit(consent_id, id) WHERE consent_id <> ''`}},
	{name: "requesters", pk: "id", cols: []column{
		col("id", tText), col("key_hash", tBytes), textDefault("doctypes"), deflt(col("no_consent", tBool), "FALSE"),
		intDefault("rate_per_min", "0"), col("added_at", tTime), nullable("revoked_at", tTime),
	}},
	{name: "consent_managers", pk: "id", cols: []column{
		col("id", tText), col("cert_pem", tText), col("added_at", tTime),
	}},
	// consents has a row for every consent artifact ever used: the row a
	// UseConsent locks, so that uses of one artifact take turns.
	{name: "consents", pk: "id", cols: []column{col("id", tText)}},
	{name: "consent_uses", cols: []column{col("consent_id", tText), col("at", tTime)},
		indexes: []string{`CREATE INDEX consent_uses_window ON consent_uses(consent_id, at)`}},
}

// tableOf returns the declared table called name.
func tableOf(name string) table {
	for _, t := range schema {
		if t.name == name {
			return t
		}
	}
	panic("repository: no table " + name + " in the schema")
}

// colOf returns the declared column of table t called name.
func (t table) colOf(name string) column {
	for _, c := range t.cols {
		if c.name == name {
			return c
		}
	}
	panic("repository: no column " + t.name + "." + name + " in the schema")
}

// step is one migration after the dialects' histories: new tables, and
// new columns of existing ones, rendered in each dialect from the schema,
// and statements of one dialect alone. A step that has nothing for a
// dialect is not one of its migrations.
type step struct {
	tables  []string    // created whole, with their indexes
	columns [][2]string // table, column: added to an existing table
	indexes []string    // further indexes on existing tables
	sqlite  string      // run on SQLite only
	pg      string      // run on PostgreSQL only
}

// sharedSteps are applied after sqliteHistory and pgHistory; never edit one
// that has shipped: append a new one (and declare what it adds above).
var sharedSteps = []step{
	// Issue #17: API Setu requesters, trusted consent managers, consent
	// uses, and the consent and purpose of the audit entries they leave.
	{
		tables:  []string{"requesters", "consent_managers", "consents", "consent_uses"},
		columns: [][2]string{{"audit", "consent_id"}, {"audit", "purpose"}},
		indexes: tableOf("audit").indexes,
	},
	// SQLite's audit_uri has served no query since its migration 6 took
	// pulls out of it (`audit --uri` asks for a URI's pulls too, so it
	// scans), yet every other entry paid it a page write at a random place:
	// a certificate API use, one of three. PostgreSQL's indexes pulls and
	// serves `audit --uri`, so it stays.
	{sqlite: `DROP INDEX IF EXISTS audit_uri;`},
}

// typeNames spells the column types of one dialect.
type typeNames map[colType]string

var (
	sqliteTypes = typeNames{tText: "TEXT", tInt: "INTEGER", tBigInt: "INTEGER", tBool: "INTEGER", tTime: "TEXT",
		tBytes: "BLOB", tSerial: "INTEGER PRIMARY KEY AUTOINCREMENT"}
	pgTypes = typeNames{tText: "TEXT", tInt: "INTEGER", tBigInt: "BIGINT", tBool: "BOOLEAN", tTime: "TIMESTAMPTZ",
		tBytes: "BYTEA", tSerial: "BIGSERIAL PRIMARY KEY"}
)

// columnSQL is c's definition in a CREATE TABLE or ADD COLUMN.
func (n typeNames) columnSQL(c column) string {
	s := c.name + " " + n[c.typ]
	if c.typ == tSerial {
		return s
	}
	if !c.null {
		s += " NOT NULL"
	}
	if c.def != "" {
		def := c.def
		if n[tBool] == "INTEGER" && c.typ == tBool {
			def = map[string]string{"FALSE": "0", "TRUE": "1"}[def]
		}
		s += " DEFAULT " + def
	}
	return s
}

// createSQL is the CREATE TABLE of t, and its indexes.
func (n typeNames) createSQL(t table) string {
	var b strings.Builder
	b.WriteString("CREATE TABLE " + t.name + " (")
	for i, c := range t.cols {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("\n\t" + n.columnSQL(c))
	}
	if t.pk != "" {
		b.WriteString(",\n\tPRIMARY KEY (" + t.pk + ")")
	}
	b.WriteString("\n);\n")
	for _, ix := range t.indexes {
		b.WriteString(ix + ";\n")
	}
	return b.String()
}

// render is the migration of s in one dialect.
func (n typeNames) render(s step) string {
	var b strings.Builder
	for _, name := range s.tables {
		b.WriteString(n.createSQL(tableOf(name)))
	}
	for _, tc := range s.columns {
		b.WriteString("ALTER TABLE " + tc[0] + " ADD COLUMN " + n.columnSQL(tableOf(tc[0]).colOf(tc[1])) + ";\n")
	}
	for _, ix := range s.indexes {
		b.WriteString(ix + ";\n")
	}
	return b.String()
}

// migrationsOf is a dialect's whole migration list: its history, then the
// shared steps, each with the dialect's own statements (own picks them).
func migrationsOf(history []string, n typeNames, own func(step) string) []string {
	out := append([]string(nil), history...)
	for _, s := range sharedSteps {
		if m := n.render(s) + own(s); m != "" {
			out = append(out, m)
		}
	}
	return out
}
