package testharness

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// EtcdBinary is the etcd server the e2e tests run (Debian package etcd-server).
const EtcdBinary = "/usr/bin/etcd"

// Etcd is one real etcd server on 127.0.0.1, serving clients over TLS with
// client-certificate authentication (seed 001's setup), with its own CA.
type Etcd struct {
	// CAFile is the CA certificate (PEM) that signed the server and client certificates.
	CAFile string
	// CertFile and KeyFile are a client certificate and key etcd accepts.
	CertFile, KeyFile string
	// ServerCertFile and ServerKeyFile are etcd's own (IP SAN 127.0.0.1).
	ServerCertFile, ServerKeyFile string
	// Dir holds the certificates, the data directory and nothing else.
	Dir string

	t          testing.TB
	o          etcdOptions
	clientPort int
	peerPort   int

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	log    *logBuffer
}

// EtcdOption changes how StartEtcd runs etcd.
type EtcdOption func(*etcdOptions)

type etcdOptions struct {
	startTimeout time.Duration
}

// EtcdStartTimeout bounds how long StartEtcd and Restart wait for etcd to
// answer (default 20 s).
func EtcdStartTimeout(d time.Duration) EtcdOption {
	return func(o *etcdOptions) { o.startTimeout = d }
}

// StartEtcd runs /usr/bin/etcd on free 127.0.0.1 ports with a data directory
// under t.TempDir(): clients over https with --client-cert-auth, the peer URL
// plain http on loopback. It returns once etcd answers a read, and kills etcd
// when the test ends. Without /usr/bin/etcd the test fails under CI=true and
// is skipped otherwise.
func StartEtcd(t testing.TB, opts ...EtcdOption) *Etcd {
	t.Helper()
	requireFile(t, EtcdBinary, "etcd-server")
	e := &Etcd{t: t, Dir: t.TempDir(), o: etcdOptions{startTimeout: 20 * time.Second}, log: newLogBuffer()}
	for _, opt := range opts {
		opt(&e.o)
	}
	e.writeCerts(t)
	t.Cleanup(func() {
		e.Stop()
		if t.Failed() {
			t.Logf("etcd output (last lines):\n%s", tail(e.logs(), 40))
		}
	})
	// etcd must be told its ports: they were free a moment before it
	// starts, and a parallel test may bind one in between. Then etcd exits
	// at once ("address already in use"), and it is started again on other
	// ports, with a fresh data directory.
	for attempt := 1; ; attempt++ {
		e.clientPort, e.peerPort = FreePort(t), FreePort(t)
		err := e.startOnce()
		if err == nil {
			return e
		}
		if !errors.Is(err, errEtcdExited) || !strings.Contains(e.logs(), "address already in use") || attempt == 3 {
			t.Fatalf("testharness: %v", err)
		}
		t.Logf("testharness: etcd's port %d or %d was taken before it bound it: starting it on other ports", e.clientPort, e.peerPort)
		if err := os.RemoveAll(filepath.Join(e.Dir, "data")); err != nil {
			t.Fatalf("testharness: etcd data directory: %v", err)
		}
		e.log = newLogBuffer()
	}
}

// errEtcdExited: etcd exited before it answered a read.
var errEtcdExited = errors.New("etcd exited before it answered")

// requireFile is RequirePeer for an absolute path.
func requireFile(t testing.TB, path, debPackage string) {
	t.Helper()
	if _, err := os.Stat(path); err == nil {
		return
	}
	Missing(t, "%s is missing: install Debian package %s (make deps)", path, debPackage)
}

// Endpoint is etcd's client URL, https://127.0.0.1:PORT.
func (e *Etcd) Endpoint() string { return "https://" + e.Addr() }

// Addr is etcd's client address, 127.0.0.1:PORT.
func (e *Etcd) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(e.clientPort)) }

// Port is etcd's client port.
func (e *Etcd) Port() int { return e.clientPort }

func (e *Etcd) start() {
	e.t.Helper()
	if err := e.startOnce(); err != nil {
		e.t.Fatalf("testharness: %v", err)
	}
}

// startOnce starts etcd and waits until it answers a read.
func (e *Etcd) startOnce() error {
	client := "https://" + e.Addr()
	peer := "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(e.peerPort))
	cmd := exec.Command(EtcdBinary,
		"--name", "e2e",
		"--data-dir", filepath.Join(e.Dir, "data"),
		"--listen-client-urls", client, "--advertise-client-urls", client,
		"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
		"--initial-cluster", "e2e="+peer, "--initial-cluster-state", "new",
		"--client-cert-auth", "--trusted-ca-file", e.CAFile,
		"--cert-file", e.ServerCertFile, "--key-file", e.ServerKeyFile,
		"--logger", "zap", "--log-outputs", "stderr",
		// One member: a short election timeout only makes it lead sooner.
		"--heartbeat-interval", "20", "--election-timeout", "200",
	)
	cmd.Env = childEnv(nil)
	cmd.Stdout = e.log.writer("stdout")
	cmd.Stderr = e.log.writer("stderr")
	setProcAttr(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start etcd: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	e.mu.Lock()
	e.cmd, e.exited = cmd, exited
	e.mu.Unlock()
	deadline := time.Now().Add(e.o.startTimeout)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("%w:\n%s", errEtcdExited, tail(e.logs(), 40))
		default:
		}
		if last = e.ping(); last == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("etcd did not answer within %s: %v\n%s", e.o.startTimeout, last, tail(e.logs(), 40))
}

