package rtsp

import (
	"net"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/internal/promreg"
)

// Metrics are the RTSP listeners' counters, shared by rtsp and rtsps (the
// listener label tells them apart). A nil *Metrics counts nothing.
type Metrics struct {
	conns    *prometheus.GaugeVec
	sessions *prometheus.GaugeVec
	received *prometheus.CounterVec
	sent     *prometheus.CounterVec
	refused  *prometheus.CounterVec
}

// refusalKinds are the values of the kind label of
// streamgate_rtsp_auth_refusals_total: authn.Kind's names.
var refusalKinds = []authn.Kind{authn.KindAskCredentials, authn.KindDenied, authn.KindForbidden, authn.KindUnavailable}

// NewMetrics creates the counters and registers them with reg (nil: not
// registered); called again on the same registry (a listener restarted by
// a reload) it takes over the counters already there.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	return &Metrics{
		conns: promreg.GaugeVec(reg, "streamgate_rtsp_connections",
			"Open RTSP connections, by listener (rtsp, rtsps).", "listener"),
		sessions: promreg.GaugeVec(reg, "streamgate_rtsp_sessions",
			"RTSP sessions publishing or reading, by listener and action.", "listener", "action"),
		received: promreg.CounterVec(reg, "streamgate_rtsp_received_bytes_total",
			"Bytes received by RTSP listeners: read from TCP connections as they arrive (TLS records and "+
				"interleaved media included), and the RTP/RTCP bytes of a UDP session when it ends.", "listener"),
		sent: promreg.CounterVec(reg, "streamgate_rtsp_sent_bytes_total",
			"Bytes sent by RTSP listeners: written to TCP connections as they leave (TLS records and "+
				"interleaved media included), and the RTP/RTCP bytes of a UDP session when it ends.", "listener"),
		refused: promreg.CounterVec(reg, "streamgate_rtsp_auth_refusals_total",
			"RTSP requests refused by authentication, by listener and kind: ask (no credentials: 401 "+
				"challenge), denied (wrong credentials: 401), forbidden (403), unavailable (a backend down: 503).",
			"listener", "kind"),
	}
}

// listenerMetrics are one listener's series of Metrics, resolved once.
type listenerMetrics struct {
	conns              prometheus.Gauge
	publishing         prometheus.Gauge
	reading            prometheus.Gauge
	received, sent     prometheus.Counter
	refused            map[authn.Kind]prometheus.Counter
	refusedUnavailable prometheus.Counter
}

// forListener resolves the series of listener name, creating every label
// value so that they are exported (at 0) before anything happened. nil m:
// series that count into unregistered collectors.
func (m *Metrics) forListener(name string) *listenerMetrics {
	if m == nil {
		m = NewMetrics(nil)
	}
	lm := &listenerMetrics{
		conns:      m.conns.WithLabelValues(name),
		publishing: m.sessions.WithLabelValues(name, "publish"),
		reading:    m.sessions.WithLabelValues(name, "read"),
		received:   m.received.WithLabelValues(name),
		sent:       m.sent.WithLabelValues(name),
		refused:    map[authn.Kind]prometheus.Counter{},
	}
	for _, k := range refusalKinds {
		lm.refused[k] = m.refused.WithLabelValues(name, k.String())
	}
	lm.refusedUnavailable = lm.refused[authn.KindUnavailable]
	return lm
}

// refusal counts an authentication refusal; a kind outside the known ones
// is answered 503 (authResponse) and counted as unavailable.
func (lm *listenerMetrics) refusal(err error) {
	if c, ok := lm.refused[authn.KindOf(err)]; ok {
		c.Inc()
		return
	}
	lm.refusedUnavailable.Inc()
}

// countingConn counts the bytes read from and written to a connection.
type countingConn struct {
	net.Conn
	received, sent prometheus.Counter
}

func (c countingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.received.Add(float64(n))
	}
	return n, err
}

func (c countingConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	if n > 0 {
		c.sent.Add(float64(n))
	}
	return n, err
}
