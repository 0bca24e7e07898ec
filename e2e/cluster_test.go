package e2e_test

// Issue 18's fleet: three streamgate instances on one real etcd (TLS with
// client certificates), publish to any, read from any.

import (
	"bufio"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"slices"
	"strings"
	"testing"
	"time"

	pion "github.com/pion/webrtc/v4"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/internal/testharness"
)

// clusterLeaseTTL is the test instances' lease.
const clusterLeaseTTL = 3 * time.Second

// clusterSecret is the shared secret of the test cluster.
const clusterSecret = "cluster-shared-S3cret"

// startClusterInstance runs one instance named name of the cluster on e:
// RTSP and RTSPS, RTMP, SRT, HLS and WebRTC, the RTSP users, the paths cam and
// cam2 (and morePaths, path entries indented by two spaces). Peers relay over RTSPS with mutual TLS: etcd's server certificate
// (IP 127.0.0.1, server and client use, the test's CA) serves as every
// instance's RTSPS and peer client certificate.
func startClusterInstance(t testing.TB, e *testharness.Etcd, secretFile, name string, morePaths ...string) *testharness.Daemon {
	t.Helper()
	top := fmt.Sprintf(`hls: yes
webrtc: yes
webrtcIPsFromInterfaces: no
rtmp: yes
srt: yes
readTimeout: 5s
rtspEncryption: optional
rtspServerCert: %[3]s
rtspServerKey: %[4]s
cluster:
  enabled: yes
  name: %[1]s
  etcd: {endpoints: [%[2]s], tls: {ca: %[5]s, cert: %[6]s, key: %[7]s}, dialTimeout: 2s}
  advertiseAddress: 127.0.0.1:0
  leaseTTL: %[8]s
  secretFile: %[9]s
  tls: {ca: %[5]s, cert: %[3]s, key: %[4]s}
`, name, e.Endpoint(), e.ServerCertFile, e.ServerKeyFile, e.CAFile, e.CertFile, e.KeyFile, clusterLeaseTTL, secretFile)
	return startRTSPDaemon(t, rtspSetup{top: top, paths: "  cam: {}\n  cam2: {}\n" + strings.Join(morePaths, "")})
}

// clusterMember is one item of /v3/cluster/list.
type clusterMember struct {
	Name    string    `json:"name"`
	Address string    `json:"address"`
	State   string    `json:"state"`
	Paths   []string  `json:"paths"`
	Since   time.Time `json:"since"`
}

// clusterList asks d's /v3/cluster/list: its status and items.
func clusterList(t testing.TB, d *testharness.Daemon) (int, []clusterMember, string) {
	t.Helper()
	a := get(t, d.URL("api", "/v3/cluster/list"), basicAuth(rtspAdminUser, rtspAdminPass))
	if a.status != http.StatusOK {
		return a.status, nil, a.body
	}
	var list struct {
		ItemCount int             `json:"itemCount"`
		Items     []clusterMember `json:"items"`
	}
	if err := json.Unmarshal([]byte(a.body), &list); err != nil {
		t.Fatalf("/v3/cluster/list: %v: %s", err, a.body)
	}
	return a.status, list.Items, a.body
}

// clusterOwner is the instance d's /v3/cluster/list says publishes path
// ("" none, "?" the list refused).
func clusterOwner(t testing.TB, d *testharness.Daemon, path string) string {
	t.Helper()
	status, items, _ := clusterList(t, d)
	if status != http.StatusOK {
		return "?"
	}
	for _, m := range items {
		if slices.Contains(m.Paths, path) {
			return m.Name
		}
	}
	return ""
}

// clusterSecretFile writes secret (and a newline) to a file in dir, readable
// by its owner only, and returns its path: a cluster's secretFile.
func clusterSecretFile(t testing.TB, dir, secret string) string {
	t.Helper()
	return testharness.WriteFile(t, dir, "cluster.secret", secret+"\n")
}

// waitClusterListed waits until each of ds lists n instances in its
// /v3/cluster/list.
func waitClusterListed(t testing.TB, n int, ds ...*testharness.Daemon) {
	t.Helper()
	for _, d := range ds {
		testharness.WaitEvery(t, fmt.Sprintf("%d instances listed", n), 10*time.Second, clusterPoll, func() bool {
			status, items, _ := clusterList(t, d)
			return status == http.StatusOK && len(items) == n
		})
	}
}

// clusterPoll is how often the cluster tests poll a condition (most ask an
// instance's API).
const clusterPoll = 50 * time.Millisecond

// clusterDescribeFrom sends one DESCRIBE with Basic credentials from the
// local address local to addr (plain RTSP) and returns the status code.
func clusterDescribeFrom(t testing.TB, local, addr, path, user, pass string) string {
	t.Helper()
	return clusterRequest(t, local, addr, nil, "DESCRIBE", path, user, pass)
}

