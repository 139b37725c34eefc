package apisetu

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	requests *prometheus.CounterVec
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{requests: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "issuerkit_apisetu_requests_total",
		Help: "Certificate API requests by client (\"unknown\" before authentication) and outcome: granted, refused (consent), not_found, bad_request, unauthenticated, rate_limited, error.",
	}, []string{"client", "outcome"})}
	reg.MustRegister(m.requests)
	return m
}

func (m *metrics) count(client, outcome string) {
	m.requests.WithLabelValues(client, outcome).Inc()
}
