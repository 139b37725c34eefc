package store

import (
	"context"

	"golang.org/x/sync/errgroup"
)

// Object is one key and its bytes.
type Object struct {
	Key  string
	Data []byte
}

// BatchPutter is implemented by stores that can make a group of puts durable
// together more cheaply than one at a time (the fs store syncs its file
// system once instead of every file).
type BatchPutter interface {
	// PutBatch stores every object with Put's write-once rules. errs[i] is
	// objs[i]'s outcome; every object without an error is durable when
	// PutBatch returns, and err reports a failure of the batch as a whole.
	PutBatch(ctx context.Context, objs []Object) (errs []error, err error)
}

// Unwrapper is implemented by Store decorators (a store that adds metrics,
// limits or faults around another): Unwrap returns the store underneath,
// so that its optional capabilities (BatchPutter) stay visible through the
// decorator, as restic's backends keep theirs. A decorator that must see
// every write implements those capabilities itself, and As finds its own
// first.
type Unwrapper interface {
	Unwrap() Store
}

// As returns the first store of the chain s, s.Unwrap(), … that implements
// T (an optional capability such as BatchPutter).
func As[T any](s Store) (T, bool) {
	for s != nil {
		if t, ok := s.(T); ok {
			return t, true
		}
		u, ok := s.(Unwrapper)
		if !ok {
			break
		}
		s = u.Unwrap()
	}
	var zero T
	return zero, false
}

// PutAll stores objs durably, through the PutBatch of the store or of one
// it wraps (As) when there is one, otherwise with up to parallel concurrent
// Puts. It returns one error per object (nil for success) and an error for
// the batch as a whole.
func PutAll(ctx context.Context, s Store, objs []Object, parallel int) ([]error, error) {
	if bp, ok := As[BatchPutter](s); ok {
		return bp.PutBatch(ctx, objs)
	}
	errs := make([]error, len(objs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(1, parallel))
	for i := range objs {
		g.Go(func() error {
			errs[i] = s.Put(gctx, objs[i].Key, objs[i].Data)
			return nil
		})
	}
	g.Wait()
	return errs, ctx.Err()
}
