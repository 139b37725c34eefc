package apisetu

import (
	"sync"

	"golang.org/x/time/rate"
)

// clientLimits keeps one token bucket per client: its own rate per minute,
// or the server's default (burst: a tenth of a minute's requests, at
// least 1). Clients are few and registered, so the map is not bounded.
type clientLimits struct {
	defaultPerMin int
	mu            sync.Mutex
	byID          map[string]*clientBucket
}

type clientBucket struct {
	perMin int
	lim    *rate.Limiter
}

func newClientLimits(defaultPerMin int) *clientLimits {
	return &clientLimits{defaultPerMin: defaultPerMin, byID: map[string]*clientBucket{}}
}

func (l *clientLimits) allow(r Requester) bool {
	per := r.RatePerMin
	if per <= 0 {
		per = l.defaultPerMin
	}
	if per <= 0 {
		return true
	}
	l.mu.Lock()
	b := l.byID[r.ID]
	if b == nil || b.perMin != per {
		b = &clientBucket{perMin: per, lim: rate.NewLimiter(rate.Limit(float64(per)/60), max(1, per/10))}
		l.byID[r.ID] = b
	}
	l.mu.Unlock()
	return b.lim.Allow()
}
