package xmlschema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/beevik/etree"
)

// JSON mapping of a Certificate — what requesters turn DigiLocker XML into.
//
//   - An element becomes an object. Its attributes are keys with their own
//     names ("number": "75000032025"); its child elements are keys with
//     their element names.
//   - Child elements that repeat (Subject in Subjects, Person in Persons)
//     become an array, in document order; a single child is an object. A
//     few elements that are lists by nature are always arrays: see
//     jsonArrays.
//   - Text content: an element with only text and no attributes becomes the
//     string itself; otherwise its text is the key "value".
//   - Namespace prefixes are dropped; the XML-DSig Signature element is left
//     out (the JSON is not signed: verify the XML).
//   - When an attribute and a child element share a name, the attribute
//     keeps its name with "@" in front.
//
// Every value is a string, exactly as in the XML: numbers and dates are
// not reinterpreted.

// jsonArrays are elements whose children are always an array.
var jsonArrays = map[string]bool{"Subjects": true, "Persons": true, "Vehicles": true, "Classes": true}

// ToJSON maps a Certificate element (or any element) as described above.
func ToJSON(root *etree.Element) map[string]any {
	return map[string]any{root.Tag: elementJSON(root)}
}

// MarshalJSONDocument parses a signed document and returns its JSON.
func MarshalJSONDocument(data []byte) ([]byte, error) {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(data); err != nil {
		return nil, fmt.Errorf("document: %w", err)
	}
	if doc.Root() == nil {
		return nil, fmt.Errorf("document: no root element")
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(ToJSON(doc.Root())); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

func elementJSON(e *etree.Element) any {
	children := e.ChildElements()
	text := strings.TrimSpace(e.Text())
	if len(e.Attr) == 0 && len(children) == 0 {
		return text
	}
	obj := make(map[string]any, len(e.Attr)+len(children))
	counts := map[string]int{}
	for _, c := range children {
		counts[c.Tag]++
	}
	for _, a := range e.Attr {
		if a.Space == "xmlns" || a.Key == "xmlns" {
			continue
		}
		key := a.Key
		if counts[key] > 0 {
			key = "@" + key
		}
		obj[key] = a.Value
	}
	for _, c := range children {
		if c.Tag == "Signature" {
			continue
		}
		v := elementJSON(c)
		if counts[c.Tag] > 1 || jsonArrays[e.Tag] {
			arr, _ := obj[c.Tag].([]any)
			obj[c.Tag] = append(arr, v)
		} else {
			obj[c.Tag] = v
		}
	}
	if text != "" {
		obj["value"] = text
	}
	return obj
}
