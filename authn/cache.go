package authn

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"log/slog"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// cacheKey is a keyed hash (HMAC-SHA256 with a per-process random key) of
// the credentials and the request: the cache never holds plaintext.
type cacheKey [sha256.Size]byte

// decisionCache holds recent decisions, positive and negative.
type decisionCache struct {
	lru   *lru.Cache[cacheKey, *cacheEntry]
	ttl   time.Duration
	pool  sync.Pool   // *keyer, keyed with the process key
	usage *cacheUsage // nil: evictions not tracked
}

// cacheUsage is the Media Gateway's cache usage tracker: one warning when
// the cache evicts threshold decisions within period — it is too small for
// its load.
type cacheUsage struct {
	period    time.Duration
	threshold int
	size      int
	logger    *slog.Logger

	mu    sync.Mutex
	start time.Time
	n     int
}

func (u *cacheUsage) evicted(now time.Time) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if now.Sub(u.start) >= u.period {
		u.start, u.n = now, 0
	}
	u.n++
	if u.n == u.threshold {
		u.logger.Warn("decision cache evicts often: authCache.size is small for the load",
			"evictions", u.n, "period", u.period.String(), "size", u.size)
	}
}

type cacheEntry struct {
	id      *Identity
	err     error
	backend string
	version uint64 // the user's version when decided (UserVersions)
	expires time.Time
}

func newDecisionCache(size int, ttl time.Duration) *decisionCache {
	if size <= 0 || ttl <= 0 {
		return nil
	}
	c, err := lru.New[cacheKey, *cacheEntry](size)
	if err != nil {
		panic(err) // size > 0 was checked
	}
	var key [32]byte
	if _, err := rand.Read(key[:]); err != nil {
		panic("authn: no randomness for the cache key: " + err.Error())
	}
	dc := &decisionCache{lru: c, ttl: ttl}
	dc.pool.New = func() any { return &keyer{h: hmac.New(sha256.New, key[:]), buf: make([]byte, 0, 512)} }
	return dc
}

// keyer is pooled scratch space, so that hashing allocates nothing.
type keyer struct {
	h   hash.Hash
	buf []byte
	out [sha256.Size]byte
}

// key hashes every field a decision depends on, each length-prefixed so
// that no two requests share an encoding. Query and ID are left out: they
// change per request (HLS segments) and do not change who the client is.
func (c *decisionCache) key(req *Request) cacheKey {
	kr := c.pool.Get().(*keyer)
	b := kr.buf[:0]
	digest := ""
	if d := req.Credentials.Digest; d != nil {
		digest = d.Response
	}
	for _, s := range [...]string{req.Credentials.User, req.Credentials.Pass, req.Credentials.Token, digest,
		string(req.Action), req.Path, string(req.Protocol)} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	ip := req.IP.As16()
	b = append(b, ip[:]...)
	if req.ClientCertVerified {
		b = append(b, 1) // a peer's grant over mutual TLS is not one over plain RTSP
	}
	kr.h.Reset()
	kr.h.Write(b)
	kr.h.Sum(kr.out[:0])
	if cap(b) <= 4096 {
		kr.buf = b
	}
	k := cacheKey(kr.out)
	c.pool.Put(kr)
	return k
}

func (c *decisionCache) get(k cacheKey, now time.Time) (*cacheEntry, bool) {
	e, ok := c.lru.Get(k)
	if !ok || now.After(e.expires) {
		return nil, false
	}
	return e, true
}

func (c *decisionCache) put(k cacheKey, e *cacheEntry, now time.Time) {
	exp := now.Add(c.ttl)
	if e.id != nil && !e.id.Expires.IsZero() && e.id.Expires.Before(exp) {
		exp = e.id.Expires // a cached decision never outlives its token
	}
	e.expires = exp
	if c.lru.Add(k, e) && c.usage != nil {
		c.usage.evicted(now)
	}
}
