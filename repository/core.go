package repository

import (
	"context"
	"errors"
	"fmt"

	"github.com/issuerkit/issuerkit/xmlschema"
)

// core is the Catalog both SQL catalogs share, over their dialect.
type core struct {
	d dialect
}

const docColumns = `uri, doctype, doc_id, version, object_key, object_sha256, content_hash, status,
	search_key, COALESCE(uid_hash, ''), holder_name, holder_dob, issue_date, batch_id, updated_at, release_at`

func scanDoc(r row) (Document, error) {
	var d Document
	var status string
	err := r.Scan(&d.URI, &d.DocType, &d.DocID, &d.Version, &d.ObjectKey, &d.ObjectSHA256, &d.ContentHash,
		&status, &d.SearchKey, &d.UIDHash, &d.HolderName, &d.HolderDOB, &d.IssueDate, &d.BatchID,
		scanTime(&d.UpdatedAt), scanTime(&d.ReleaseAt))
	if err != nil {
		return Document{}, err
	}
	d.Status = xmlschema.Status(status)
	return d, nil
}

// Current implements Catalog.
func (c *core) Current(ctx context.Context, uri string) (Document, error) {
	d, err := scanDoc(c.d.queryRow(ctx, `SELECT `+docColumns+` FROM documents WHERE uri = $1`, uri))
	if err != nil {
		return Document{}, fmt.Errorf("catalog: %s: %w", uri, err)
	}
	return d, nil
}

// FindBySearchKey implements Catalog.
func (c *core) FindBySearchKey(ctx context.Context, doctype, searchKey string) (Document, error) {
	d, err := scanDoc(c.d.queryRow(ctx, `SELECT `+docColumns+` FROM documents WHERE doctype = $1 AND search_key = $2 LIMIT 1`,
		doctype, searchKey))
	if err != nil {
		return Document{}, fmt.Errorf("catalog: search %s: %w", doctype, err)
	}
	return d, nil
}

// FindByUID implements Catalog.
func (c *core) FindByUID(ctx context.Context, doctype, uidHash string) (Document, error) {
	d, err := scanDoc(c.d.queryRow(ctx, `SELECT `+docColumns+` FROM documents WHERE doctype = $1 AND uid_hash = $2
		ORDER BY updated_at DESC, uri LIMIT 1`, doctype, uidHash))
	if err != nil {
		return Document{}, fmt.Errorf("catalog: search %s by holder: %w", doctype, err)
	}
	return d, nil
}

// each calls fn for every row of a query, then checks the rows' error.
func each(rs rows, err error, fn func(rows) error) error {
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		if err := fn(rs); err != nil {
			return err
		}
	}
	return rs.Err()
}

// ForEachURI implements Catalog.
func (c *core) ForEachURI(ctx context.Context, doctype string, fn func(uri string) error) error {
	rs, err := c.d.query(ctx, `SELECT uri FROM documents WHERE doctype = $1`, doctype)
	if err != nil {
		return fmt.Errorf("catalog: list %s: %w", doctype, err)
	}
	return each(rs, nil, func(r rows) error {
		var uri string
		if err := r.Scan(&uri); err != nil {
			return err
		}
		return fn(uri)
	})
}

// HasVersion implements Catalog.
func (c *core) HasVersion(ctx context.Context, uri string, version int) (bool, error) {
	var one int
	err := c.d.queryRow(ctx, `SELECT 1 FROM versions WHERE uri = $1 AND version = $2`, uri, version).Scan(&one)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// History implements Catalog.
func (c *core) History(ctx context.Context, uri string) ([]Version, error) {
	var out []Version
	rs, err := c.d.query(ctx, `SELECT version, status, batch_id, created_at FROM versions WHERE uri = $1 ORDER BY version`, uri)
	err = each(rs, err, func(r rows) error {
		var v Version
		var st string
		if err := r.Scan(&v.Version, &st, &v.BatchID, scanTime(&v.CreatedAt)); err != nil {
			return err
		}
		v.Status = xmlschema.Status(st)
		out = append(out, v)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("catalog: history %s: %w", uri, err)
	}
	return out, nil
}

// inTx runs fn in a transaction and commits it if fn succeeds.
func (c *core) inTx(ctx context.Context, fn func(tx) error) error {
	tx, err := c.d.begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.rollback(ctx)
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Close implements Catalog.
func (c *core) Close() error { return c.d.close() }