// clusterSDP is the description of an ANNOUNCE: one H.264 track.
const clusterSDP = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
	"m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1\r\na=control:trackID=0\r\n"

// clusterRequest sends one DESCRIBE or ANNOUNCE with Basic credentials from
// the local address local to addr, over TLS with tlsCfg when set, and
// returns the status code.
func clusterRequest(t testing.TB, local, addr string, tlsCfg *tls.Config, method, path, user, pass string) string {
	t.Helper()
	dialer := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}}
	var conn net.Conn
	var err error
	if tlsCfg != nil {
		conn, err = tls.DialWithDialer(&dialer, "tcp", addr, tlsCfg)
	} else {
		conn, err = dialer.Dial("tcp", addr)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	scheme := "rtsp"
	if tlsCfg != nil {
		scheme = "rtsps"
	}
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	req := fmt.Sprintf("%s %s://%s/%s RTSP/1.0\r\nCSeq: 1\r\nAuthorization: Basic %s\r\n", method, scheme, addr, path, auth)
	if method == "ANNOUNCE" {
		req += fmt.Sprintf("Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s", len(clusterSDP), clusterSDP)
	} else {
		req += "Accept: application/sdp\r\n\r\n"
	}
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	status, err := textproto.NewReader(bufio.NewReader(conn)).ReadLine()
	if err != nil {
		t.Fatalf("%s from %s: %v", method, local, err)
	}
	return rtspStatusCode(status)
}

