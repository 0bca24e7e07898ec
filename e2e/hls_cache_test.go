package e2e_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/testharness"
)

// firstURI is the first URI line of an HLS playlist.
func firstURI(playlist string) string {
	for _, l := range strings.Split(playlist, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			return l
		}
	}
	return ""
}

// playlistURIs are a media playlist's latest segment (not a gap) and the
// URIs of its tags: the init file (EXT-X-MAP) and the parts (EXT-X-PART).
func playlistURIs(playlist string) (segment string, tagged []string) {
	for _, l := range strings.Split(playlist, "\n") {
		l = strings.TrimSpace(l)
		switch {
		case l == "":
		case strings.HasPrefix(l, "#EXT-X-MAP:") || strings.HasPrefix(l, "#EXT-X-PART:"):
			if _, after, ok := strings.Cut(l, `URI="`); ok {
				tagged = append(tagged, after[:strings.IndexByte(after, '"')])
			}
		case !strings.HasPrefix(l, "#") && !strings.Contains(l, "gap"):
			segment = l
		}
	}
	return segment, tagged
}

// A shared cache (Squid as a reverse proxy) in front of HLS: a signed-in
// viewer fetches the playlists, the init file and a segment through it; a
// client without credentials asking the same URLs through the cache must
// never get the content (Squid would serve it from cache when the answers
// are marked public).
func TestHLSBehindSharedCacheNeverServesAnonymousClients(t *testing.T) {
	t.Parallel()
	d := startHLSDaemon(t, "")
	squid := testharness.StartSquid(t, d.Addr("hls"))
	pub := hlsPublish(t, d, 30)
	defer pub.stop(t)

	viewer := basicAuth(rtspReadUser, rtspReadPass)
	var master answer
	deadline := time.Now().Add(20 * time.Second)
	for {
		master = get(t, squid.URL("/cam/index.m3u8"), viewer)
		if master.status == http.StatusOK && firstURI(master.body) != "" || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	wantStatus(t, "viewer: multivariant playlist through the cache", master, http.StatusOK)
	media := "/cam/" + firstURI(master.body)
	var list answer
	var segment string
	var tagged []string
	for {
		list = get(t, squid.URL(media), viewer)
		if segment, tagged = playlistURIs(list.body); list.status == http.StatusOK && segment != "" || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	wantStatus(t, "viewer: media playlist through the cache", list, http.StatusOK)
	if segment == "" {
		t.Fatalf("no segment in the media playlist:\n%s", list.body)
	}
	urls := []string{"/cam/index.m3u8", media, "/cam/" + segment}
	for _, u := range tagged {
		urls = append(urls, "/cam/"+u)
	}
	for _, u := range urls {
		a := get(t, squid.URL(u), viewer)
		wantStatus(t, "viewer: GET "+u+" through the cache", a, http.StatusOK)
		if len(a.body) == 0 {
			t.Fatalf("viewer: GET %s through the cache: empty body", u)
		}
		cc := a.header.Get("Cache-Control")
		if !strings.Contains(cc, "private") && !strings.Contains(cc, "no-store") {
			t.Errorf("viewer: GET %s: Cache-Control %q, want private or no-store", u, cc)
		}
		if strings.Contains(cc, "public") {
			t.Errorf("viewer: GET %s: Cache-Control %q marks an authenticated answer public", u, cc)
		}
		// Twice, so that a cache that stores it on the second sight has.
		get(t, squid.URL(u), viewer)
	}
	for _, u := range urls {
		a := get(t, squid.URL(u))
		if a.status == http.StatusOK || len(a.body) > 0 && a.status < 300 {
			t.Errorf("anonymous: GET %s through the cache → %d, X-Cache %q, %d bytes: the cache served an authenticated answer",
				u, a.status, a.header.Get("X-Cache"), len(a.body))
			continue
		}
		wantStatus(t, "anonymous: GET "+u+" through the cache", a, http.StatusUnauthorized)
		if cc := a.header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("anonymous: GET %s: Cache-Control %q, want no-store", u, cc)
		}
	}
}
