package repository

import (
	"context"
	"errors"
	"strings"
)

// errStop ends a ForEachURI walk after its first URI.
var errStop = errors.New("stop")

// SearchKeyNames returns the search key names the documents of doctype are
// found by (RollNo and Year for a marksheet), read from one of them; nil
// when the home has none of that DocType.
func SearchKeyNames(ctx context.Context, cat Catalog, doctype string) ([]string, error) {
	var uri string
	err := cat.ForEachURI(ctx, doctype, func(u string) error { uri = u; return errStop })
	if err != nil && !errors.Is(err, errStop) {
		return nil, err
	}
	if uri == "" {
		return nil, nil
	}
	doc, err := cat.Current(ctx, uri)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, kv := range strings.Split(doc.SearchKey, "\x1f") {
		if n, _, ok := strings.Cut(kv, "="); ok && n != "" {
			names = append(names, n)
		}
	}
	return names, nil
}
