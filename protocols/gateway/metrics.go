package gateway

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/streamgate/streamgate/internal/promreg"
)

// peerMetrics count the client-certificate checks of Peers.
type peerMetrics struct {
	refused      *prometheus.CounterVec
	reloads      prometheus.Counter
	reloadErrors prometheus.Counter
}

func newPeerMetrics(reg prometheus.Registerer) *peerMetrics {
	return &peerMetrics{
		refused: promreg.MustRegister(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "streamgate_gateway_client_cert_refusals_total",
			Help: "Gateway TLS handshakes refused for the client certificate, by reason (untrusted, revoked, no_crl, crl_expired).",
		}, []string{"reason"})),
		reloads: promreg.MustRegister(reg, prometheus.NewCounter(prometheus.CounterOpts{
			Name: "streamgate_gateway_client_ca_reloads_total",
			Help: "Re-readings of gatewayClientCA (CAs and CRLs) after its files changed.",
		})),
		reloadErrors: promreg.MustRegister(reg, prometheus.NewCounter(prometheus.CounterOpts{
			Name: "streamgate_gateway_client_ca_reload_errors_total",
			Help: "Re-readings of gatewayClientCA that failed (the previous CAs and CRLs stay).",
		})),
	}
}
