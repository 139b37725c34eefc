package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/issuerkit/issuerkit/repository"
)

// errStop ends a ForEachURI walk after its first URI.
var errStop = errors.New("stop")

// searchKeyNames returns the search key names the documents of doctype are
// found by (RollNo and Year for a marksheet), read from one of them; nil
// when the home has none of that DocType.
func searchKeyNames(ctx context.Context, cat repository.Catalog, doctype string) ([]string, error) {
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

// missingSearchKeys explains a search that found nothing: a DocType the
// home does not have, search keys that are not the DocType's (naming the
// missing and the unknown ones, with the flag to give), or no document with
// those values.
func missingSearchKeys(ctx context.Context, cat repository.Catalog, doctype string, given map[string]string) error {
	names, err := searchKeyNames(ctx, cat, doctype)
	if err != nil {
		return err
	}
	if names == nil {
		return fmt.Errorf("this home has no %s documents", doctype)
	}
	var missing, unknown []string
	for _, n := range names {
		if _, ok := given[n]; !ok {
			missing = append(missing, flagFor(n))
		}
	}
	for n := range given {
		if !slices.Contains(names, n) {
			unknown = append(unknown, n)
		}
	}
	slices.Sort(unknown)
	switch {
	case len(missing) > 0 && len(unknown) > 0:
		return usageErr("%s documents are found by %s: give %s; %s is not one of them", doctype, strings.Join(names, " and "), strings.Join(missing, " and "), strings.Join(unknown, ", "))
	case len(missing) > 0:
		return usageErr("%s documents are found by %s: give %s too", doctype, strings.Join(names, " and "), strings.Join(missing, " and "))
	case len(unknown) > 0:
		return usageErr("%s documents are found by %s; %s is not one of them", doctype, strings.Join(names, " and "), strings.Join(unknown, ", "))
	}
	return fmt.Errorf("no %s document with those search keys", doctype)
}

// flagFor is the get flag that sets search key n.
func flagFor(n string) string {
	switch n {
	case "RollNo":
		return "--roll"
	case "Year":
		return "--year"
	}
	return "--key " + n + "=VALUE"
}
