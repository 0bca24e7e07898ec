package testharness

import (
	"context"
	"net"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

func get(t *testing.T, c *clientv3.Client, key string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	resp, err := c.Get(ctx, key)
	if err != nil {
		return "", err
	}
	if len(resp.Kvs) == 0 {
		return "", nil
	}
	return string(resp.Kvs[0].Value), nil
}

func TestEtcdTLSStopRestartAndProxy(t *testing.T) {
	e := StartEtcd(t)
	e.Put(t, "/users/a", "1")
	c := e.Client(t)
	defer c.Close()
	if v, err := get(t, c, "/users/a"); err != nil || v != "1" {
		t.Fatalf("get /users/a = %q, %v", v, err)
	}

	// Without a client certificate etcd refuses the connection.
	tlsCfg, err := e.ClientTLS()
	if err != nil {
		t.Fatal(err)
	}
	tlsCfg.Certificates = nil
	anon, err := clientv3.New(clientv3.Config{Endpoints: []string{e.Endpoint()}, TLS: tlsCfg, DialTimeout: time.Second, Logger: zap.NewNop()})
	if err == nil {
		if _, err := get(t, anon, "/users/a"); err == nil {
			t.Errorf("a client without a certificate could read")
		}
		anon.Close()
	}

	// Through the proxy; Cut makes it unreachable, Restore brings it back.
	p := StartProxy(t, e.Addr())
	tlsCfg, _ = e.ClientTLS()
	pc, err := clientv3.New(clientv3.Config{Endpoints: []string{"https://" + p.Addr()}, TLS: tlsCfg, DialTimeout: 2 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if v, err := get(t, pc, "/users/a"); err != nil || v != "1" {
		t.Fatalf("get through the proxy = %q, %v", v, err)
	}
	p.Cut()
	if _, err := get(t, pc, "/users/a"); err == nil {
		t.Errorf("get through a cut proxy succeeded")
	}
	conn, err := net.DialTimeout("tcp", p.Addr(), time.Second)
	if err == nil {
		_ = conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		if n, err := conn.Read(make([]byte, 1)); n != 0 || !isTimeout(err) {
			t.Errorf("a connection to a cut proxy: read %d, %v; want a timeout (blackhole)", n, err)
		}
		conn.Close()
	}
	p.Restore()
	deadline := time.Now().Add(10 * time.Second)
	for {
		v, err := get(t, pc, "/users/a")
		if err == nil && v == "1" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("get through the restored proxy: %q, %v", v, err)
		}
		time.Sleep(100 * time.Millisecond)
	}

	e.Stop()
	if _, err := get(t, c, "/users/a"); err == nil {
		t.Errorf("get from a stopped etcd succeeded")
	}
	e.Restart()
	e.Put(t, "/users/b", "2")
	c2 := e.Client(t)
	defer c2.Close()
	for k, want := range map[string]string{"/users/a": "1", "/users/b": "2"} {
		if v, err := get(t, c2, k); err != nil || v != want {
			t.Errorf("after restart get %s = %q, %v; want %q", k, v, err, want)
		}
	}
	e.Delete(t, "/users/a")
	if v, err := get(t, c2, "/users/a"); err != nil || v != "" {
		t.Errorf("after delete get = %q, %v", v, err)
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

func TestSavantReaderStartsAndStops(t *testing.T) {
	r := StartSavantReader(t, SavantReaderConfig{Type: "sub", Endpoint: IPCEndpoint(t, "s"), Count: 1, Timeout: 5 * time.Second})
	if got := r.Wait(1, 200*time.Millisecond); len(got) != 0 {
		t.Errorf("a reader nobody writes to got %d messages", len(got))
	}
	r.Stop()
	<-r.Exited()
}
