package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/galenhealth/galen/inference"
)

// metrics are the server's Prometheus metrics, in a registry of its own so
// that servers in tests do not share state.
type metrics struct {
	reg           *prometheus.Registry
	requests      *prometheus.CounterVec
	latency       *prometheus.HistogramVec
	inference     *prometheus.HistogramVec
	auditFailures prometheus.Counter
	// authFailuresUnaudited counts failed authentications past the
	// audit log's rate limit (authaudit.go).
	authFailuresUnaudited prometheus.Counter
}

func newMetrics(models *inference.Manager) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "galen_http_requests_total", Help: "HTTP requests by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "galen_http_request_duration_seconds", Help: "HTTP request latency by route pattern and method.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 15),
		}, []string{"route", "method"}),
		inference: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "galen_inference_duration_seconds", Help: "Inference latency by model, queue wait included.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}, []string{"model"}),
		auditFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "galen_audit_write_failures_total", Help: "Audit events that could not be stored.",
		}),
		authFailuresUnaudited: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "galen_auth_failures_unaudited_total",
			Help: "Failed authentications not written to the audit log because more than its limit per second came.",
		}),
	}
	m.reg.MustRegister(m.requests, m.latency, m.inference, m.auditFailures, m.authFailuresUnaudited,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		queueCollector{models})
	return m
}

func (m *metrics) observeRequest(rt route, status int, d time.Duration) {
	m.requests.WithLabelValues(rt.Pattern, rt.Method, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(rt.Pattern, rt.Method).Observe(d.Seconds())
}

func (m *metrics) observeInference(model string, d time.Duration) {
	m.inference.WithLabelValues(model).Observe(d.Seconds())
}

// queueCollector reports the inference queues at scrape time.
type queueCollector struct{ models *inference.Manager }

var (
	queueDepthDesc = prometheus.NewDesc("galen_inference_queue_depth", "Inference requests waiting, by model.", []string{"model"}, nil)
	runningDesc    = prometheus.NewDesc("galen_inference_running", "Inference requests running, by model.", []string{"model"}, nil)
)

func (c queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- queueDepthDesc
	ch <- runningDesc
}

func (c queueCollector) Collect(ch chan<- prometheus.Metric) {
	for name, s := range c.models.QueueStats() {
		ch <- prometheus.MustNewConstMetric(queueDepthDesc, prometheus.GaugeValue, float64(s.Waiting), name)
		ch <- prometheus.MustNewConstMetric(runningDesc, prometheus.GaugeValue, float64(s.Running), name)
	}
}

// metaRoutes describe and measure the server itself.
func (s *Server) metaRoutes() []route {
	prom := promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{})
	return []route{
		{Method: "GET", Pattern: "/metrics", Roles: anyRole, Tag: "meta", Summary: "Prometheus metrics (text format)",
			Produces: []string{"text/plain", "application/openmetrics-text", "application/vnd.google.protobuf"},
			Handler:  func(w http.ResponseWriter, r *http.Request) error { prom.ServeHTTP(w, r); return nil }},
		{Method: "GET", Pattern: "/openapi.json", Roles: anyRole, Tag: "meta", Summary: "This API as an OpenAPI 3.1 document",
			Handler: func(w http.ResponseWriter, r *http.Request) error {
				w.Header().Set("Content-Type", "application/json")
				_, err := w.Write(s.openapi)
				return err
			}},
	}
}
