package authn

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
)

// TokenSecretConfig is one secret file (authTokens.secrets).
type TokenSecretConfig struct {
	// ID names the secret for verifications and the metric.
	ID string
	// File holds the secret: the whole file, trailing white space ignored.
	File string
	// Encoding is "raw" (the bytes, the default) or "hex" (decoded).
	Encoding string
}

// ReadTokenSecret reads a secret file: the whole file with trailing white
// space trimmed, hex-decoded when encoding is "hex".
func ReadTokenSecret(file, encoding string) ([]byte, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	b = bytes.TrimRightFunc(b, unicode.IsSpace)
	switch encoding {
	case "", "raw":
	case "hex":
		d := make([]byte, hex.DecodedLen(len(b)))
		if _, err := hex.Decode(d, b); err != nil {
			return nil, fmt.Errorf("%s: not hex: %w", file, err)
		}
		b = d
	default:
		return nil, fmt.Errorf("%s: unknown encoding %q (raw, hex)", file, encoding)
	}
	if len(b) == 0 {
		return nil, fmt.Errorf("%s: empty secret", file)
	}
	return b, nil
}

// tokenSecrets holds the secrets in memory and re-reads their files every
// interval while polling runs. A file that cannot be read keeps its last
// loaded secret.
type tokenSecrets struct {
	configs  []TokenSecretConfig
	interval time.Duration
	logger   *slog.Logger
	current  atomic.Pointer[map[string][]byte]
	// generation counts the re-reads that changed a secret.
	generation atomic.Uint64

	startOnce sync.Once
	closeOnce sync.Once
	stop      chan struct{}
	done      chan struct{}
}

// newTokenSecrets loads every secret once; any unreadable file is an error.
func newTokenSecrets(configs []TokenSecretConfig, interval time.Duration, logger *slog.Logger) (*tokenSecrets, error) {
	s := &tokenSecrets{configs: configs, interval: interval, logger: logger, stop: make(chan struct{}), done: make(chan struct{})}
	m := make(map[string][]byte, len(configs))
	var errs []error
	for _, c := range configs {
		b, err := ReadTokenSecret(c.File, c.Encoding)
		if err != nil {
			errs = append(errs, fmt.Errorf("secret %s: %w", c.ID, err))
			continue
		}
		m[c.ID] = b
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	s.current.Store(&m)
	return s, nil
}

// get returns the secret with id, nil if unknown.
func (s *tokenSecrets) get(id string) []byte { return (*s.current.Load())[id] }

// reload re-reads every file.
func (s *tokenSecrets) reload() {
	old := *s.current.Load()
	m := make(map[string][]byte, len(s.configs))
	for _, c := range s.configs {
		b, err := ReadTokenSecret(c.File, c.Encoding)
		if err != nil {
			if s.logger != nil {
				s.logger.Warn("token secret not re-read; keeping the last loaded one", "secret", c.ID, "error", err)
			}
			b = old[c.ID]
		}
		if b != nil {
			m[c.ID] = b
		}
	}
	changed := len(m) != len(old)
	for id, b := range m {
		changed = changed || !bytes.Equal(old[id], b)
	}
	s.current.Store(&m)
	if changed {
		s.generation.Add(1)
	}
}

// start polls the files every interval until close.
func (s *tokenSecrets) start() {
	s.startOnce.Do(func() {
		if s.interval <= 0 {
			close(s.done)
			return
		}
		go func() {
			defer close(s.done)
			t := time.NewTicker(s.interval)
			defer t.Stop()
			for {
				select {
				case <-s.stop:
					return
				case <-t.C:
					s.reload()
				}
			}
		}()
	})
}

// close stops polling and waits for the poller to end.
func (s *tokenSecrets) close() {
	s.closeOnce.Do(func() {
		close(s.stop)
		started := true
		s.startOnce.Do(func() { started = false })
		if started {
			<-s.done
		}
	})
}
