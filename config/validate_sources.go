package config

import (
	"encoding/hex"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/streamgate/streamgate/internal/redact"
)

// validateSource checks a path's source keys (MediaMTX's): the URL of a
// pulled source per scheme, on a named path only. Messages show the URL
// redacted: it may hold the camera's password.
func validateSource(d *decoder, key string, np *NamedPath) {
	src := np.Source
	shown := redact.URL(src)
	oneOf(d, key+".rtspTransport", np.RTSPTransport, "automatic", "udp", "multicast", "tcp")
	validateRange(d, key, np.RTSPRangeType, np.RTSPRangeStart)
	if fp := strings.ReplaceAll(np.SourceFingerprint, ":", ""); fp != "" {
		if b, err := hex.DecodeString(fp); err != nil || len(b) != 32 {
			d.errAt(key+".sourceFingerprint", "want the hex SHA-256 of the certificate (64 hex digits)")
		}
	}
	if np.SourceOnDemand {
		positive(d, key+".sourceOnDemandStartTimeout", np.SourceOnDemandStartTimeout)
		positive(d, key+".sourceOnDemandCloseAfter", np.SourceOnDemandCloseAfter)
	}
	switch src {
	case "publisher":
		return
	case "redirect":
		if np.SourceRedirect == "" {
			d.errAt(key+".source", "redirect needs sourceRedirect, an rtsp:// or rtsps:// URL")
		} else if u, err := url.Parse(np.SourceRedirect); err != nil || (u.Scheme != "rtsp" && u.Scheme != "rtsps") || u.Host == "" {
			d.errAt(key+".sourceRedirect", "source redirect needs an rtsp:// or rtsps:// URL, got %q", redact.URL(np.SourceRedirect))
		}
		return
	}
	if np.Name != "" && (np.catchAll || np.Matcher.IsRegexp()) {
		d.errAt(key+".source", "a path with a regular expression (or all_others) cannot pull a source; give the source its own path")
		return
	}
	u, err := url.Parse(src)
	if err != nil || u.Scheme == "" {
		d.errAt(key+".source", "want publisher or a source URL, got %q", shown)
		return
	}
	scheme := strings.ToLower(u.Scheme)
	switch scheme {
	case "rtsp", "rtsps", "rtmp", "rtmps", "http", "https", "whep", "wheps":
		if u.Host == "" {
			d.errAt(key+".source", "%s: want a host, got %q", scheme, shown)
		}
	case "srt":
		if !hostPort(u.Host) {
			d.errAt(key+".source", "srt: want srt://host:port?streamid=…, got %q", shown)
		}
		if p := u.Query().Get("passphrase"); p != "" && (len(p) < 10 || len(p) > 79) {
			d.errAt(key+".source", "srt: the passphrase must be 10 to 79 characters, got %d", len(p))
		}
	case "udp", "udp+mpegts":
		if !hostPort(u.Host) {
			d.errAt(key+".source", "%s: want %s://address:port, got %q", scheme, scheme, shown)
		}
	default:
		d.errAt(key+".source", "scheme %q is not supported (rtsp, rtsps, rtmp, rtmps, srt, http, https, udp, udp+mpegts, whep, wheps)", scheme)
	}
	if np.SourceFingerprint != "" && !slices.Contains([]string{"rtsps", "rtmps", "https", "wheps"}, scheme) {
		d.errAt(key+".sourceFingerprint", "applies to rtsps, rtmps, https and wheps sources only")
	}
}

func hostPort(hp string) bool {
	_, port, err := net.SplitHostPort(hp)
	if err != nil {
		return false
	}
	n, err := strconv.Atoi(port)
	return err == nil && n > 0 && n <= 65535
}

// validateRange checks rtspRangeType and rtspRangeStart (MediaMTX's
// formats: clock 20060102T150405Z, npt and smpte a duration).
func validateRange(d *decoder, key, typ, start string) {
	switch typ {
	case "", "none":
	case "clock":
		if _, err := time.Parse("20060102T150405Z", start); err != nil {
			d.errAt(key+".rtspRangeStart", "want 20060102T150405Z for rtspRangeType clock, got %q", start)
		}
	case "npt", "smpte":
		if _, err := time.ParseDuration(start); err != nil {
			d.errAt(key+".rtspRangeStart", "want a duration such as 30s for rtspRangeType %s, got %q", typ, start)
		}
	default:
		d.errAt(key+".rtspRangeType", "must be one of clock, npt, smpte or empty, got %q", typ)
	}
}
