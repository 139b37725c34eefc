package verify

import (
	"context"
	"sync"
)

// All checks files on n goroutines and reports each result, in the
// order of files, as soon as it and every earlier one are known; at most
// a window of results waits for a slow earlier file. It returns how many
// failed.
func All(ctx context.Context, files []string, n int, check func(string) error, report func(string, error)) int {
	const window = 256
	type result struct {
		i   int
		err error
	}
	tokens := make(chan struct{}, window)
	jobs := make(chan int)
	results := make(chan result, window)
	go func() {
		defer close(jobs)
		for i := range files {
			select {
			case tokens <- struct{}{}:
			case <-ctx.Done():
				return
			}
			jobs <- i
		}
	}()
	var wg sync.WaitGroup
	for range max(1, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				results <- result{i, check(files[i])}
			}
		}()
	}
	go func() { wg.Wait(); close(results) }()
	done := make(map[int]error, window)
	next, failed := 0, 0
	for r := range results {
		done[r.i] = r.err
		for {
			err, ok := done[next]
			if !ok {
				break
			}
			delete(done, next)
			if err != nil {
				failed++
			}
			report(files[next], err)
			next++
			<-tokens
		}
	}
	if next < len(files) { // interrupted
		failed += len(files) - next
	}
	return failed
}
