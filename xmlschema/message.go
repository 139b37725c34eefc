package xmlschema

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// The wire messages are small, flat documents: a root with attributes, a
// few children, and one container (DocDetails, UriDetails) of named text
// fields. walk reads one with a token-level decoder that refuses anything
// but plain elements and text — a DOCTYPE, an entity declaration, a
// processing instruction other than the XML declaration, an unknown entity
// reference — so no DTD trick reaches the code that reads the fields.

// element is one closed element as walk reports it.
type element struct {
	depth int      // 1 for the root
	path  []string // local names from the root; valid only during the call
	attrs []xml.Attr
	text  string // its own character data, trimmed
}

// walk parses body, checks the root's local name with root, and calls fn
// for every element of depth ≤ 3 when it closes. Text longer than maxText
// is an error. A message of the plain shape is read by scanPlain, any
// other by encoding/xml (walkTokens); both report the same elements.
func walk(body []byte, root func(name string) error, maxText int, fn func(e element) error) error {
	doc, ok := scanPlain(body, maxText)
	defer doc.release()
	if !ok {
		return walkTokens(body, root, maxText, fn)
	}
	if err := root(doc.elems[0].local); err != nil {
		return fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	var path [3]string
	for _, idx := range doc.closed {
		e := &doc.elems[idx]
		for j, k := e.depth-1, idx; j >= 0; j, k = j-1, doc.elems[k].parent {
			path[j] = doc.elems[k].local
		}
		if err := fn(element{depth: e.depth, path: path[:e.depth], attrs: e.attrs, text: strings.TrimSpace(e.text)}); err != nil {
			return err
		}
	}
	return nil
}

// walkTokens is walk on encoding/xml's tokens.
func walkTokens(body []byte, root func(name string) error, maxText int, fn func(e element) error) error {
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = true
	d.Entity = nil // only the five predefined entities
	type open struct {
		name  xml.Name
		attrs []xml.Attr
		text  strings.Builder
	}
	var stack []*open
	path := make([]string, 0, maxDepth)
	seenRoot := false
	elements := 0
	for {
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("%w: %v", ErrBadRequest, err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			return fmt.Errorf("%w: DTDs and declarations are not accepted", ErrBadRequest)
		case xml.ProcInst:
			if t.Target != "xml" || len(stack) > 0 || seenRoot {
				return fmt.Errorf("%w: processing instructions are not accepted", ErrBadRequest)
			}
		case xml.StartElement:
			name := t.Name.Local
			if len(stack) == 0 {
				if seenRoot {
					return fmt.Errorf("%w: more than one root element", ErrBadRequest)
				}
				if err := root(name); err != nil {
					return fmt.Errorf("%w: %v", ErrBadRequest, err)
				}
				seenRoot = true
			}
			if len(stack) >= maxDepth {
				return fmt.Errorf("%w: nested too deeply", ErrBadRequest)
			}
			if elements++; elements > maxElements {
				return fmt.Errorf("%w: too many elements", ErrBadRequest)
			}
			o := &open{name: t.Name}
			if len(stack) < 3 {
				o.attrs = t.Copy().Attr
			}
			stack = append(stack, o)
			path = append(path, name)
		case xml.CharData:
			if n := len(stack); n > 0 && n <= 3 {
				o := stack[n-1]
				if o.text.Len()+len(t) > maxText {
					return fmt.Errorf("%w: the value of %s is too long", ErrBadRequest, clip(o.name.Local))
				}
				o.text.Write(t)
			}
		case xml.EndElement:
			n := len(stack)
			if n == 0 {
				return fmt.Errorf("%w: unbalanced end element", ErrBadRequest)
			}
			o := stack[n-1]
			if t.Name != o.name {
				return fmt.Errorf("%w: element %s is closed by %s", ErrBadRequest, clip(o.name.Local), clip(t.Name.Local))
			}
			if n <= 3 {
				if err := fn(element{depth: n, path: path, attrs: o.attrs, text: strings.TrimSpace(o.text.String())}); err != nil {
					return err
				}
			}
			stack, path = stack[:n-1], path[:n-1]
		}
	}
	if !seenRoot {
		return fmt.Errorf("%w: no request element", ErrBadRequest)
	}
	if len(stack) != 0 {
		return fmt.Errorf("%w: unclosed element", ErrBadRequest)
	}
	return nil
}

// maxElements bounds the work one message can ask of the parser.
const maxElements = 512

// attrFold is attr with the local name matched ignoring case; the first
// non-empty value wins, so an empty template attribute beside a filled
// one does not hide it.
func attrFold(attrs []xml.Attr, local string) string {
	for _, a := range attrs {
		if a.Name.Space != "xmlns" && strings.EqualFold(a.Name.Local, local) {
			if s := strings.TrimSpace(a.Value); s != "" {
				return s
			}
		}
	}
	return ""
}

// parseRequest reads a request whose root is one of roots, with its fields
// in the container element named container.
func parseRequest(body []byte, container string, roots ...string) (*Request, error) {
	r := &Request{Details: make([]Field, 0, 8)}
	containers := 0
	err := walk(body, func(name string) error {
		for _, ok := range roots {
			if name == ok {
				r.Kind = name
				return nil
			}
		}
		return fmt.Errorf("root element %q is not %s", clip(name), strings.Join(roots, " or "))
	}, maxFieldBytes, func(e element) error {
		switch {
		case e.depth == 1:
			// Root attributes by name ignoring case: the specs spell
			// keyhash, keyHash and KeyHash, and deployed lockers orgId
			// and orgid.
			r.Ver, r.TS, r.Txn = attrFold(e.attrs, "ver"), attrFold(e.attrs, "ts"), attrFold(e.attrs, "txn")
			r.OrgID, r.KeyHash = attrFold(e.attrs, "orgId"), attrFold(e.attrs, "keyhash")
			r.Format = strings.ToLower(strings.TrimSpace(attrFold(e.attrs, "format")))
		case e.depth == 2 && e.path[1] == container:
			if containers++; containers > 1 {
				return fmt.Errorf("%w: more than one %s", ErrBadRequest, container)
			}
		case e.depth == 3 && e.path[1] == container:
			if len(r.Details) >= maxFields {
				return fmt.Errorf("%w: too many %s fields", ErrBadRequest, container)
			}
			r.Details = append(r.Details, Field{Name: e.path[2], Value: e.text})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// ParseRequest parses a Pull URI or Pull Doc request body (DocDetails
// fields). It refuses anything but plain elements and text: a DOCTYPE,
// entity declaration, processing instruction (other than the XML
// declaration) or unknown entity reference is an error, as is a root other
// than PullURIRequest or PullDocRequest.
func ParseRequest(body []byte) (*Request, error) {
	return parseRequest(body, "DocDetails", "PullURIRequest", "PullDocRequest")
}

// ParsePushRequest parses a Push URI request (digilocker-spec.md §5): root
// PushUriRequest, fields in UriDetails, with ParseRequest's hardening.
func ParsePushRequest(body []byte) (*Request, error) {
	return parseRequest(body, "UriDetails", "PushUriRequest")
}

// Response is a reply of the issuer or locker APIs: PullURIResponse,
// PullDocResponse or PushUriResponse.
type Response struct {
	Kind    string
	Status  string // 1 ok, 0 not found or refused, 9 error
	TS, Txn string
	Message string // ResponseMessage, if any
	// Details holds DocDetails' children (e.g. URI, DataContent).
	Details []Field
}

// Get returns the value of the first DocDetails child named name.
func (r *Response) Get(name string) string {
	for _, f := range r.Details {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}

// maxResponseText bounds one value of a response (a base64 document or PDF).
const maxResponseText = 32 << 20

// ParseResponse parses a Pull URI, Pull Doc or Push URI response with the
// same hardening as ParseRequest.
func ParseResponse(body []byte) (*Response, error) {
	r := &Response{}
	err := walk(body, func(name string) error {
		switch name {
		case "PullURIResponse", "PullDocResponse", "PushUriResponse":
			r.Kind = name
			return nil
		}
		return fmt.Errorf("root element %q is not a known response", clip(name))
	}, maxResponseText, func(e element) error {
		switch {
		case e.depth == 2 && e.path[1] == "ResponseStatus":
			// By name ignoring case: API Setu's own XML appendix spells
			// status="1" where the specification's templates have Status.
			r.Status = attrFold(e.attrs, "Status")
			if r.Status == "" {
				r.Status = e.text
			}
			r.TS, r.Txn = attrFold(e.attrs, "ts"), attrFold(e.attrs, "txn")
		case e.depth == 2 && e.path[1] == "ResponseMessage":
			r.Message = e.text
		case e.depth == 3 && e.path[1] == "DocDetails":
			if len(r.Details) >= maxFields {
				return fmt.Errorf("%w: too many DocDetails fields", ErrBadRequest)
			}
			r.Details = append(r.Details, Field{Name: e.path[2], Value: e.text})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}
