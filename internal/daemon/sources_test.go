package daemon

import (
	"fmt"
	"log/slog"
	"net"
	"testing"

	"github.com/streamgate/streamgate/config"
	"github.com/streamgate/streamgate/protocols/source"
)

func sourcesYAML(t *testing.T, paths string) *config.Conf {
	t.Helper()
	c, err := config.Parse("s.yml", []byte("rtsp: no\nrtmp: no\nhls: no\nwebrtc: no\nsrt: no\napi: no\nmetrics: no\npaths:\n"+paths), nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func udpPort(t *testing.T) int {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	return pc.LocalAddr().(*net.UDPAddr).Port
}

// A reload keeps an unchanged source running (the same runner), restarts
// a changed one and stops a removed one.
func TestReloadSources(t *testing.T) {
	p1, p2 := udpPort(t), udpPort(t)
	cam := func(port int) string { return fmt.Sprintf("  cam:\n    source: udp+mpegts://127.0.0.1:%d\n", port) }
	other := "  other:\n    source: rtsp://u:p@127.0.0.1:1/x\n    sourceOnDemand: yes\n"
	d, err := New(sourcesYAML(t, cam(p1)+other), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = d.Shutdown(t.Context()) }()
	first, onDemand := d.sources["cam"].runner, d.sources["other"].runner
	if first.State() == source.StateIdle || onDemand.State() != source.StateIdle {
		t.Fatalf("states after start: cam %s (want running), other %s (want idle: on demand)", first.State(), onDemand.State())
	}
	if err := d.Reload(sourcesYAML(t, cam(p1)+other+"  added: {}\n")); err != nil {
		t.Fatal(err)
	}
	if d.sources["cam"].runner != first || d.sources["other"].runner != onDemand {
		t.Fatal("an unchanged source was restarted by a reload")
	}
	if err := d.Reload(sourcesYAML(t, cam(p2))); err != nil {
		t.Fatal(err)
	}
	if d.sources["cam"].runner == first || first.State() != source.StateIdle {
		t.Fatalf("a changed source was not restarted (old one %s)", first.State())
	}
	if d.sources["other"] != nil {
		t.Fatal("a removed source is still there")
	}
	if got := d.hub.SourceStates(); len(got) != 1 || got["cam"] == "" {
		t.Fatalf("SourceStates: %v", got)
	}
}
