package srt

import (
	"errors"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	conns     *prometheus.GaugeVec
	rejected  *prometheus.CounterVec
	dropped   prometheus.Counter
	muxErrors prometheus.Counter
	decodeErr prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		conns: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "streamgate_srt_connections",
			Help: "Open SRT connections, by mode (publish, read)."}, []string{"mode"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "streamgate_srt_rejected_total",
			Help: "SRT handshakes rejected, by SRT rejection code."}, []string{"code"}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{Name: "streamgate_srt_reader_chunks_dropped_total",
			Help: "MPEG-TS chunks dropped because an SRT reader's queue was full."}),
		muxErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "streamgate_srt_mux_errors_total",
			Help: "Units that could not be muxed to MPEG-TS for SRT readers."}),
		decodeErr: prometheus.NewCounter(prometheus.CounterOpts{Name: "streamgate_srt_decode_errors_total",
			Help: "MPEG-TS decode errors in streams published over SRT."}),
	}
	m.conns.WithLabelValues("publish")
	m.conns.WithLabelValues("read")
	if reg != nil {
		m.conns = register(reg, m.conns)
		m.rejected = register(reg, m.rejected)
		m.dropped = register(reg, m.dropped)
		m.muxErrors = register(reg, m.muxErrors)
		m.decodeErr = register(reg, m.decodeErr)
	}
	return m
}

// register registers c, or returns the collector already registered under
// its name (a listener started twice in one process).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if old, ok := are.ExistingCollector.(C); ok {
				return old
			}
		}
	}
	return c
}

func (m *metrics) reject(code uint32) {
	m.rejected.WithLabelValues(strconv.FormatUint(uint64(code), 10)).Inc()
}
