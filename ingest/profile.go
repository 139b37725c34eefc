package ingest

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
	"github.com/issuerkit/issuerkit/xmlschema"
	"go.yaml.in/yaml/v3"
)

// Profile maps one kind of input file to one DocType: the rule of every
// column, how the DocID and search keys are formed, and the Certificate the
// record becomes. Profiles are YAML files an issuer's IT team writes; see
// samples/profiles/cbse-sscer.yaml for a commented example.
type Profile struct {
	Path       string
	DocType    string
	DocName    string
	IssuedAt   string
	SearchKeys []string // column names; also the Pull URI element names
	// Pull is the DocType's pull policy (the profile's pull: section).
	Pull xmlschema.PullPolicy
	// APIParameters names search keys as API Setu's certificateParameters
	// do (pull: apisetu_parameters).
	APIParameters map[string]string

	docID   template
	holder  holderCols
	columns []*Column
	byName  map[string]*Column
	// canonNames is the columns' names' length: Map sizes a record's
	// canonical form with it.
	canonNames  int
	groups      []*Group
	derived     []derived
	checks      []check
	person      []attrTmpl
	personSpare int        // room for the Person attributes the schema may add
	personX     []nodeTmpl // elements inside Person (Address, Photo)
	data        []nodeTmpl
	// validFrom and expiry, when set, fill the Certificate's validFromDate
	// (default: the issue date) and expiryDate (default: empty).
	validFrom, expiry *template
	// prevNumber, when set, fills prevNumber: the DocID this document
	// replaces (a correction that changed the DocID).
	prevNumber *template
	// anyDateRules: some column has date rules, so Map collects the
	// row's dates (resolveDateRules).
	anyDateRules bool
	// defaults are certificate.defaults: element path or name → attributes
	// written when the profile and the record give no value.
	defaults map[string][]attrTmpl
	// fill is the DocType's schema resolved against the profile: what
	// fillSchema adds to every Certificate (nil: no schema is known).
	fill *certFill
	// revision is the profile's revision (0 when not set).
	revision int
}

type holderCols struct{ Name, DOB, Aadhaar string }

// Column is the rule of one input column.
type Column struct {
	Name     string
	Required bool
	Type     string // string (default), name, int, decimal, date, aadhaar
	Pattern  *regexp.Regexp
	Enum     []string
	Min, Max *float64
	MaxLen   int
	enumAny  []any      // Enum's values boxed once: a row's enum cell costs no allocation
	grouped  bool       // it belongs to a group member
	layouts  []string   // date layouts
	formats  []string   // as the profile wrote them, for messages
	dates    *dateRules // date columns: not_future, before, after, age
	pos      int        // its index in the profile's columns
}

// Group is a repeated set of columns such as a marksheet's subjects
// (Sub1Code … Sub6Code). A member is present when any of its columns is set.
type Group struct {
	Name       string
	Count      int
	MinPresent int
	label      template
	fields     []groupField
	derived    []derived
	checks     []check
	deps       []string // record-level names the group's rules use
}

type groupField struct {
	name    string
	columns []*Column // one per member k = 1..Count
}

type derived struct {
	name string
	prog *vm.Program
	src  string
}

type check struct {
	prog    *vm.Program
	src     string
	message template
}

type attrTmpl struct {
	name string
	val  template
}

type nodeTmpl struct {
	tag      string
	each     string // group name, when the element repeats per member
	attrs    []attrTmpl
	text     *template
	children []nodeTmpl
	deps     []string // with each: record-level names the subtree uses
	spare    int      // room for the attributes the schema may add (sizeFills)
}

// --- YAML shapes -----------------------------------------------------------

type rawProfile struct {
	DocType    string     `yaml:"doctype"`
	DocName    string     `yaml:"doc_name"`
	DocID      string     `yaml:"doc_id"`
	IssuedAt   string     `yaml:"issued_at"`
	SearchKeys []string   `yaml:"search_keys"`
	Holder     holderCols `yaml:"holder"`
	Pull       *rawPull   `yaml:"pull"`
	Columns    yaml.Node  `yaml:"columns"`
	Groups     yaml.Node  `yaml:"groups"`
	Derived    yaml.Node  `yaml:"derived"`
	Checks     []rawCheck `yaml:"checks"`
	Cert       rawCert    `yaml:"certificate"`
	// Revision, raised, makes every document a new version on the next
	// ingest even when its data is unchanged (see ContentHash).
	Revision int `yaml:"revision"`
}