func (e *Etcd) ping() error {
	c, err := e.client(time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err = c.Get(ctx, "/", clientv3.WithCountOnly())
	return err
}

// Stop kills etcd (SIGKILL: no goodbye to its clients) and waits for it to
// exit; the data directory and ports are kept for Restart. Stopping a
// stopped etcd does nothing.
func (e *Etcd) Stop() {
	e.mu.Lock()
	cmd, exited := e.cmd, e.exited
	e.cmd = nil
	e.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	<-exited
}

// Restart starts a stopped etcd again on the same data and ports, and
// returns once it answers.
func (e *Etcd) Restart() {
	e.t.Helper()
	e.Stop()
	e.start()
}

// Client is a new client of this etcd (the caller closes it).
func (e *Etcd) Client(t testing.TB) *clientv3.Client {
	t.Helper()
	c, err := e.client(5 * time.Second)
	if err != nil {
		t.Fatalf("testharness: etcd client: %v", err)
	}
	return c
}

func (e *Etcd) client(dial time.Duration) (*clientv3.Client, error) {
	tlsCfg, err := e.ClientTLS()
	if err != nil {
		return nil, err
	}
	return clientv3.New(clientv3.Config{Endpoints: []string{e.Endpoint()}, TLS: tlsCfg, DialTimeout: dial, Logger: zap.NewNop()})
}

// ClientTLS is the TLS configuration of a client with the client certificate.
func (e *Etcd) ClientTLS() (*tls.Config, error) {
	return ClientTLSConfig(e.CAFile, e.CertFile, e.KeyFile)
}

// Put writes key = value (a fresh client, so it works right after Restart).
func (e *Etcd) Put(t testing.TB, key, value string) {
	t.Helper()
	e.do(t, "put "+key, func(ctx context.Context, c *clientv3.Client) error {
		_, err := c.Put(ctx, key, value)
		return err
	})
}

// Delete removes key.
func (e *Etcd) Delete(t testing.TB, key string) {
	t.Helper()
	e.do(t, "delete "+key, func(ctx context.Context, c *clientv3.Client) error {
		_, err := c.Delete(ctx, key)
		return err
	})
}

// do runs op with a fresh client within 5 s and fails the test with what
// when it fails.
func (e *Etcd) do(t testing.TB, what string, op func(context.Context, *clientv3.Client) error) {
	t.Helper()
	c := e.Client(t)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := op(ctx, c); err != nil {
		t.Fatalf("testharness: etcd %s: %v", what, err)
	}
}

func (e *Etcd) logs() string {
	var out []byte
	for _, l := range e.log.lines() {
		out = append(out, l.text...)
		out = append(out, '\n')
	}
	return string(out)
}

// writeCerts creates a CA, a server certificate for 127.0.0.1 and a client
// certificate in e.Dir/certs.
func (e *Etcd) writeCerts(t testing.TB) {
	t.Helper()
	dir := filepath.Join(e.Dir, "certs")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatalf("testharness: etcd certificates: %v", err)
	}
	ca := NewCA(t, dir, "ca")
	e.CAFile = ca.File
	// etcd's own gRPC gateway dials etcd with the server certificate, so it
	// is a client certificate too (IssueServer makes server certificates so).
	e.ServerCertFile, e.ServerKeyFile = ca.IssueServer(t, dir, "server")
	e.CertFile, e.KeyFile = ca.IssueClient(t, dir, "client")
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := 0
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '\n' {
			lines++
			if lines > n {
				return s[i+1:]
			}
		}
	}
	return s
}

// String describes the server for failure messages.
func (e *Etcd) String() string { return fmt.Sprintf("etcd at %s", e.Endpoint()) }

// AuthEtcdYAML is the authEtcd section of a streamgate configuration that
// uses e over TLS with the test's client certificate; more are further keys
// of the section, each line indented by two spaces.
func (e *Etcd) AuthEtcdYAML(more string) string {
	return fmt.Sprintf("authEtcd:\n  endpoints: [%s]\n  tls: {ca: %s, cert: %s, key: %s}\n  dialTimeout: 5s\n%s",
		e.Endpoint(), e.CAFile, e.CertFile, e.KeyFile, more)
}
