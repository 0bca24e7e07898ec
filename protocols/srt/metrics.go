package srt

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/streamgate/streamgate/internal/promreg"
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
	for _, code := range rejections {
		m.rejected.WithLabelValues(strconv.FormatUint(uint64(code), 10))
	}
	m.conns = promreg.MustRegister(reg, m.conns)
	m.rejected = promreg.MustRegister(reg, m.rejected)
	m.dropped = promreg.MustRegister(reg, m.dropped)
	m.muxErrors = promreg.MustRegister(reg, m.muxErrors)
	m.decodeErr = promreg.MustRegister(reg, m.decodeErr)
	return m
}

func (m *metrics) reject(code RejectCode) {
	m.rejected.WithLabelValues(strconv.FormatUint(uint64(code), 10)).Inc()
}
