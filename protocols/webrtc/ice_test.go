package webrtc

import (
	"net"
	"slices"
	"testing"

	"github.com/pion/ice/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// fakeMux lists the addresses a mux on 0.0.0.0 would.
type fakeMux struct{ ice.UDPMux }

func (fakeMux) GetListenAddresses() []net.Addr {
	var out []net.Addr
	for _, ip := range []string{"127.0.0.1", "192.0.2.10", "::1", "2001:db8::1"} {
		out = append(out, &net.UDPAddr{IP: net.ParseIP(ip), Port: 8189})
	}
	return out
}

// On an unspecified address the mux advertises IPv4 loopback only, or every
// IPv4 interface with IPsFromInterfaces.
func TestFilteredMux(t *testing.T) {
	for _, fromInterfaces := range []bool{false, true} {
		keep, err := ipFilter(Config{IPsFromInterfaces: fromInterfaces})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range (filteredMux{UDPMux: fakeMux{}, keep: keep}).GetListenAddresses() {
			got = append(got, a.String())
		}
		want := []string{"127.0.0.1:8189"}
		if fromInterfaces {
			want = append(want, "192.0.2.10:8189")
		}
		if !slices.Equal(got, want) {
			t.Errorf("IPsFromInterfaces %v: advertised %v, want %v", fromInterfaces, got, want)
		}
	}
}

func TestAdditionalHostsMustBeIPv4(t *testing.T) {
	if _, err := resolveHosts([]string{"2001:db8::1"}); err == nil {
		t.Error("an IPv6 additional host was accepted")
	}
	if got, err := resolveHosts([]string{"203.0.113.7"}); err != nil || !slices.Equal(got, []string{"203.0.113.7"}) {
		t.Errorf("resolveHosts: %v %v", got, err)
	}
}

// A second server on the same registry (a reload) shares the counters.
func TestMetricsReRegister(t *testing.T) {
	reg := prometheus.NewRegistry()
	a := newMetrics(reg)
	b := newMetrics(reg)
	if a.sessions != b.sessions || a.dropped != b.dropped {
		t.Error("the second registration made new counters")
	}
}

// webrtcIPsFromInterfacesList keeps the listed interfaces' addresses (and
// loopback); an unknown interface is an error at start.
func TestIPsFromInterfacesList(t *testing.T) {
	keep, err := ipFilter(Config{IPsFromInterfaces: true, IPsFromInterfacesList: []string{"lo"}})
	if err != nil {
		t.Fatal(err)
	}
	if !keep(net.ParseIP("127.0.0.1")) || keep(net.ParseIP("192.0.2.10")) {
		t.Error("with the list [lo]: want loopback kept, 192.0.2.10 dropped")
	}
	if _, err := ipFilter(Config{IPsFromInterfaces: true, IPsFromInterfacesList: []string{"no-such-if0"}}); err == nil {
		t.Error("an unknown interface: want an error")
	}
}
