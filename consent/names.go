package consent

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// exactNames reports the first object member of data whose name matches a
// field of t (at its depth) only when case is ignored. encoding/json
// matches names ignoring case and the last matching member wins, and JCS
// orders "dataconsumer" after "dataConsumer": a consent signed with both
// would name one consumer to issuerkit and another to a reader that takes
// names as written (the consent manager, an auditor). Members no field
// matches in any case are ignored, as encoding/json ignores them.
func exactNames(data []byte, t reflect.Type) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return walkNames(dec, t, "")
}

// walkNames reads one value from dec, checking its members' names against
// t (nil: anything).
func walkNames(dec *json.Decoder, t reflect.Type, path string) error {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return nil // a scalar
	}
	switch d {
	case '{':
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return err
			}
			key, _ := kt.(string)
			var ft reflect.Type
			switch {
			case t == nil:
			case t.Kind() == reflect.Struct:
				var folded string
				ft, folded = fieldNamed(t, key)
				if ft == nil && folded != "" {
					return fmt.Errorf("member %s%q: names are case-sensitive, the member is %q", path, key, folded)
				}
			case t.Kind() == reflect.Map:
				ft = t.Elem()
			}
			if err := walkNames(dec, ft, path+key+"."); err != nil {
				return err
			}
		}
	case '[':
		var et reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			et = t.Elem()
		}
		for dec.More() {
			if err := walkNames(dec, et, path); err != nil {
				return err
			}
		}
	}
	_, err = dec.Token() // the closing delimiter
	return err
}

// fieldNamed is the type of struct t's field whose JSON name is key, or,
// when none is, the name of one that equals key ignoring case.
func fieldNamed(t reflect.Type, key string) (reflect.Type, string) {
	folded := ""
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if name == key {
			return f.Type, ""
		}
		if strings.EqualFold(name, key) {
			folded = name
		}
	}
	return nil, folded
}
