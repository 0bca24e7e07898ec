// Package redact masks the credentials a URL can carry — user info, query
// values, the fragment — wherever a URL is shown: the config API, config
// errors, logs. A URL of a backend (authHTTPAddress, authJWTJWKS, etcd
// endpoints, a source) may hold a password or a token; what is left (scheme,
// host, port, path, query keys) still tells which server is meant.
package redact

import "strings"

// Mask replaces each masked part (Go's url.URL.Redacted uses the same).
const Mask = "xxxxx"

// URL returns s with its credentials masked: the user info (a user name is
// kept when a password follows it, masked when alone: it may be a token),
// every query value (a parameter without a value entirely) and the
// fragment. s need not parse as a URL; text without "://" is returned as is.
func URL(s string) string {
	i := strings.Index(s, "://")
	if i < 0 {
		return s
	}
	head, rest := s[:i+3], s[i+3:]
	end := strings.IndexAny(rest, "?#")
	if end < 0 {
		end = len(rest)
	}
	main, tail := rest[:end], rest[end:]
	// The last '@' before the query ends the user info, even when the
	// password holds an unescaped '/' or '@' (masking too much is safe).
	if at := strings.LastIndexByte(main, '@'); at >= 0 {
		user, _, hasPass := strings.Cut(main[:at], ":")
		info := Mask
		if hasPass && user != "" && !strings.ContainsAny(user, "/@") {
			info = user + ":" + Mask
		}
		main = info + main[at:]
	}
	return head + main + maskTail(tail)
}

// maskTail masks a URL's "?query#fragment" part.
func maskTail(tail string) string {
	if tail == "" {
		return ""
	}
	var b strings.Builder
	query, frag, hasFrag := tail, "", false
	if tail[0] == '#' {
		query, frag, hasFrag = "", tail[1:], true
	} else if q, f, ok := strings.Cut(tail, "#"); ok {
		query, frag, hasFrag = q, f, true
	}
	if query != "" {
		b.WriteByte('?')
		for i, p := range strings.FieldsFunc(query[1:], func(r rune) bool { return r == '&' || r == ';' }) {
			if i > 0 {
				b.WriteByte('&')
			}
			if k, _, ok := strings.Cut(p, "="); ok {
				b.WriteString(k + "=" + Mask)
			} else {
				b.WriteString(Mask)
			}
		}
	}
	if hasFrag && frag != "" {
		b.WriteString("#" + Mask)
	}
	return b.String()
}

// Text masks every URL inside s (an error message, a log line): a URL runs
// from its scheme to the next white space, quote, backslash or angle
// bracket.
func Text(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "://")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		start := i
		for start > 0 && isSchemeByte(s[start-1]) {
			start--
		}
		end := i + 3 + strings.IndexFunc(s[i+3:], func(r rune) bool {
			return r <= ' ' || strings.ContainsRune("\"'`\\<>", r)
		})
		if end < i+3 {
			end = len(s)
		}
		b.WriteString(s[:start])
		b.WriteString(URL(s[start:end]))
		s = s[end:]
	}
}

func isSchemeByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'
}

// Error wraps err so that its message has every URL masked (Text);
// errors.Is and errors.As still reach err. Error(nil) is nil.
func Error(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if masked := Text(msg); masked != msg {
		return &maskedError{msg: masked, err: err}
	}
	return err
}

type maskedError struct {
	msg string
	err error
}

func (e *maskedError) Error() string { return e.msg }
func (e *maskedError) Unwrap() error { return e.err }