// rawCert is a profile's certificate: section as written.
type rawCert struct {
	Person         yaml.Node `yaml:"person"`
	PersonElements []rawNode `yaml:"person_elements"`
	Data           []rawNode `yaml:"data"`
	ValidFrom      string    `yaml:"valid_from"`
	Expiry         string    `yaml:"expiry"`
	PrevNumber     string    `yaml:"prev_number"`
	Defaults       yaml.Node `yaml:"defaults"`
}

type rawColumn struct {
	Column   string   `yaml:"column"` // group fields only: "Sub{k}Code"
	Required bool     `yaml:"required"`
	Type     string   `yaml:"type"`
	Pattern  string   `yaml:"pattern"`
	Enum     []string `yaml:"enum"`
	Min      *float64 `yaml:"min"`
	Max      *float64 `yaml:"max"`
	MaxLen   int      `yaml:"max_len"`
	Formats  []string `yaml:"formats"`
	// date rules (dates.go)
	NotFuture bool    `yaml:"not_future"`
	Before    names   `yaml:"before"`
	After     names   `yaml:"after"`
	Age       *rawAge `yaml:"age"`
}

type rawGroup struct {
	Count   int        `yaml:"count"`
	Min     int        `yaml:"min"`
	Label   string     `yaml:"label"`
	Columns yaml.Node  `yaml:"columns"`
	Derived yaml.Node  `yaml:"derived"`
	Checks  []rawCheck `yaml:"checks"`
}

type rawCheck struct {
	Rule    string `yaml:"rule"`
	Message string `yaml:"message"`
}

type rawNode struct {
	Element  string    `yaml:"element"`
	Each     string    `yaml:"each"`
	Attrs    yaml.Node `yaml:"attrs"`
	Text     *string   `yaml:"text"`
	Children []rawNode `yaml:"children"`
}

// pairs returns the key/value nodes of a YAML mapping in document order.
func pairs(n *yaml.Node, what string) ([][2]*yaml.Node, error) {
	if n.Kind == 0 {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: %s must be a mapping", n.Line, what)
	}
	out := make([][2]*yaml.Node, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		out = append(out, [2]*yaml.Node{n.Content[i], n.Content[i+1]})
	}
	return out, nil
}

// --- loading ---------------------------------------------------------------

// LoadProfile reads and compiles the profile at path. Every mistake is
// reported with the profile's path and, where known, its line.
func LoadProfile(path string) (*Profile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read profile: %w", err)
	}
	p, err := ParseProfile(b)
	if err != nil {
		return nil, fmt.Errorf("profile %s: %w", path, err)
	}
	p.Path = path
	return p, nil
}

