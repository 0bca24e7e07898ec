package e2e_test

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/testharness"
)

// reloadOnFreePorts writes cfg(ports) with n 127.0.0.1 ports that were free
// a moment ago and waits until the daemon applied it. A port a parallel test
// took in between fails the listener's restart ("address already in use"):
// the reload is tried again with other ports. It returns the ports and how
// many listeners the successful reload restarted. d must have metrics.
func reloadOnFreePorts(t *testing.T, d *testharness.Daemon, n int, cfg func(ports []string) string) (ports []string, restarted int) {
	t.Helper()
	metric := func(name string) float64 { return d.Metric(t, name, nil) }
	for attempt := 1; ; attempt++ {
		ports = make([]string, n)
		for i := range ports {
			ports[i] = fmt.Sprintf("127.0.0.1:%d", testharness.FreePort(t))
		}
		ok, failed := metric("streamgate_config_reloads_total"), metric("streamgate_config_reload_errors_total")
		restarts, notRestarted := len(d.LogEntriesWhere("restarting listener: its settings changed")), len(d.LogEntriesWhere("listener not restarted"))
		writeConfig(t, d, cfg(ports))
		deadline := time.Now().Add(10 * time.Second)
		for metric("streamgate_config_reloads_total") == ok && metric("streamgate_config_reload_errors_total") == failed {
			if time.Now().After(deadline) {
				t.Fatalf("the reload was not applied within 10 s:\n%s", d.Logs())
			}
			time.Sleep(50 * time.Millisecond)
		}
		if metric("streamgate_config_reloads_total") > ok {
			return ports, len(d.LogEntriesWhere("restarting listener: its settings changed")) - restarts
		}
		collided := false
		for _, e := range d.LogEntriesWhere("listener not restarted")[notRestarted:] {
			collided = collided || strings.Contains(fmt.Sprint(e["error"]), "address already in use")
		}
		if !collided || attempt == 3 {
			t.Fatalf("the reload to %v failed (attempt %d):\n%s", ports, attempt, d.Logs())
		}
		t.Logf("a port of %v was taken before the reload bound it: trying other ports", ports)
	}
}

// reloadConfig is the reload test's configuration: RTSP on rtspAddr, RTMP
// and HLS on ephemeral ports, and users.
func reloadConfig(rtspAddr, users string) string {
	return fmt.Sprintf(`
rtsp: yes
rtspAddress: %s
rtspTransports: [tcp]
rtmp: yes
hls: yes
metrics: yes
authQuarantine: {failedAttemptLimit: 0, ipFailedAttemptLimit: 0}
authInternalUsers:
- {user: pub, pass: pub-secret-1, permissions: [{action: publish}]}
- {user: admin, pass: admin-secret-3, permissions: [{action: api}, {action: metrics}]}
- {user: other, pass: other-secret-6, permissions: [{action: api}, {action: read}]}
%s
paths:
  cam: {}
`, rtspAddr, users)
}

// writeConfig replaces the daemon's config file (testharness.ReplaceFile)
// and returns when.
func writeConfig(t *testing.T, d *testharness.Daemon, content string) time.Time {
	t.Helper()
	testharness.ReplaceFile(t, d.ConfigPath, content)
	return time.Now()
}