// clusterPeerTLS is a TLS client of the instances' RTSPS listeners, with
// the peers' client certificate when withCert.
func clusterPeerTLS(t testing.TB, e *testharness.Etcd, withCert bool) *tls.Config {
	t.Helper()
	var certFile, keyFile string
	if withCert {
		certFile, keyFile = e.ServerCertFile, e.ServerKeyFile
	}
	cfg, err := testharness.ClientTLSConfig(e.CAFile, certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ServerName = "127.0.0.1"
	return cfg
}

// TestCluster runs the fleet acceptance of issue 18 on one setup of three
// instances a, b and c; the subtests run in order, each from the state the
// previous left.
func TestCluster(t *testing.T) {
	rtspRequireFFmpeg(t)
	e := testharness.StartEtcd(t)
	secretFile := clusterSecretFile(t, t.TempDir(), clusterSecret)
	a := startClusterInstance(t, e, secretFile, "a")
	b := startClusterInstance(t, e, secretFile, "b")
	c := startClusterInstance(t, e, secretFile, "c")
	waitClusterListed(t, 3, a, b, c)
	_, items, _ := clusterList(t, b)
	for _, m := range items {
		if m.State != "online" || m.Since.IsZero() || !strings.HasPrefix(m.Address, "127.0.0.1:") {
			t.Errorf("/v3/cluster/list item %+v", m)
		}
	}

	pubA := rtspFFmpegPublish(t, rtspURL(a, rtspPubUser, rtspPubPass, "cam"), 120, "tcp")
	rtspWaitPath(t, a, "cam", 20*time.Second, nil)
	testharness.WaitEvery(t, "c lists cam on a", 5*time.Second, clusterPoll, func() bool { return clusterOwner(t, c, "cam") == "a" })

	t.Run("second publisher on another instance refused", func(t *testing.T) {
		err := rtspTryPublish(b, rtspPubUser, rtspPubPass, "cam")
		if err == nil {
			t.Fatal("a second publisher of cam on b was accepted")
		}
		t.Logf("second publisher refused: %v", err)
		if owner := clusterOwner(t, c, "cam"); owner != "a" {
			t.Fatalf("cam's owner %q after the refused publisher, want a", owner)
		}
	})

	t.Run("read anywhere", func(t *testing.T) {
		// Wrong credentials on b: refused by b's own pipeline, nothing
		// reaches the cluster (no relay started).
		readNothing(t, "RTSP from c, wrong password", rtspURL(c, rtspReadUser, "wrong", "cam"))
		readNothing(t, "HLS from b, wrong password", "http://"+b.Addr("hls")+"/cam/index.m3u8",
			"-headers", "Authorization: "+basicHeader(rtspReadUser, "wrong")+"\r\n")
		// A relay's own read (its query marks it) is served from a local
		// publisher only: c, with no publisher of cam, relays it nowhere.
		if code := clusterDescribeFrom(t, "127.0.0.1", c.Addr("rtsp"), "cam?streamgate_relay=1", rtspReadUser, rtspReadPass); code != "404" {
			t.Fatalf("a relay's read of cam on c (no publisher there): %s, want 404 and no relay onward", code)
		}
		for _, d := range []*testharness.Daemon{b, c} {
			if n := d.Metric(t, "streamgate_cluster_relays_total", nil); n != 0 {
				t.Fatalf("a relay started for a refused reader or a relay's read: streamgate_cluster_relays_total %v", n)
			}
		}
		readFrames(t, "RTSP from c", rtspURL(c, rtspReadUser, rtspReadPass, "cam"), 25)
		n, code, out := ffmpegDecode(t, "http://"+b.Addr("hls")+"/cam/index.m3u8", 25,
			"-headers", "Authorization: "+basicHeader(rtspReadUser, rtspReadPass)+"\r\n")
		if n < 25 {
			t.Fatalf("HLS from b: %d frames (exit %d):\n%s", n, code, tail(out, 2000))
		}
		// RTMP and SRT readers go through the same relay.
		readFrames(t, "RTMP from c", rtmpURL(c, "cam?"+rtmpCreds(rtspReadUser, rtspReadPass)), 25)
		readFrames(t, "SRT from b", srtURL(b, srtID("read", "cam", rtspReadUser, rtspReadPass)), 25)
		// WHEP on b: a pion client gets video.
		clusterWHEPRead(t, b, "cam")
		// b serves cam from its peer a: the API says so, with a's name only.
		p := rtspWaitPath(t, b, "cam", 5*time.Second, nil)
		if p.Source == nil || p.Source.Type != "clusterPeer" || p.Source.ID != "a" {
			t.Errorf("b's /v3/paths/list source of cam: %+v, want clusterPeer a", p.Source)
		}
		assertNotLogged(t, b, authn.PeerPassword([]byte(clusterSecret), "b"), clusterSecret)
		assertNotLogged(t, a, authn.PeerPassword([]byte(clusterSecret), "b"), authn.PeerPassword([]byte(clusterSecret), "c"), clusterSecret)
	})

	t.Run("peer credential", func(t *testing.T) {
		user, pass := authn.PeerUser("b"), authn.PeerPassword([]byte(clusterSecret), "b")
		withCert, noCert := clusterPeerTLS(t, e, true), clusterPeerTLS(t, e, false)
		rtsps := a.Addr("rtsps")
		for _, c := range []struct {
			what         string
			local        string
			tls          *tls.Config
			addr, method string
			user, pass   string
			want         string
		}{
			// From b's address (all instances advertise 127.0.0.1) over
			// mutual TLS: accepted for reading.
			{"from the peer's address, mutual TLS", "127.0.0.1", withCert, rtsps, "DESCRIBE", user, pass, "200"},
			// From an address that is no instance's: refused as any login.
			{"from a non-peer address", "127.0.0.2", withCert, rtsps, "DESCRIBE", user, pass, "401"},
			// Without the client certificate (cluster.tls is set): refused.
			{"without a client certificate", "127.0.0.1", noCert, rtsps, "DESCRIBE", user, pass, "401"},
			{"over plain RTSP", "127.0.0.1", nil, a.Addr("rtsp"), "DESCRIBE", user, pass, "401"},
			// To publish: refused.
			{"to publish", "127.0.0.1", withCert, rtsps, "ANNOUNCE", user, pass, "403"},
			// A forged one (another secret): refused.
			{"forged", "127.0.0.1", withCert, rtsps, "DESCRIBE", user, authn.PeerPassword([]byte("guess"), "b"), "401"},
		} {
			if got := clusterRequest(t, c.local, c.addr, c.tls, c.method, "cam", c.user, c.pass); got != c.want {
				t.Errorf("peer credential %s: %s, want %s", c.what, got, c.want)
			}
		}
	})

	outer := t // b's publisher outlives its subtest
	t.Run("SIGKILL of the owner, republish elsewhere", func(t *testing.T) {
		r, err := rtspGoRead(rtspURL(c, rtspReadUser, rtspReadPass, "cam"))
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		ended := make(chan error, 1)
		go func() { ended <- r.c.Wait() }()
		testharness.WaitEvery(t, "c's relay reader gets packets", 10*time.Second, clusterPoll, func() bool { return r.packets.Load() > 10 })

		killed := time.Now()
		a.Kill()
		testharness.WaitEvery(t, "cam leaves b's /v3/cluster/list", clusterLeaseTTL+time.Second, clusterPoll, func() bool {
			return clusterOwner(t, b, "cam") == ""
		})
		t.Logf("cam left the registry %s after SIGKILL", time.Since(killed).Round(10*time.Millisecond))
		select {
		case err := <-ended:
			t.Logf("c's relay reader ended: %v", err)
		case <-time.After(10 * time.Second):
			t.Fatal("c's reader of a's stream still open 10 s after a died")
		}
		pubA.wait(t, 20*time.Second)
		testharness.WaitEvery(t, "a leaves the instances", 5*time.Second, clusterPoll, func() bool {
			_, items, _ := clusterList(t, c)
			return len(items) == 2
		})

		rtspFFmpegPublish(outer, rtspURL(b, rtspPubUser, rtspPubPass, "cam"), 120, "tcp") // for the next subtest too
		rtspWaitPath(t, b, "cam", 20*time.Second, func(p rtspAPIPath) bool { return p.Source != nil && p.Source.Type != "clusterPeer" })
		testharness.WaitEvery(t, "c lists cam on b", 5*time.Second, clusterPoll, func() bool { return clusterOwner(t, c, "cam") == "b" })
		readFrames(t, "RTSP from c after the republish", rtspURL(c, rtspReadUser, rtspReadPass, "cam"), 25)
	})

	t.Run("etcd outage", func(t *testing.T) {
		// cam is published on b; cam2 on c. A relay c ← b runs.
		pubC := rtspFFmpegPublish(t, rtspURL(c, rtspPubUser, rtspPubPass, "cam2"), 120, "tcp")
		defer pubC.stop(t)
		rtspWaitPath(t, c, "cam2", 20*time.Second, nil)
		testharness.WaitEvery(t, "b lists cam2 on c", 5*time.Second, clusterPoll, func() bool { return clusterOwner(t, b, "cam2") == "c" })
		r, err := rtspGoRead(rtspURL(c, rtspReadUser, rtspReadPass, "cam"))
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		testharness.WaitEvery(t, "c's relay reader gets packets", 10*time.Second, clusterPoll, func() bool { return r.packets.Load() > 10 })

		e.Stop()
		testharness.WaitEvery(t, "b's /v3/cluster/list answers 503", 2*clusterLeaseTTL, clusterPoll, func() bool {
			status, _, _ := clusterList(t, b)
			return status == http.StatusServiceUnavailable
		})
		if _, _, body := clusterList(t, b); !strings.Contains(body, "unreachable") {
			t.Errorf("503 body %q does not say the registry is unreachable", body)
		}
		// New remote read: refused clearly (503), not hanging.
		if got := clusterDescribeFrom(t, "127.0.0.1", b.Addr("rtsp"), "cam2", rtspReadUser, rtspReadPass); got != "503" {
			t.Errorf("new remote read during the outage: %s, want 503", got)
		}
		// Local reads go on, and so does the running relay, for the
		// whole outage (about 10 s).
		outage := time.Now()
		readFrames(t, "local RTSP read on b during the outage", rtspURL(b, rtspReadUser, rtspReadPass, "cam"), 25)
		for time.Since(outage) < 8*time.Second {
			before := r.packets.Load()
			testharness.WaitEvery(t, "the running relay c ← b still delivers", 5*time.Second, clusterPoll, func() bool { return r.packets.Load() > before+10 })
			time.Sleep(500 * time.Millisecond)
		}

		e.Restart()
		for _, d := range []*testharness.Daemon{b, c} {
			testharness.WaitEvery(t, "the registry is back with cam on b and cam2 on c", 20*time.Second, clusterPoll, func() bool {
				return clusterOwner(t, d, "cam") == "b" && clusterOwner(t, d, "cam2") == "c"
			})
		}
		readFrames(t, "remote read of cam2 on b after the outage", rtspURL(b, rtspReadUser, rtspReadPass, "cam2"), 25)
	})

	// No peer credential nor the secret in any log, failures included.
	var secrets []string
	for _, name := range []string{"a", "b", "c"} {
		secrets = append(secrets, authn.PeerPassword([]byte(clusterSecret), name))
	}
	for _, d := range []*testharness.Daemon{a, b, c} {
		assertNotLogged(t, d, append(secrets, clusterSecret)...)
	}
}

// clusterWHEPRead reads path from d over WHEP with a pion client (host
// candidates on loopback) as the viewer and fails the test when no video
// arrives within 20 s.
func clusterWHEPRead(t *testing.T, d *testharness.Daemon, path string) {
	t.Helper()
	pc, err := testharness.NewLoopbackPeerConnection(pion.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	testharness.Receive(t, pc, pion.RTPCodecTypeVideo, pion.RTPCodecTypeAudio)
	video := testharness.VideoArrives(pc)
	testharness.GatheredOfferWithin(t, pc, 20*time.Second)
	webrtcOffer(t, pc, "WHEP", webrtcURL(d, path+"/whep"), rtspReadUser, rtspReadPass)
	select {
	case <-video:
	case <-time.After(20 * time.Second):
		t.Fatalf("no video over WHEP within 20 s (state %v)", pc.ConnectionState())
	}
}
