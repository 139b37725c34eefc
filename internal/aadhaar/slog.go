package aadhaar

import (
	"context"
	"fmt"
	"log/slog"
)

// RedactHandler wraps a slog.Handler so that every log line goes through
// Redact: the message and every attribute value that prints as text
// (strings, errors, Stringers, groups' members). It is the one redaction
// between issuerkit's code and its log output.
func RedactHandler(h slog.Handler) slog.Handler { return redactHandler{h} }

type redactHandler struct{ h slog.Handler }

func (r redactHandler) Enabled(ctx context.Context, l slog.Level) bool { return r.h.Enabled(ctx, l) }

func (r redactHandler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, Redact(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redactAttr(a))
		return true
	})
	return r.h.Handle(ctx, out)
}

func (r redactHandler) WithAttrs(as []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(as))
	for i, a := range as {
		red[i] = redactAttr(a)
	}
	return redactHandler{r.h.WithAttrs(red)}
}

func (r redactHandler) WithGroup(name string) slog.Handler { return redactHandler{r.h.WithGroup(name)} }

func redactAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, Redact(v.String()))
	case slog.KindGroup:
		g := v.Group()
		red := make([]slog.Attr, len(g))
		for i, m := range g {
			red[i] = redactAttr(m)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(red...)}
	case slog.KindAny:
		// As the handler would print it; replaced by the redacted text only
		// when there is something to hide, so JSON keeps its shapes.
		var text string
		switch x := v.Any().(type) {
		case error:
			text = x.Error()
		case fmt.Stringer:
			text = x.String()
		case []byte:
			text = string(x)
		default:
			text = fmt.Sprint(x)
		}
		if red := Redact(text); red != text {
			return slog.String(a.Key, red)
		}
	case slog.KindInt64, slog.KindUint64:
		// A 12-digit Aadhaar logged as a number.
		if text := v.String(); Redact(text) != text {
			return slog.String(a.Key, Redact(text))
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
