package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/issuerkit/issuerkit/repository"
)

// missingSearchKeys explains a search that found nothing: a DocType the
// home does not have, search keys that are not the DocType's (naming the
// missing and the unknown ones, with the flag to give), or no document with
// those values.
func missingSearchKeys(ctx context.Context, cat repository.Catalog, doctype string, given map[string]string) error {
	names, err := repository.SearchKeyNames(ctx, cat, doctype)
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
