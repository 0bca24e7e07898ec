package authn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/time/rate"

	"github.com/streamgate/streamgate/authz"
	"github.com/streamgate/streamgate/internal/redact"
)

// JWTAlgorithms are the only signature algorithms accepted: asymmetric ones.
// "none" and HS* are never accepted, so a JWKS public key can never be
// used as an HMAC secret (the classic algorithm-confusion forgery).
var JWTAlgorithms = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

// Defaults of JWTConfig.
const (
	DefaultJWKSRefreshInterval    = time.Hour
	DefaultJWKSUnknownKIDInterval = 10 * time.Second
	DefaultJWKSFetchTimeout       = 5 * time.Second
	DefaultMaxJWKSSize            = 1 << 20
	// MaxKeyWait bounds how long a request waits for keys: for the first
	// JWKS fetch, and for a refresh caused by an unknown kid.
	MaxKeyWait = time.Second
)

// JWTConfig configures the jwt backend (authJWT*).
type JWTConfig struct {
	// JWKS is the URL of the JSON Web Key Set that verifies tokens.
	JWKS string
	// Fingerprint, when set, pins the SHA-256 of the JWKS server's TLS leaf
	// certificate (hex, colons allowed) instead of checking its CA chain.
	Fingerprint string
	// ClaimKey names the claim holding the permissions.
	ClaimKey string
	// Exclude are the permissions the backend is not asked about.
	Exclude authz.Permissions
	// Issuer and Audience, when set, must match iss and be in aud.
	Issuer, Audience string
	// Leeway is the clock skew allowed on exp and nbf (at most 60 s).
	Leeway time.Duration
	// RefreshInterval is how often the JWKS is fetched again (default 1 h).
	RefreshInterval time.Duration
	// UnknownKIDInterval is the least time between two fetches caused by
	// tokens naming a key the set does not have (default 10 s): a flood of
	// random kids costs the JWKS server one request per interval.
	UnknownKIDInterval time.Duration
	// FetchTimeout bounds one fetch of the JWKS (default 5 s).
	FetchTimeout time.Duration
	// MaxJWKSSize caps the JWKS document (default 1 MiB).
	MaxJWKSSize int64
	// Logger receives refresh failures (nil: discarded).
	Logger *slog.Logger
}

// JWT verifies JSON Web Tokens against a JWKS (MediaMTX's authMethod jwt,
// without its pitfalls): only asymmetric algorithms, exp required, nbf,
// iss and aud checked, leeway bounded. Keys are fetched when the backend
// starts, again every RefreshInterval, and when a token names an unknown
// kid (rate-limited; a request never waits more than MaxKeyWait). A failed
// fetch keeps the last good keys.
//
// The token is the client's token, or its password when that has the shape
// of a JWT; anything else is not applicable. Permissions come from the
// ClaimKey claim (see parsePermissionClaim), the name from
// preferred_username, else sub. The identity expires with the token, so the
// pipeline never caches a decision past exp.
type JWT struct {
	cfg    JWTConfig
	client *http.Client
	parser *jwt.Parser
	mem    *jwkset.MemoryJWKSet
	logger *slog.Logger

	bg     context.Context
	cancel context.CancelFunc

	startOnce sync.Once
	ready     chan struct{} // closed when the first fetch is over
	kf        keyfunc.Keyfunc
	lastErr   atomic.Pointer[error] // the last failed fetch, nil after a good one
}

var _ Backend = (*JWT)(nil)