// exprOptions are the helper functions profiles may call.
var exprOptions = []expr.Option{
	expr.Function("fixed", func(params ...any) (any, error) {
		x, ok := toFloat(params[0])
		if !ok {
			return nil, fmt.Errorf("fixed: %v is not a number", params[0])
		}
		return strconv.FormatFloat(x, 'f', params[1].(int), 64), nil
	}, new(func(float64, int) string), new(func(int, int) string)),
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// ParseProfile compiles a profile from YAML.
func ParseProfile(b []byte) (*Profile, error) {
	var raw rawProfile
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&raw); err != nil {
		return nil, err
	}
	p := &Profile{DocType: raw.DocType, DocName: raw.DocName, IssuedAt: raw.IssuedAt, byName: map[string]*Column{}}
	if err := xmlschema.ValidateDocType(p.DocType); err != nil {
		return nil, fmt.Errorf("doctype: %w", err)
	}
	if p.DocName == "" {
		return nil, errors.New("doc_name is required")
	}
	// scope holds a typed sample value for every name templates and rules
	// may use, so expr type-checks them at load time.
	scope := map[string]any{}
	if err := p.compileInputs(&raw, scope); err != nil {
		return nil, err
	}
	var err error
	if p.derived, err = compileDerived(&raw.Derived, scope); err != nil {
		return nil, err
	}
	if p.checks, err = compileChecks(raw.Checks, scope); err != nil {
		return nil, err
	}
	if err := p.resolveDateRules(scope); err != nil {
		return nil, err
	}
	if raw.DocID == "" {
		return nil, errors.New(`doc_id is required, e.g. "{RollNo}{Year}"`)
	}
	if p.docID, err = parseTemplate(raw.DocID, scope, exprOptions); err != nil {
		return nil, fmt.Errorf("doc_id: %w", err)
	}
	for i, k := range raw.SearchKeys {
		if p.byName[k] == nil {
			return nil, fmt.Errorf("search_keys: %q is not a column", k)
		}
		if slices.Contains(raw.SearchKeys[:i], k) {
			return nil, fmt.Errorf("search_keys: %q is named twice", k)
		}
	}
	p.SearchKeys = raw.SearchKeys
	if p.Pull, err = compilePull(raw.Pull); err != nil {
		return nil, err
	}
	p.APIParameters = raw.Pull.apiNames()
	if err := p.PullProfile().ValidateAPIParameters(); err != nil {
		return nil, err
	}
	if err := p.setHolder(raw.Holder); err != nil {
		return nil, err
	}
	if err := p.compileCertificate(&raw.Cert, scope); err != nil {
		return nil, err
	}
	p.revision = raw.Revision
	if err := p.checkSchema(); err != nil {
		return nil, err
	}
	p.fill = p.compileFill()
	p.sizeFills()
	return p, nil
}

// compileInputs compiles the columns and the groups of columns, giving
// each a sample value in scope.
func (p *Profile) compileInputs(raw *rawProfile, scope map[string]any) error {
	colPairs, err := pairs(&raw.Columns, "columns")
	if err != nil {
		return err
	}
	if len(colPairs) == 0 {
		return errors.New("columns: at least one column is required")
	}
	for _, kv := range colPairs {
		c, err := compileColumn(kv[0].Value, kv[1])
		if err != nil {
			return err
		}
		if err := p.addColumn(c); err != nil {
			return err
		}
		scope[c.Name] = sampleValue(c.Type)
	}
	groupPairs, err := pairs(&raw.Groups, "groups")
	if err != nil {
		return err
	}
	for _, kv := range groupPairs {
		g, err := p.compileGroup(kv[0].Value, kv[1], scope)
		if err != nil {
			return fmt.Errorf("group %s: %w", kv[0].Value, err)
		}
		p.groups = append(p.groups, g)
		sample := map[string]any{"k": 0}
		for _, f := range g.fields {
			sample[f.name] = sampleValue(f.columns[0].Type)
		}
		for _, d := range g.derived {
			sample[d.name] = sampleOfKind(d.prog)
		}
		scope[g.Name] = []map[string]any{sample}
	}
	for _, g := range p.groups {
		for _, f := range g.fields {
			for _, c := range f.columns {
				c.grouped = true
			}
		}
	}
	return nil
}

// setHolder checks that the holder's columns exist with the right types.
func (p *Profile) setHolder(h holderCols) error {
	p.holder = h
	for what, col := range map[string]string{"holder.name": p.holder.Name, "holder.dob": p.holder.DOB} {
		if p.byName[col] == nil {
			return fmt.Errorf("%s: %q is not a column", what, col)
		}
	}
	if p.holder.Aadhaar != "" {
		if c := p.byName[p.holder.Aadhaar]; c == nil || c.Type != "aadhaar" {
			return fmt.Errorf("holder.aadhaar: %q is not a column of type aadhaar", p.holder.Aadhaar)
		}
	}
	if p.byName[p.holder.DOB].Type != "date" {
		return fmt.Errorf("holder.dob: column %q must be of type date", p.holder.DOB)
	}
	return nil
}