// Live reconfiguration with readers connected: ffmpeg RTSP and RTMP readers
// and a Go HLS reader of a stream published over RTMP.
//   - another user's password changed → the readers keep reading;
//   - the readers' own user removed → both disconnected within 1 s;
//   - an invalid file → old config kept, error logged, metric incremented;
//   - a new user → accepted without restart;
//   - the RTSP address changed → RTSP moves; the HLS reader goes on.
func TestReloadKeepsAuthorizedSessions(t *testing.T) {
	t.Parallel()
	// RTSP on an ephemeral port, read back; the file keeps 127.0.0.1:0 until
	// step 5 moves it.
	const anyPort = "127.0.0.1:0"
	viewer := "- {user: viewer, pass: view-secret-2, permissions: [{action: read}]}\n"
	hlsViewer := "- {user: hlsviewer, pass: hls-secret-4, permissions: [{action: read}]}\n"
	d := testharness.Start(t, reloadConfig(anyPort, viewer+hlsViewer), testharness.WithMetricsAuth("admin", "admin-secret-3"))
	rtspAddr := d.Addr("rtsp")
	pub := rtmpFFmpegPublish(t, rtmpURL(d, "cam?user=pub&pass=pub-secret-1"), 90)
	defer pub.stop(t)
	api := d.URL("api", "/v3/paths/list")
	waitStatus(t, "cam published", 15*time.Second, http.StatusOK, func() answer {
		a := get(t, api, basicAuth("admin", "admin-secret-3"))
		if !strings.Contains(a.body, `"name": "cam"`) {
			a.status = http.StatusNotFound
		}
		return a
	})
	reader := startPeer(t, "ffmpeg", "-hide_banner", "-nostdin", "-rtsp_transport", "tcp",
		"-i", "rtsp://viewer:view-secret-2@"+rtspAddr+"/cam", "-f", "null", "-")
	rtmpReader := startPeer(t, "ffmpeg", "-hide_banner", "-nostdin",
		"-i", rtmpURL(d, "cam?user=viewer&pass=view-secret-2"), "-f", "null", "-")
	frames, rec, stopHLS := hlsPlay(t, hlsURL(d, "cam/index.m3u8"), "hlsviewer", "hls-secret-4")
	defer stopHLS()
	// Frames flow: each ffmpeg reader's decoded-frame count moves.
	flowing := func(what string) { t.Helper(); waitFrames(t, what, 25, 15*time.Second, reader, rtmpReader) }
	flowing("before any reload")
	reloads := func() float64 { return d.Metric(t, "streamgate_config_reloads_total", nil) }
	waitReloads := func(n float64) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for reloads() < n {
			if time.Now().After(deadline) {
				t.Fatalf("reload %v not applied within 5 s:\n%s", n, d.Logs())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	// 1. Another user's password changes: the reader goes on.
	cfg := strings.Replace(reloadConfig(anyPort, viewer+hlsViewer), "other-secret-6", "other-secret-new", 1)
	writeConfig(t, d, cfg)
	waitReloads(1)
	flowing("after another user's password changed")
	wantStatus(t, "the other user's new password", get(t, api, basicAuth("other", "other-secret-new")), http.StatusOK)
	wantChallenge(t, "the other user's old password", get(t, api, basicAuth("other", "other-secret-6")), "streamgate")

	// 2. The readers' own user is removed: both disconnected within 1 s.
	cfg = strings.Replace(cfg, viewer, "", 1)
	written := writeConfig(t, d, cfg)
	for _, r := range []struct {
		name string
		p    *peerProc
	}{{"RTSP", reader}, {"RTMP", rtmpReader}} {
		select {
		case <-r.p.done:
			took := time.Since(written)
			t.Logf("the %s reader was disconnected %v after its user was removed from the file", r.name, took.Round(time.Millisecond))
			if took > time.Second {
				t.Errorf("the %s reader was disconnected after %v, want within 1 s", r.name, took)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("the %s reader of a removed user is still connected 5 s after the change:\n%s", r.name, d.Logs())
		}
	}

	// 3. An invalid file: the running configuration stays.
	errorsBefore := d.Metric(t, "streamgate_config_reload_errors_total", nil)
	writeConfig(t, d, cfg+"\nhlsVariant: carrier-pigeon\n")
	deadline := time.Now().Add(5 * time.Second)
	for d.Metric(t, "streamgate_config_reload_errors_total", nil) < errorsBefore+1 {
		if time.Now().After(deadline) {
			t.Fatalf("an invalid file did not increment streamgate_config_reload_errors_total:\n%s", d.Logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !d.WaitLog("configuration not reloaded", time.Second) || !d.WaitLog("carrier-pigeon", time.Second) {
		t.Errorf("the refused reload was not logged with its cause:\n%s", d.Logs())
	}
	wantStatus(t, "admin after the invalid file", get(t, api, basicAuth("admin", "admin-secret-3")), http.StatusOK)

	// 4. A new user works without a restart.
	pid := d.PID()
	cfg = strings.Replace(cfg, "paths:", "- {user: newbie, pass: newbie-secret-5, permissions: [{action: api}]}\npaths:", 1)
	writeConfig(t, d, cfg)
	waitStatus(t, "a user added to the file", 5*time.Second, http.StatusOK,
		func() answer { return get(t, api, basicAuth("newbie", "newbie-secret-5")) })
	if d.PID() != pid {
		t.Error("the daemon was restarted")
	}

	// 5. RTSP moves; the HLS reader on its own listener goes on.
	before := frames.Load()
	ports, _ := reloadOnFreePorts(t, d, 1, func(p []string) string { return strings.Replace(cfg, "rtspAddress: "+anyPort, "rtspAddress: "+p[0], 1) })
	moved := ports[0]
	// A reader of cam is answered at the new address (DESCRIBE: 200).
	if err := rtspDescribe("rtsp://other:other-secret-new@" + moved + "/cam"); err != nil {
		t.Errorf("DESCRIBE of cam at RTSP's new address %s: %v", moved, err)
	}
	if c, err := net.DialTimeout("tcp", rtspAddr, time.Second); err == nil {
		c.Close()
		t.Errorf("RTSP still listens on its old address %s", rtspAddr)
	}
	hlsDeadline := time.Now().Add(15 * time.Second)
	for frames.Load() < before+50 {
		if time.Now().After(hlsDeadline) {
			t.Fatalf("the HLS reader decoded %d access units in the 15 s after RTSP moved, want ≥ 50", frames.Load()-before)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, x := range rec.exchanges() {
		if x.status != http.StatusOK {
			t.Errorf("the HLS reader got %d for %s during the reloads", x.status, x.file)
		}
	}
	t.Logf("HLS reader: %d access units before RTSP moved, 50 more since", before)

	// 6. SIGHUP reloads the file as it is.
	n := reloads()
	d.Reload(t)
	waitReloads(n + 1)
	assertNotLogged(t, d, "view-secret-2", "hls-secret-4", "other-secret-new", "newbie-secret-5", "admin-secret-3")
}

// A change in etcd re-checks live sessions too: an RTSP reader whose etcd
// user is deleted is disconnected; a reader of another etcd user whose
// record did not change goes on.
func TestEtcdChangeEndsRevokedSessions(t *testing.T) {
	t.Parallel()
	e := testharness.StartEtcd(t)
	e.Put(t, "/users/goner", userRecord(seedHash1, ""))
	e.Put(t, "/users/stayer", userRecord(seedHash2, ""))
	d := startRTSPDaemon(t, rtspSetup{top: "authMethod: [internal, etcd]\n" + e.AuthEtcdYAML("  permissions: [{action: read}]\n")})
	pub := rtspFFmpegPublish(t, rtspURL(d, rtspPubUser, rtspPubPass, "cam"), 60, "tcp")
	defer pub.stop(t)
	rtspWaitPath(t, d, "cam", 15*time.Second, func(p rtspAPIPath) bool { return p.BytesReceived > 0 })
	read := func(user, pass string) *peerProc {
		return startPeer(t, "ffmpeg", "-hide_banner", "-nostdin", "-rtsp_transport", "tcp",
			"-i", rtspURL(d, user, pass, "cam"), "-f", "null", "-")
	}
	goner, stayer := read("goner", "password1"), read("stayer", "password2")
	rtspWaitPath(t, d, "cam", 15*time.Second, func(p rtspAPIPath) bool { return p.Readers >= 2 })
	deleted := time.Now()
	e.Delete(t, "/users/goner")
	select {
	case <-goner.done:
		t.Logf("the reader of the deleted etcd user was disconnected %v after the deletion", time.Since(deleted).Round(time.Millisecond))
	case <-time.After(5 * time.Second):
		t.Fatalf("the reader of a user deleted from etcd is still connected after 5 s:\n%s", d.Logs())
	}
	waitFrames(t, "the reader of an unchanged etcd user after the deletion", 25, 15*time.Second, stayer)
}

// A reload that changes authEtcd (here the prefix) swaps in a new store
// once it holds its users: the users under the new prefix log in, those
// only under the old one no longer do, and nothing else restarts.
func TestReloadSwitchesEtcdStore(t *testing.T) {
	t.Parallel()
	e := testharness.StartEtcd(t)
	e.Put(t, "/users/olduser", userRecord(seedHash1, ""))
	e.Put(t, "/people/newuser", userRecord(seedHash2, ""))
	cfg := func(prefix string) string {
		return "authMethod: [etcd]\nauthQuarantine: {failedAttemptLimit: 0, ipFailedAttemptLimit: 0}\n" +
			e.AuthEtcdYAML("  prefix: "+prefix+"\n  permissions: [{action: api}]\n")
	}
	d := testharness.Start(t, cfg("/users"))
	api := d.URL("api", "/v3/paths/list")
	wantStatus(t, "olduser before", get(t, api, basicAuth("olduser", "password1")), http.StatusOK)
	writeConfig(t, d, cfg("/people"))
	waitStatus(t, "newuser after the reload", 10*time.Second, http.StatusOK,
		func() answer { return get(t, api, basicAuth("newuser", "password2")) })
	wantChallenge(t, "olduser after the reload", get(t, api, basicAuth("olduser", "password1")), "streamgate")
}

// A reload that changes every media listener's settings restarts each of
// them at its new address (metrics and hub hooks survive the restarts), and
// the daemon keeps answering.
func TestReloadRestartsMediaListeners(t *testing.T) {
	t.Parallel()
	cfg := func(rtmp, hls, webrtc, variant string) string {
		return fmt.Sprintf(`
rtmp: yes
rtmpAddress: %s
srt: yes
hls: yes
hlsAddress: %s
hlsVariant: %s
webrtc: yes
webrtcAddress: %s
metrics: yes
authInternalUsers:
- {user: admin, pass: admin-secret-3, permissions: [{action: api}, {action: metrics}]}
paths:
  all_others:
`, rtmp, hls, variant, webrtc)
	}
	const anyPort = "127.0.0.1:0"
	d := testharness.Start(t, cfg(anyPort, anyPort, anyPort, "lowLatency"), testharness.WithMetricsAuth("admin", "admin-secret-3"))
	ports, restarted := reloadOnFreePorts(t, d, 3, func(p []string) string { return cfg(p[0], p[1], p[2], "fmp4") })
	rtmp, hls, webrtc := ports[0], ports[1], ports[2]
	for name, addr := range map[string]string{"rtmp": rtmp, "hls": hls, "webrtc": webrtc} {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			t.Errorf("%s does not listen at its new address %s: %v", name, addr, err)
			continue
		}
		c.Close()
	}
	if a := get(t, "http://"+hls+"/health"); a.status != http.StatusOK {
		t.Errorf("HLS /health at the new address: %d", a.status)
	}
	if restarted != 3 {
		t.Errorf("%d listeners restarted, want 3 (rtmp, hls, webrtc; srt unchanged)", restarted)
	}
}
