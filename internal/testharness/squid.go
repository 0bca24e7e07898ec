package testharness

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// SquidBinary is the shared cache StartSquid runs (Debian package squid).
const SquidBinary = "/usr/sbin/squid"

// Squid is a running Squid, a shared cache in reverse-proxy (accel) mode in
// front of one origin server.
type Squid struct {
	// Dir holds squid.conf, the pid file and the logs.
	Dir  string
	addr string
	log  *logBuffer
}

// StartSquid runs Squid as a caching reverse proxy of the HTTP server at
// origin (127.0.0.1:PORT), memory cache only, on a free 127.0.0.1 port,
// and returns once it forwards a request. Squid cannot listen on port 0 and
// report the port, so a port free a moment ago is tried, up to three times.
// Squid is killed when the test ends. Without /usr/sbin/squid the test
// fails under CI=true and is skipped otherwise.
func StartSquid(t testing.TB, origin string) *Squid {
	t.Helper()
	requireFile(t, SquidBinary, "squid")
	host, port, err := net.SplitHostPort(origin)
	if err != nil || host != "127.0.0.1" {
		t.Fatalf("testharness: squid origin %q: want 127.0.0.1:PORT", origin)
	}
	var last string
	for range 3 {
		// Squid drops root privileges to cache_effective_user, which must
		// reach and write the logs and the pid file: t.TempDir()'s parent
		// is private to the test's user, so the directory is made here.
		dir, err := os.MkdirTemp("", "streamgate-squid-")
		if err == nil {
			err = os.Chmod(dir, 0o777)
		}
		if err != nil {
			t.Fatalf("testharness: squid directory: %v", err)
		}
		t.Cleanup(func() { _ = os.RemoveAll(dir) })
		s := &Squid{Dir: dir, log: newLogBuffer()}
		s.addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(FreePort(t)))
		if s.start(t, port) {
			return s
		}
		last = s.logs()
	}
	t.Fatalf("testharness: squid did not start:\n%s", tail(last, 40))
	return nil
}

// squidConf is a caching reverse proxy of 127.0.0.1:ORIGIN, memory only
// (no cache_dir).
const squidConf = `http_port %[1]s accel defaultsite=127.0.0.1:%[2]s
cache_peer 127.0.0.1 parent %[2]s 0 no-query originserver no-digest login=PASSTHRU name=origin
http_access allow all
cache_peer_access origin allow all
never_direct allow all
cache_mem 64 MB
maximum_object_size_in_memory 16 MB
cache_effective_user %[4]s
pid_filename %[3]s/squid.pid
access_log stdio:%[3]s/access.log
cache_log %[3]s/cache.log
cache_store_log none
coredump_dir %[3]s
netdb_filename none
visible_hostname squid.test
shutdown_lifetime 0 seconds
dns_nameservers 127.0.0.1
`

func (s *Squid) start(t testing.TB, originPort string) bool {
	t.Helper()
	user := "proxy"
	if os.Getuid() != 0 {
		user = "nobody" // ignored when not started as root
	}
	conf := filepath.Join(s.Dir, "squid.conf")
	text := fmt.Sprintf(squidConf, s.addr, originPort, s.Dir, user)
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(SquidBinary, "-N", "-f", conf)
	cmd.Env = childEnv(nil)
	cmd.Stdout = s.log.writer("stdout")
	cmd.Stderr = s.log.writer("stderr")
	setProcAttr(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatalf("testharness: start squid: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return false
		default:
		}
		// Any answer (the origin's /health) means Squid listens and forwards.
		resp, err := http.Get("http://" + s.addr + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.Header.Get("Via") != "" || resp.Header.Get("X-Cache") != "" {
				t.Cleanup(func() {
					stop()
					if t.Failed() {
						t.Logf("squid logs (last lines):\n%s", tail(s.logs(), 40))
					}
				})
				return true
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	return false
}

// URL is http://SQUID/path.
func (s *Squid) URL(path string) string { return "http://" + s.addr + path }

// logs is Squid's output and cache.log.
func (s *Squid) logs() string {
	var b strings.Builder
	for _, l := range s.log.lines() {
		b.WriteString(l.text)
		b.WriteByte('\n')
	}
	for _, f := range []string{"cache.log", "access.log"} {
		if data, err := os.ReadFile(filepath.Join(s.Dir, f)); err == nil {
			fmt.Fprintf(&b, "--- %s\n%s", f, data)
		}
	}
	return b.String()
}
