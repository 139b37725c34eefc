package repository

import (
	"slices"
	"testing"
)

// TestSearchKeyOf: the API's map-free key is the catalog's, whatever the
// order of the pairs.
func TestSearchKeyOf(t *testing.T) {
	for _, params := range []map[string]string{
		{},
		{"RollNo": "7500003"},
		{"Year": "2025", "RollNo": "7500003"},
		{"b": "x=y", "a": "1\x1f2", "B": "", "c": "ü"},
	} {
		var pairs []SearchParam
		for n, v := range params {
			pairs = append(pairs, SearchParam{n, v})
		}
		slices.Reverse(pairs)
		if got, want := SearchKeyOf(pairs), SearchKey(params); got != want {
			t.Errorf("SearchKeyOf(%v) = %q, want %q", pairs, got, want)
		}
	}
	if got := SearchKey(map[string]string{"Year": "2025", "RollNo": "7"}); got != "RollNo=7\x1fYear=2025" {
		t.Errorf("SearchKey = %q", got)
	}
}