// compileCertificate compiles the certificate: section, what the rendered
// document carries.
func (p *Profile) compileCertificate(rc *rawCert, scope map[string]any) error {
	var err error
	if p.person, err = compileAttrs(&rc.Person, scope); err != nil {
		return fmt.Errorf("certificate.person: %w", err)
	}
	if p.personX, err = p.compileNodes(rc.PersonElements, scope); err != nil {
		return fmt.Errorf("certificate.person_elements: %w", err)
	}
	if p.data, err = p.compileNodes(rc.Data, scope); err != nil {
		return fmt.Errorf("certificate.data: %w", err)
	}
	for _, d := range []struct {
		src string
		dst **template
		key string
	}{{rc.ValidFrom, &p.validFrom, "valid_from"}, {rc.Expiry, &p.expiry, "expiry"}, {rc.PrevNumber, &p.prevNumber, "prev_number"}} {
		if d.src == "" {
			continue
		}
		t, err := parseTemplate(d.src, scope, exprOptions)
		if err != nil {
			return fmt.Errorf("certificate.%s: %w", d.key, err)
		}
		*d.dst = &t
	}
	if p.defaults, err = compileDefaults(&rc.Defaults, scope); err != nil {
		return err
	}
	return nil
}

func (p *Profile) addColumn(c *Column) error {
	if p.byName[c.Name] != nil {
		return fmt.Errorf("column %q is defined twice", c.Name)
	}
	c.pos = len(p.columns)
	p.canonNames += len(c.Name)
	p.columns = append(p.columns, c)
	p.byName[c.Name] = c
	return nil
}

// Columns returns the profile's input columns in profile order.
func (p *Profile) Columns() []*Column { return p.columns }

func sampleValue(typ string) any {
	switch typ {
	case "int":
		return 0
	case "decimal":
		return 0.0
	}
	return ""
}

var dateLayouts = map[string]string{
	"DD-MM-YYYY": "2-1-2006", "DD/MM/YYYY": "2/1/2006", "YYYY-MM-DD": "2006-1-2",
	"DD.MM.YYYY": "2.1.2006", "YYYY/MM/DD": "2006/1/2",
}

func compileColumn(name string, n *yaml.Node) (*Column, error) {
	var rc rawColumn
	if err := n.Decode(&rc); err != nil {
		return nil, fmt.Errorf("column %s: %w", name, err)
	}
	return rc.compile(name)
}

func (rc rawColumn) compile(name string) (*Column, error) {
	c := &Column{Name: name, Required: rc.Required, Type: rc.Type, Enum: rc.Enum, Min: rc.Min, Max: rc.Max, MaxLen: rc.MaxLen}
	if name == "" {
		return nil, errors.New("a column has an empty name")
	}
	if c.Type == "" {
		c.Type = "string"
	}
	for _, e := range c.Enum {
		c.enumAny = append(c.enumAny, e)
	}
	switch c.Type {
	case "string", "name", "int", "decimal", "aadhaar":
	case "date":
		c.formats = rc.Formats
		if len(c.formats) == 0 {
			c.formats = []string{"DD-MM-YYYY", "DD/MM/YYYY", "YYYY-MM-DD"}
		}
		for _, f := range c.formats {
			l, ok := dateLayouts[f]
			if !ok {
				return nil, fmt.Errorf("column %s: unknown date format %q (known: DD-MM-YYYY, DD/MM/YYYY, YYYY-MM-DD, DD.MM.YYYY, YYYY/MM/DD)", name, f)
			}
			c.layouts = append(c.layouts, l)
		}
	default:
		return nil, fmt.Errorf("column %s: unknown type %q (want string, name, int, decimal, date or aadhaar)", name, c.Type)
	}
	if rc.Pattern != "" {
		re, err := regexp.Compile(rc.Pattern)
		if err != nil {
			return nil, fmt.Errorf("column %s: pattern: %w", name, err)
		}
		c.Pattern = re
	}
	if c.MaxLen == 0 {
		c.MaxLen = 200
	}
	if (c.Min != nil || c.Max != nil) && c.Type != "int" && c.Type != "decimal" {
		return nil, fmt.Errorf("column %s: min/max need type int or decimal", name)
	}
	if err := rc.compileDateRules(c); err != nil {
		return nil, err
	}
	return c, nil
}

