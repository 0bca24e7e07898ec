package e2e_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/testharness"
)

// The gateway over HTTPS with client certificates verified against a CA
// (the Media Gateway's tls.peers): no certificate or one from another CA
// fails the handshake; a good one reaches Basic authentication.
func TestGatewayHTTPSWithClientCertificates(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ca := testharness.NewCA(t, dir, "ca")
	other := testharness.NewCA(t, dir, "other-ca")
	srvCert, srvKey := ca.IssueServer(t, dir, "server")
	goodCert, goodKey := ca.IssueClient(t, dir, "client")
	badCert, badKey := other.IssueClient(t, dir, "intruder")
	d := testharness.Start(t, fmt.Sprintf(`
gateway: yes
gatewayEncryption: yes
gatewayServerCert: %s
gatewayServerKey: %s
gatewayClientCA: %s
authInternalUsers:
- {user: cam, pass: cam-secret-1, permissions: [{action: gateway}]}
- {user: any, ips: [127.0.0.1], permissions: [{action: api}]}
savant:
  url: pub+bind:%s
`, srvCert, srvKey, ca.File, testharness.IPCEndpoint(t, "tls")))
	url := d.URL("gateway", "/")
	if url[:6] != "https:" {
		t.Fatalf("gateway URL %s is not https", url)
	}
	client := func(certFile, keyFile string) *http.Client {
		return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: ca.ClientTLS(t, certFile, keyFile)}}
	}
	for name, c := range map[string]*http.Client{"no client certificate": client("", ""), "certificate of another CA": client(badCert, badKey)} {
		if _, err := tryPost(c, url, "application/protobuf", nil, basicAuth("cam", "cam-secret-1")); err == nil {
			t.Errorf("%s: the request went through", name)
		}
	}
	good := client(goodCert, goodKey)
	a, err := tryPost(good, url, "application/protobuf", nil, basicAuth("cam", "cam-secret-1"))
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, "good certificate, good password, empty body", a, http.StatusBadRequest)
	a, err = tryPost(good, url, "application/protobuf", nil, basicAuth("cam", "wrong"))
	if err != nil {
		t.Fatal(err)
	}
	wantChallenge(t, "good certificate, wrong password", a, "streamgate")
	resp, err := good.Get(d.URL("gateway", "/health"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/health over TLS: %d", resp.StatusCode)
	}
}
