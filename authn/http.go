package authn

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/streamgate/streamgate/authz"
	"github.com/streamgate/streamgate/internal/redact"
)

// HTTPConfig configures the http backend (authHTTP*).
type HTTPConfig struct {
	// Address is the URL credentials are POSTed to.
	Address string
	// Timeout bounds one call (connect, TLS, request, answer); default 5 s.
	Timeout time.Duration
	// Fingerprint, when set, pins the SHA-256 of the server's TLS leaf
	// certificate (hex, colons allowed) instead of checking its CA chain.
	Fingerprint string
	// Exclude are the permissions the backend is not asked about: a request
	// they allow is passed to the next backend.
	Exclude authz.Permissions
}

// HTTP is MediaMTX's external HTTP authentication: every request it is
// asked about is POSTed as JSON {user, password, token, ip, action, path,
// protocol, id, query} to Address; a 2xx answer allows exactly that request.
//
// Answers: 2xx → an Identity holding one permission, the requested action on
// the requested path (the server decided this request only); 5xx, a
// transport error or the timeout → an error, which the pipeline turns into
// "unavailable" (HTTP/RTSP 503, not cached, not counted by the quarantine);
// any other status → denied, or, when the client sent no credentials at all,
// "ask" (RTSP clients send credentials only once challenged, and MediaMTX
// auth servers expect that first empty request).
//
// The backend recognises every request it is asked about, so backends after
// it in authMethod see only the requests authHTTPExclude passes on. Failing
// closed therefore hits exactly the requests that reach it: with
// authMethod [internal, http], internal users are decided before the HTTP
// server is asked and keep working while it is down.
//
// One pooled keep-alive client serves every call of a configuration; calls
// run in parallel in their callers' goroutines. The pipeline caches the
// decisions (authCache).
type HTTP struct {
	url     string
	timeout time.Duration
	client  *http.Client
	exclude authz.Permissions
}

var _ Backend = (*HTTP)(nil)

// maxHTTPAnswer bounds how much of an answer's body is read (and dropped)
// so that the connection can be reused.
const maxHTTPAnswer = 64 << 10

// NewHTTP checks cfg and builds the backend's client; it opens no connection.
func NewHTTP(cfg HTTPConfig) (*HTTP, error) {
	u, err := url.Parse(cfg.Address)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("authn/http: address: want an http:// or https:// URL")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	client, err := newPooledClient(cfg.Timeout, cfg.Fingerprint, 0, false)
	if err != nil {
		return nil, fmt.Errorf("authn/http: fingerprint: %w", err)
	}
	return &HTTP{url: cfg.Address, timeout: cfg.Timeout, client: client, exclude: cfg.Exclude}, nil
}

// Name implements Backend.
func (b *HTTP) Name() string { return "http" }

// Close drops the pooled connections.
func (b *HTTP) Close() error {
	b.client.CloseIdleConnections()
	return nil
}

// httpAuthRequest is the body MediaMTX sends (seed 002), field for field.
type httpAuthRequest struct {
	User     string `json:"user"`
	Password string `json:"password"`
	Token    string `json:"token"`
	IP       string `json:"ip"`
	Action   string `json:"action"`
	Path     string `json:"path"`
	Protocol string `json:"protocol"`
	ID       string `json:"id"`
	Query    string `json:"query"`
}

// Authenticate implements Backend.
func (b *HTTP) Authenticate(ctx context.Context, req *Request) (*Identity, error) {
	if b.exclude.Allows(req.Action, req.Path) {
		return nil, ErrNotApplicable
	}
	ip := ""
	if req.IP.IsValid() {
		ip = req.IP.String()
	}
	body, err := json.Marshal(httpAuthRequest{
		User: req.Credentials.User, Password: req.Credentials.Pass, Token: req.Credentials.Token,
		IP: ip, Action: string(req.Action), Path: req.Path, Protocol: string(req.Protocol), ID: req.ID, Query: req.Query,
	})
	if err != nil {
		return nil, fmt.Errorf("authn/http: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, b.url, bytes.NewReader(body))
	if err != nil {
		return nil, redact.Error(fmt.Errorf("authn/http: %w", err)) // a parse error quotes the URL
	}
	hr.Header.Set("Content-Type", "application/json")
	resp, err := b.client.Do(hr)
	if err != nil {
		// url.Error holds the URL, which may hold credentials: keep the cause.
		if ue := (*url.Error)(nil); errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, redact.Error(fmt.Errorf("authn/http: auth server unreachable: %w", err))
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxHTTPAnswer))
	resp.Body.Close()
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		return &Identity{
			User:        req.Credentials.User,
			Backend:     "http",
			Permissions: authz.Permissions{{Action: req.Action, Path: authz.ExactPath(req.Path)}},
		}, nil
	case code >= 500:
		return nil, fmt.Errorf("authn/http: auth server answered %d", code)
	case req.Credentials.IsEmpty():
		return nil, &Error{Kind: KindAskCredentials, Reason: ReasonNoCredentials}
	default:
		return nil, denied(fmt.Sprintf("auth server answered %d", code))
	}
}
