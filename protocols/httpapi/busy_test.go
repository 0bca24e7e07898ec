package httpapi_test

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/netlimit"
	"github.com/streamgate/streamgate/protocols/httpapi"
)

// TestBusyAnswerOverTheLimit: with one connection held, the next client
// gets 503 with Retry-After, over plain HTTP and over TLS.
func TestBusyAnswerOverTheLimit(t *testing.T) {
	// httptest's server certificate, and a client that trusts it.
	ts := httptest.NewTLSServer(http.NotFoundHandler())
	defer ts.Close()
	for _, tt := range []struct {
		name   string
		tls    *tls.Config
		scheme string
	}{
		{"http", nil, "http"},
		{"https", &tls.Config{Certificates: ts.TLS.Certificates}, "https"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			limits := netlimit.New(nil, nil)
			limits.Set(1, 0)
			s, err := httpapi.Listen(httpapi.ServerConfig{Name: "api", Address: "127.0.0.1:0", TLS: tt.tls,
				ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second, Limits: limits,
				Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }),
				Logger:  slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = s.Shutdown(context.Background()) }()
			url := tt.scheme + "://" + s.Addr().String() + "/"
			client := func() *http.Client {
				tr := ts.Client().Transport.(*http.Transport).Clone()
				return &http.Client{Timeout: 5 * time.Second, Transport: tr}
			}
			holder := client() // keeps its connection open: the one slot
			defer holder.CloseIdleConnections()
			get := func(c *http.Client) (*http.Response, string) {
				t.Helper()
				resp, err := c.Get(url)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp, string(b)
			}
			if resp, body := get(holder); resp.StatusCode != http.StatusOK || body != "ok" {
				t.Fatalf("first client: %s %q", resp.Status, body)
			}
			other := client()
			defer other.CloseIdleConnections()
			resp, body := get(other)
			if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "1" || body != "too many connections\n" {
				t.Errorf("client over maxConnections: %s Retry-After=%q %q; want 503, Retry-After 1", resp.Status, resp.Header.Get("Retry-After"), body)
			}
		})
	}
}