// NewJWT checks cfg and prepares the backend. It opens no connection: keys
// are fetched by Start (or by the first request).
func NewJWT(cfg JWTConfig) (*JWT, error) {
	u, err := url.Parse(cfg.JWKS)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("authn/jwt: JWKS: want an http:// or https:// URL")
	}
	if cfg.ClaimKey == "" {
		return nil, errors.New("authn/jwt: the permissions claim key is empty")
	}
	if cfg.Leeway < 0 || cfg.Leeway > time.Minute {
		return nil, fmt.Errorf("authn/jwt: leeway %s: want 0 to 60s", cfg.Leeway)
	}
	cfg.RefreshInterval = orDefault(cfg.RefreshInterval, DefaultJWKSRefreshInterval)
	cfg.UnknownKIDInterval = orDefault(cfg.UnknownKIDInterval, DefaultJWKSUnknownKIDInterval)
	cfg.FetchTimeout = orDefault(cfg.FetchTimeout, DefaultJWKSFetchTimeout)
	if cfg.MaxJWKSSize <= 0 {
		cfg.MaxJWKSSize = DefaultMaxJWKSSize
	}
	client, err := newPooledClient(cfg.FetchTimeout, cfg.Fingerprint, cfg.MaxJWKSSize, true)
	if err != nil {
		return nil, fmt.Errorf("authn/jwt: fingerprint: %w", err)
	}
	opts := []jwt.ParserOption{jwt.WithValidMethods(JWTAlgorithms), jwt.WithExpirationRequired(), jwt.WithLeeway(cfg.Leeway)}
	if cfg.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(cfg.Issuer))
	}
	if cfg.Audience != "" {
		opts = append(opts, jwt.WithAudience(cfg.Audience))
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	bg, cancel := context.WithCancel(context.Background())
	return &JWT{cfg: cfg, client: client, parser: jwt.NewParser(opts...), mem: jwkset.NewMemoryStorage(),
		logger: logger, bg: bg, cancel: cancel, ready: make(chan struct{})}, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Name implements Backend.
func (b *JWT) Name() string { return "jwt" }

// Start fetches the JWKS for the first time and starts the periodic
// refresh; it returns once that first fetch is over (its error, if any: the
// backend keeps retrying) or ctx ends. Calling it again only waits.
func (b *JWT) Start(ctx context.Context) error {
	b.startOnce.Do(func() { go b.start() })
	select {
	case <-b.ready:
		if p := b.lastErr.Load(); p != nil {
			return *p
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops the periodic refresh.
func (b *JWT) Close() error {
	b.cancel()
	b.client.CloseIdleConnections()
	return nil
}

func (b *JWT) start() {
	defer close(b.ready)
	st, err := jwkset.NewStorageFromHTTP(b.cfg.JWKS, jwkset.HTTPClientStorageOptions{
		Client:                    b.client,
		Ctx:                       b.bg,
		HTTPTimeout:               b.cfg.FetchTimeout,
		NoErrorReturnFirstHTTPReq: true, // start without keys; the refreshes fetch them
		RefreshErrorHandler:       b.fetchFailed,
		RefreshInterval:           b.cfg.RefreshInterval,
		Storage:                   b.mem,
	})
	if err == nil {
		var storage jwkset.Storage
		storage, err = jwkset.NewHTTPClient(jwkset.HTTPClientOptions{
			HTTPURLs:          map[string]jwkset.Storage{b.cfg.JWKS: st},
			RateLimitWaitMax:  MaxKeyWait,
			RefreshUnknownKID: rate.NewLimiter(rate.Every(b.cfg.UnknownKIDInterval), 1),
		})
		if err == nil {
			b.kf, err = keyfunc.New(keyfunc.Options{Ctx: b.bg, Storage: storage, UseWhitelist: []jwkset.USE{jwkset.UseSig, ""}})
		}
	}
	if err != nil {
		err = redact.Error(fmt.Errorf("authn/jwt: %w", err))
		b.lastErr.Store(&err)
		b.logger.Error("JWKS client not started", "error", err)
		return
	}
	if keys, _ := b.mem.KeyReadAll(b.bg); len(keys) == 0 {
		go b.retryUntilLoaded()
	}
}

// retryUntilLoaded fetches the JWKS again, backing off from 1 s to 30 s,
// until it holds keys: a JWKS server that starts after streamgate is not
// waited for until the next periodic refresh.
func (b *JWT) retryUntilLoaded() {
	wait := time.Second
	for {
		t := time.NewTimer(wait)
		select {
		case <-b.bg.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if keys, _ := b.mem.KeyReadAll(b.bg); len(keys) > 0 {
			return // an unknown kid or POST /v3/auth/jwks/refresh brought them
		}
		ctx, cancel := context.WithTimeout(b.bg, b.cfg.FetchTimeout)
		err := b.Refresh(ctx)
		cancel()
		if err == nil {
			if keys, _ := b.mem.KeyReadAll(b.bg); len(keys) > 0 {
				return
			}
		}
		wait = min(2*wait, 30*time.Second)
	}
}

// fetchFailed is called for every failed fetch but those of Refresh.
func (b *JWT) fetchFailed(_ context.Context, err error) {
	// The client's error quotes the URL, query token included.
	err = redact.Error(fmt.Errorf("authn/jwt: JWKS fetch: %w", err))
	b.lastErr.Store(&err)
	keys, _ := b.mem.KeyReadAll(b.bg)
	b.logger.Warn("JWKS fetch failed; keeping the last good keys", "jwks", redact.URL(b.cfg.JWKS), "keys", len(keys), "error", err)
}

// Refresh fetches the JWKS now (POST /v3/auth/jwks/refresh). On failure
// the last good keys stay and the error is returned.
func (b *JWT) Refresh(ctx context.Context) error {
	b.startOnce.Do(func() { go b.start() })
	select {
	case <-b.ready:
	case <-ctx.Done():
		return ctx.Err()
	}
	_, err := jwkset.NewStorageFromHTTP(b.cfg.JWKS, jwkset.HTTPClientStorageOptions{
		Client: b.client, Ctx: ctx, HTTPTimeout: b.cfg.FetchTimeout, Storage: b.mem,
	})
	if err != nil {
		err = redact.Error(fmt.Errorf("authn/jwt: JWKS refresh: %w", err))
		b.lastErr.Store(&err)
		b.logger.Warn("JWKS refresh failed; keeping the last good keys", "jwks", redact.URL(b.cfg.JWKS), "error", err)
		return err
	}
	b.lastErr.Store(nil)
	keys, _ := b.mem.KeyReadAll(ctx)
	b.logger.Info("JWKS refreshed", "jwks", redact.URL(b.cfg.JWKS), "keys", len(keys))
	return nil
}

// errNoKeys: no JWKS has been fetched yet; tokens cannot be checked.
var errNoKeys = errors.New("authn/jwt: no JWKS loaded")

// Authenticate implements Backend.
func (b *JWT) Authenticate(ctx context.Context, req *Request) (*Identity, error) {
	token := jwtFrom(req.Credentials)
	if token == "" || b.cfg.Exclude.Allows(req.Action, req.Path) {
		return nil, ErrNotApplicable
	}
	kf, err := b.keyfunc(ctx)
	if err != nil {
		return nil, err
	}
	kctx, cancel := context.WithTimeout(ctx, MaxKeyWait)
	defer cancel()
	claims := &jwtClaims{key: b.cfg.ClaimKey}
	if _, err := b.parser.ParseWithClaims(token, claims, kf.KeyfuncCtx(kctx)); err != nil {
		return nil, b.refusal(ctx, err)
	}
	perms, err := parsePermissionClaim(claims.Permissions)
	if err != nil {
		return nil, &Error{Kind: KindDenied, Reason: "malformed permissions claim", Err: err}
	}
	user := claims.user()
	if user == "" {
		// Every granted decision is logged with who was let in.
		return nil, denied("token names no user (preferred_username, sub)")
	}
	return &Identity{User: user, Backend: "jwt", Permissions: perms, Expires: claims.ExpiresAt.Time}, nil
}

// keyfunc waits at most MaxKeyWait for the first fetch.
func (b *JWT) keyfunc(ctx context.Context) (keyfunc.Keyfunc, error) {
	b.startOnce.Do(func() { go b.start() })
	select {
	case <-b.ready:
	default:
		t := time.NewTimer(MaxKeyWait)
		defer t.Stop()
		select {
		case <-b.ready:
		case <-t.C:
			return nil, errNoKeys
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if b.kf == nil {
		return nil, errNoKeys
	}
	return b.kf, nil
}

// refusal maps a parse error to the pipeline's answer. Reasons are for the
// decision log only.
func (b *JWT) refusal(ctx context.Context, err error) error {
	reason := "invalid token"
	switch {
	case errors.Is(err, errNotNumericDate):
		reason = "exp, nbf or iat not a NumericDate"
	case errors.Is(err, jwt.ErrTokenMalformed):
		reason = "malformed token"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		reason = "invalid signature or algorithm"
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		if keys, _ := b.mem.KeyReadAll(ctx); len(keys) == 0 {
			return fmt.Errorf("%w: %w", errNoKeys, err) // unavailable: nothing to check with
		}
		// The JWKS may gain the key soon (rotation): not cached.
		return &Error{Kind: KindDenied, Reason: "no matching key", Err: err, transient: true}
	case errors.Is(err, jwt.ErrTokenExpired):
		reason = "token expired"
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return &Error{Kind: KindDenied, Reason: "token not valid yet", Err: err, transient: true}
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		reason = "wrong issuer"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		reason = "wrong audience"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		reason = "required claim missing"
	}
	return &Error{Kind: KindDenied, Reason: reason, Err: err}
}