func (p *Profile) compileGroup(name string, n *yaml.Node, scope map[string]any) (*Group, error) {
	var rg rawGroup
	if err := n.Decode(&rg); err != nil {
		return nil, err
	}
	if rg.Count < 1 || rg.Count > 100 {
		return nil, errors.New("count must be 1-100")
	}
	if _, taken := scope[name]; taken {
		return nil, fmt.Errorf("name %q is already a column", name)
	}
	g := &Group{Name: name, Count: rg.Count, MinPresent: rg.Min}
	fieldPairs, err := pairs(&rg.Columns, "columns")
	if err != nil {
		return nil, err
	}
	if len(fieldPairs) == 0 {
		return nil, errors.New("columns: at least one field is required")
	}
	member := map[string]any{"k": 0}
	for k, v := range scope {
		member[k] = v
	}
	for _, kv := range fieldPairs {
		var rc rawColumn
		if err := kv[1].Decode(&rc); err != nil {
			return nil, fmt.Errorf("field %s: %w", kv[0].Value, err)
		}
		if !strings.Contains(rc.Column, "{k}") {
			return nil, fmt.Errorf("field %s: column must contain {k}, e.g. \"Sub{k}Code\"", kv[0].Value)
		}
		f := groupField{name: kv[0].Value}
		for k := 1; k <= g.Count; k++ {
			c, err := rc.compile(strings.ReplaceAll(rc.Column, "{k}", strconv.Itoa(k)))
			if err != nil {
				return nil, err
			}
			if err := p.addColumn(c); err != nil {
				return nil, err
			}
			f.columns = append(f.columns, c)
		}
		g.fields = append(g.fields, f)
		member[f.name] = sampleValue(f.columns[0].Type)
	}
	label := rg.Label
	if label == "" {
		label = name + " {k}"
	}
	if g.label, err = parseTemplate(label, member, exprOptions); err != nil {
		return nil, fmt.Errorf("label: %w", err)
	}
	if g.derived, err = compileDerived(&rg.Derived, member); err != nil {
		return nil, err
	}
	if g.checks, err = compileChecks(rg.Checks, member); err != nil {
		return nil, err
	}
	var names []string
	names = append(names, g.label.idents()...)
	for _, d := range g.derived {
		names = append(names, progIdents(d.prog)...)
	}
	for _, c := range g.checks {
		names = append(names, progIdents(c.prog)...)
		names = append(names, c.message.idents()...)
	}
	g.deps = recordDeps(names, g)
	return g, nil
}

