package api

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	served   *prometheus.CounterVec
	pending  *prometheus.CounterVec
	missing  *prometheus.CounterVec
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "issuerkit_http_requests_total", Help: "HTTP requests by route pattern and status code.",
		}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "issuerkit_http_request_duration_seconds", Help: "HTTP request latency by route pattern.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route"}),
		served: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "issuerkit_documents_served_total", Help: "Documents served to lockers by DocType.",
		}, []string{"doctype"}),
		pending: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "issuerkit_documents_pending_total", Help: "Requests that matched a document held until its release (Status 9), by DocType.",
		}, []string{"doctype"}),
		missing: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "issuerkit_pull_missing_holder_field_total",
			Help: "Pull URI requests that found a record but lacked a holder field its pull policy requires (answered as not found), by DocType and field.",
		}, []string{"doctype", "field"}),
	}
	reg.MustRegister(m.requests, m.latency, m.served, m.pending, m.missing)
	return m
}

func (m *metrics) observe(route string, code int, d time.Duration) {
	m.requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
	m.latency.WithLabelValues(route).Observe(d.Seconds())
}
