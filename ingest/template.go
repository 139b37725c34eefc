package ingest

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"
)

// A template is a profile string with {Name} references to columns, derived
// values or group fields, and {= expression} parts evaluated with expr.
// "{{" and "}}" stand for literal braces.
type template struct {
	src   string
	parts []tmplPart
	size  int // a guess at a rendering's length, to size its buffer once
}

type tmplPart struct {
	lit  string
	ref  string      // a name, when set
	prog *vm.Program // an expression, when set
}

// parseTemplate compiles src against scope (name → sample typed value).
func parseTemplate(src string, scope map[string]any, opts []expr.Option) (template, error) {
	t := template{src: src}
	var lit strings.Builder
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '{' && strings.HasPrefix(src[i:], "{{"):
			lit.WriteByte('{')
			i += 2
		case c == '}' && strings.HasPrefix(src[i:], "}}"):
			lit.WriteByte('}')
			i += 2
		case c == '{':
			end := strings.IndexByte(src[i:], '}')
			if end < 0 {
				return t, fmt.Errorf("template %q: unclosed '{'", src)
			}
			inner := strings.TrimSpace(src[i+1 : i+end])
			i += end + 1
			if lit.Len() > 0 {
				t.parts = append(t.parts, tmplPart{lit: lit.String()})
				lit.Reset()
			}
			if rest, ok := strings.CutPrefix(inner, "="); ok {
				prog, err := expr.Compile(strings.TrimSpace(rest), append([]expr.Option{expr.Env(scope)}, opts...)...)
				if err != nil {
					return t, fmt.Errorf("template %q: %v", src, err)
				}
				t.parts = append(t.parts, tmplPart{prog: prog})
				continue
			}
			if _, ok := scope[inner]; !ok {
				return t, fmt.Errorf("template %q: unknown name %q", src, inner)
			}
			t.parts = append(t.parts, tmplPart{ref: inner})
		case c == '}':
			return t, fmt.Errorf("template %q: unmatched '}'", src)
		default:
			lit.WriteByte(c)
			i++
		}
	}
	if lit.Len() > 0 {
		t.parts = append(t.parts, tmplPart{lit: lit.String()})
	}
	for _, p := range t.parts {
		t.size += len(p.lit)
		if p.lit == "" {
			t.size += 16 // a value
		}
	}
	return t, nil
}

// idents returns the names the template refers to.
func (t *template) idents() []string {
	var out []string
	for _, p := range t.parts {
		switch {
		case p.ref != "":
			out = append(out, p.ref)
		case p.prog != nil:
			out = append(out, progIdents(p.prog)...)
		}
	}
	return out
}

// progIdents returns the top-level names an expression refers to.
func progIdents(p *vm.Program) []string {
	v := &identCollector{}
	node := p.Node()
	ast.Walk(&node, v)
	return v.names
}

type identCollector struct{ names []string }

func (v *identCollector) Visit(n *ast.Node) {
	if id, ok := (*n).(*ast.IdentifierNode); ok {
		v.names = append(v.names, id.Value)
	}
}

// exec renders the template with env.
func (t *template) exec(env map[string]any) (string, error) {
	if len(t.parts) == 1 && t.parts[0].ref != "" {
		return formatValue(env[t.parts[0].ref]), nil
	}
	var b strings.Builder
	b.Grow(t.size)
	for _, p := range t.parts {
		switch {
		case p.prog != nil:
			v, err := run(p.prog, env)
			if err != nil {
				return "", fmt.Errorf("evaluate %q: %v", t.src, firstLine(err.Error()))
			}
			b.WriteString(formatValue(v))
		case p.ref != "":
			b.WriteString(formatValue(env[p.ref]))
		default:
			b.WriteString(p.lit)
		}
	}
	return b.String(), nil
}

// vms holds expr virtual machines for reuse: expr.Run makes a machine
// and its stack on every call, and a marksheet row runs dozens of
// expressions.
var vms = sync.Pool{New: func() any { return new(vm.VM) }}

// run evaluates prog with env on a pooled machine.
func run(prog *vm.Program, env any) (any, error) {
	m := vms.Get().(*vm.VM)
	v, err := m.Run(prog, env)
	vms.Put(m)
	return v, err
}

func formatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int:
		return strconv.Itoa(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return fmt.Sprint(v)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
