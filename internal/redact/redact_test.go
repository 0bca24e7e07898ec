package redact_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/streamgate/streamgate/internal/redact"
)

func TestURL(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"http://127.0.0.1:1/auth", "http://127.0.0.1:1/auth"},
		{"http://u:s3cret@127.0.0.1:1/auth", "http://u:xxxxx@127.0.0.1:1/auth"},
		{"http://s3cret@127.0.0.1:1/auth", "http://xxxxx@127.0.0.1:1/auth"},
		{"https://h/jwks.json?access_token=s3cret&v=2", "https://h/jwks.json?access_token=xxxxx&v=xxxxx"},
		{"https://h/jwks.json?s3cret", "https://h/jwks.json?xxxxx"},
		{"https://h/p#s3cret", "https://h/p#xxxxx"},
		{"http://u:pa/ss@w0rd@h:1/x?t=s3cret#f", "http://u:xxxxx@h:1/x?t=xxxxx#xxxxx"},
		{"http://u:s3cret@[::1/auth", "http://u:xxxxx@[::1/auth"},
		{"rtsp://u:s3cret@cam.example/live", "rtsp://u:xxxxx@cam.example/live"},
		{"publisher", "publisher"},
		{"pub+bind:tcp://127.0.0.1:3333", "pub+bind:tcp://127.0.0.1:3333"},
	} {
		if got := redact.URL(tt.in); got != tt.want {
			t.Errorf("URL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTextAndError(t *testing.T) {
	// A parse error quotes the URL.
	perr := &url.Error{Op: "parse", URL: "http://u:s3cret@[::1/auth?token=s3cret", Err: errors.New("missing ']' in host")}
	for _, in := range []string{
		`want an http:// or https:// URL, got "ftp://u:s3cret@127.0.0.1/auth"`,
		`Get "http://jwks:***@127.0.0.1:1/jwks.json?access_token=s3cret": dial tcp: refused`,
		"two: http://a:s3cret@h and https://h/?k=s3cret\tend",
		perr.Error(),
	} {
		if got := redact.Text(in); strings.Contains(got, "s3cret") || !strings.Contains(got, "xxxxx") {
			t.Errorf("Text(%q) = %q", in, got)
		}
	}
	err := fmt.Errorf("authn/jwt: %w: GET http://u:s3cret@h/", context.DeadlineExceeded)
	masked := redact.Error(err)
	if strings.Contains(masked.Error(), "s3cret") || !errors.Is(masked, context.DeadlineExceeded) {
		t.Errorf("Error: %q, Is deadline %v", masked, errors.Is(masked, context.DeadlineExceeded))
	}
	if redact.Error(nil) != nil {
		t.Error("Error(nil) is not nil")
	}
}
