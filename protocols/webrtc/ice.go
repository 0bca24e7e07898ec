package webrtc

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
)

// newSettingEngine builds the ICE settings every peer connection shares:
// UDP over IPv4 only, loopback candidates included, interface addresses
// only with IPsFromInterfaces, AdditionalHosts advertised besides the
// gathered candidates (same port), and one UDP socket for all sessions when
// LocalUDPAddress is set (the returned mux, nil otherwise).
func newSettingEngine(cfg Config, logs pionLogs) (webrtc.SettingEngine, ice.UDPMux, error) {
	var se webrtc.SettingEngine
	se.LoggerFactory = logs
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIncludeLoopbackCandidate(true)
	// Resolve browsers' mDNS (.local) candidates; never advertise our own.
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeQueryOnly)
	se.SetSTUNGatherTimeout(cfg.STUNGatherTimeout)
	keep, err := ipFilter(cfg)
	if err != nil {
		return se, nil, err
	}
	se.SetIPFilter(keep)

	hosts, err := resolveHosts(cfg.AdditionalHosts)
	if err != nil {
		return se, nil, err
	}
	if len(hosts) > 0 {
		err := se.SetICEAddressRewriteRules(webrtc.ICEAddressRewriteRule{External: hosts,
			AsCandidateType: webrtc.ICECandidateTypeHost, Mode: webrtc.ICEAddressRewriteAppend,
			Networks: []webrtc.NetworkType{webrtc.NetworkTypeUDP4}})
		if err != nil {
			return se, nil, fmt.Errorf("webrtc: webrtcAdditionalHosts: %w", err)
		}
	}
	if cfg.LocalUDPAddress == "" {
		return se, nil, nil
	}
	mux, err := listenUDPMux(cfg.LocalUDPAddress, keep, logs)
	if err != nil {
		return se, nil, err
	}
	se.SetICEUDPMux(mux)
	return se, mux, nil
}

// ipFilter keeps the IPv4 addresses to gather candidates on: loopback, and
// the interfaces' with IPsFromInterfaces (only those of the interfaces
// IPsFromInterfacesList names, when it names any; looked up at start).
func ipFilter(cfg Config) (func(net.IP) bool, error) {
	listed, err := interfaceIPs(cfg.IPsFromInterfacesList)
	if err != nil {
		return nil, err
	}
	return func(ip net.IP) bool {
		if ip.To4() == nil {
			return false
		}
		if ip.IsLoopback() {
			return true
		}
		return cfg.IPsFromInterfaces && (listed == nil || listed[ip.String()])
	}, nil
}

// interfaceIPs are the addresses of the named interfaces; nil for none.
func interfaceIPs(names []string) (map[string]bool, error) {
	if len(names) == 0 {
		return nil, nil
	}
	out := map[string]bool{}
	for _, n := range names {
		ifc, err := net.InterfaceByName(n)
		if err != nil {
			return nil, fmt.Errorf("webrtc: webrtcIPsFromInterfacesList: %s: %w", n, err)
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			return nil, fmt.Errorf("webrtc: webrtcIPsFromInterfacesList: %s: %w", n, err)
		}
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok {
				out[ipn.IP.String()] = true
			}
		}
	}
	return out, nil
}

// resolveHosts turns webrtcAdditionalHosts into IPv4 addresses; host names
// are resolved once, at start.
func resolveHosts(hosts []string) ([]string, error) {
	var out []string
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			if ip.To4() == nil {
				return nil, fmt.Errorf("webrtc: webrtcAdditionalHosts: %s: only IPv4 is supported", h)
			}
			out = append(out, ip.String())
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		ips, err := net.DefaultResolver.LookupIP(ctx, "ip4", h)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("webrtc: webrtcAdditionalHosts: %w", err)
		}
		for _, ip := range ips {
			out = append(out, ip.String())
		}
	}
	return out, nil
}

// listenUDPMux opens the one ICE socket. On an unspecified address (":8189")
// the mux would advertise every interface: keep filters them as the setting
// engine does for ephemeral sockets.
func listenUDPMux(address string, keep func(net.IP) bool, logs pionLogs) (ice.UDPMux, error) {
	addr, err := net.ResolveUDPAddr("udp4", address)
	if err != nil {
		return nil, fmt.Errorf("webrtc: webrtcLocalUDPAddress: %w", err)
	}
	conn, err := net.ListenUDP("udp4", addr)
	if err != nil {
		return nil, fmt.Errorf("webrtc: webrtcLocalUDPAddress: %w", err)
	}
	mux := webrtc.NewICEUDPMux(logs.NewLogger("udpmux"), conn)
	if addr.IP != nil && !addr.IP.IsUnspecified() {
		return mux, nil // an address of the operator's choice: advertised as it is
	}
	return filteredMux{UDPMux: mux, keep: keep}, nil
}

// filteredMux advertises only the listen addresses keep accepts.
type filteredMux struct {
	ice.UDPMux
	keep func(net.IP) bool
}

// GetListenAddresses implements ice.UDPMux.
func (m filteredMux) GetListenAddresses() []net.Addr {
	var out []net.Addr
	for _, a := range m.UDPMux.GetListenAddresses() {
		if u, ok := a.(*net.UDPAddr); ok && m.keep(u.IP) {
			out = append(out, a)
		}
	}
	return out
}
