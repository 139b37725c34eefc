package store

import (
	"bytes"
	"context"
	"fmt"
)

// copyBatch is how many objects CopyStore reads before writing them.
const copyBatch = 256

// CopyStore copies every object of src to dst (16 writes at a time),
// reads each back from dst and compares it, and returns how many objects
// were copied and verified. It can be run again after an interruption:
// an object already in dst with the same bytes is checked, not rewritten
// (stores are write-once). On an error, the count says how many were
// copied and verified before it.
func CopyStore(ctx context.Context, dst, src Store) (int, error) {
	var batch []Object
	copied := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := putVerified(ctx, dst, batch); err != nil {
			return err
		}
		copied += len(batch)
		batch = batch[:0]
		return nil
	}
	err := src.List(ctx, "", func(oi ObjectInfo) error {
		data, err := src.Get(ctx, oi.Key)
		if err != nil {
			return err
		}
		batch = append(batch, Object{Key: oi.Key, Data: data})
		if len(batch) == copyBatch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	return copied, err
}

// putVerified writes batch to dst and reads every object back.
func putVerified(ctx context.Context, dst Store, batch []Object) error {
	errs, err := PutAll(ctx, dst, batch, 16)
	if err != nil {
		return err
	}
	for i, perr := range errs {
		if perr != nil {
			return fmt.Errorf("copy %s: %w", batch[i].Key, perr)
		}
		got, err := dst.Get(ctx, batch[i].Key)
		if err != nil {
			return fmt.Errorf("verify %s: %w", batch[i].Key, err)
		}
		if !bytes.Equal(got, batch[i].Data) {
			return fmt.Errorf("verify %s: the target store returned different bytes", batch[i].Key)
		}
	}
	return nil
}
