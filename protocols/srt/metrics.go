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
		conns: promreg.GaugeVec(reg, "streamgate_srt_connections",
			"Open SRT connections, by mode (publish, read).", "mode"),
		rejected: promreg.CounterVec(reg, "streamgate_srt_rejected_total",
			"SRT handshakes rejected, by SRT rejection code.", "code"),
		dropped: promreg.Counter(reg, "streamgate_srt_reader_chunks_dropped_total",
			"MPEG-TS chunks dropped because an SRT reader's queue was full."),
		muxErrors: promreg.Counter(reg, "streamgate_srt_mux_errors_total",
			"Units that could not be muxed to MPEG-TS for SRT readers."),
		decodeErr: promreg.Counter(reg, "streamgate_srt_decode_errors_total",
			"MPEG-TS decode errors in streams published over SRT."),
	}
	m.conns.WithLabelValues("publish")
	m.conns.WithLabelValues("read")
	for _, code := range rejections {
		m.rejected.WithLabelValues(strconv.FormatUint(uint64(code), 10))
	}
	return m
}

func (m *metrics) reject(code RejectCode) {
	m.rejected.WithLabelValues(strconv.FormatUint(uint64(code), 10)).Inc()
}