// recordDeps keeps the names that are not g's own (its fields, derived
// values and k), without repeats: the record values a member scope needs.
func recordDeps(names []string, g *Group) []string {
	own := map[string]bool{"k": true}
	for _, f := range g.fields {
		own[f.name] = true
	}
	for _, d := range g.derived {
		own[d.name] = true
	}
	var out []string
	seen := map[string]bool{}
	for _, n := range names {
		if !own[n] && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// nodeIdents returns every name the templates of n's subtree use.
func nodeIdents(n *nodeTmpl) []string {
	var out []string
	for _, a := range n.attrs {
		out = append(out, a.val.idents()...)
	}
	if n.text != nil {
		out = append(out, n.text.idents()...)
	}
	for i := range n.children {
		out = append(out, nodeIdents(&n.children[i])...)
	}
	return out
}

// compileDerived compiles name: expression pairs in order; each may use the
// ones before it. It adds their names to scope.
func compileDerived(n *yaml.Node, scope map[string]any) ([]derived, error) {
	ps, err := pairs(n, "derived")
	if err != nil {
		return nil, err
	}
	var out []derived
	for _, kv := range ps {
		name := kv[0].Value
		if _, taken := scope[name]; taken {
			return nil, fmt.Errorf("derived %s: name is already in use", name)
		}
		prog, err := expr.Compile(kv[1].Value, append([]expr.Option{expr.Env(scope)}, exprOptions...)...)
		if err != nil {
			return nil, fmt.Errorf("derived %s (line %d): %v", name, kv[1].Line, err)
		}
		out = append(out, derived{name: name, prog: prog, src: kv[1].Value})
		scope[name] = sampleOfKind(prog)
	}
	return out, nil
}

func sampleOfKind(prog *vm.Program) any {
	switch fmt.Sprint(prog.Node().Type()) {
	case "int":
		return 0
	case "float64":
		return 0.0
	case "string":
		return ""
	case "bool":
		return false
	}
	return 0.0
}

func compileChecks(raws []rawCheck, scope map[string]any) ([]check, error) {
	var out []check
	for _, rc := range raws {
		prog, err := expr.Compile(rc.Rule, append([]expr.Option{expr.Env(scope), expr.AsBool()}, exprOptions...)...)
		if err != nil {
			return nil, fmt.Errorf("check %q: %v", rc.Rule, err)
		}
		msg := rc.Message
		if msg == "" {
			msg = "rule not met: " + strings.NewReplacer("{", "{{", "}", "}}").Replace(rc.Rule)
		}
		t, err := parseTemplate(msg, scope, exprOptions)
		if err != nil {
			return nil, fmt.Errorf("check %q: message: %w", rc.Rule, err)
		}
		out = append(out, check{prog: prog, src: rc.Rule, message: t})
	}
	return out, nil
}

func compileAttrs(n *yaml.Node, scope map[string]any) ([]attrTmpl, error) {
	ps, err := pairs(n, "attributes")
	if err != nil {
		return nil, err
	}
	var out []attrTmpl
	for _, kv := range ps {
		t, err := parseTemplate(kv[1].Value, scope, exprOptions)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", kv[0].Value, err)
		}
		out = append(out, attrTmpl{name: kv[0].Value, val: t})
	}
	return out, nil
}

func (p *Profile) compileNodes(raws []rawNode, scope map[string]any) ([]nodeTmpl, error) {
	var out []nodeTmpl
	for _, rn := range raws {
		if rn.Element == "" {
			return nil, errors.New("an entry has no element name")
		}
		n := nodeTmpl{tag: rn.Element, each: rn.Each}
		inner := scope
		if rn.Each != "" {
			idx := slices.IndexFunc(p.groups, func(g *Group) bool { return g.Name == rn.Each })
			if idx < 0 {
				return nil, fmt.Errorf("%s: each: %q is not a group", rn.Element, rn.Each)
			}
			members, _ := scope[rn.Each].([]map[string]any)
			inner = map[string]any{}
			for k, v := range scope {
				inner[k] = v
			}
			for k, v := range members[0] {
				inner[k] = v
			}
		}
		var err error
		if n.attrs, err = compileAttrs(&rn.Attrs, inner); err != nil {
			return nil, fmt.Errorf("%s: %w", rn.Element, err)
		}
		if rn.Text != nil {
			t, err := parseTemplate(*rn.Text, inner, exprOptions)
			if err != nil {
				return nil, fmt.Errorf("%s: text: %w", rn.Element, err)
			}
			n.text = &t
		}
		if n.children, err = p.compileNodes(rn.Children, inner); err != nil {
			return nil, fmt.Errorf("%s/%w", rn.Element, err)
		}
		if rn.Each != "" {
			g := p.groups[slices.IndexFunc(p.groups, func(g *Group) bool { return g.Name == rn.Each })]
			n.deps = recordDeps(nodeIdents(&n), g)
		}
		out = append(out, n)
	}
	return out, nil
}

// CheckHeader reports the profile columns missing from header, and the
// header names that appear twice.
func (p *Profile) CheckHeader(header []string) error {
	seen := map[string]bool{}
	var dup, missing []string
	for _, h := range header {
		if seen[h] {
			dup = append(dup, h)
		}
		seen[h] = true
	}
	for _, c := range p.columns {
		if !seen[c.Name] {
			missing = append(missing, c.Name)
		}
	}
	var errs []string
	if len(missing) > 0 {
		errs = append(errs, "missing column(s) "+strings.Join(missing, ", "))
	}
	if len(dup) > 0 {
		errs = append(errs, "duplicate column(s) "+strings.Join(dup, ", "))
	}
	if len(errs) > 0 {
		return fmt.Errorf("header does not match profile %s: %s", p.DocType, strings.Join(errs, "; "))
	}
	return nil
}
