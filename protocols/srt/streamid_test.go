package srt

import (
	"errors"
	"strings"
	"testing"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/protocols/stream"
)

func TestSRTParseStreamID(t *testing.T) {
	cases := []struct {
		name string
		raw  string
		want StreamID
	}{
		{"publish path", "publish:cam", StreamID{Mode: ModePublish, Path: "cam"}},
		{"read path", "read:cam", StreamID{Mode: ModeRead, Path: "cam"}},
		{"path with slashes", "read:live/cam/1", StreamID{Mode: ModeRead, Path: "live/cam/1"}},
		{"query", "publish:cam:token=abc", StreamID{Mode: ModePublish, Path: "cam", Query: "token=abc", Token: "abc"}},
		{"jwt query", "read:cam:jwt=eyJ.x.y", StreamID{Mode: ModeRead, Path: "cam", Query: "jwt=eyJ.x.y", Token: "eyJ.x.y"}},
		{"credentials", "publish:cam:user:pass", StreamID{Mode: ModePublish, Path: "cam", User: "user", Pass: "pass"}},
		{"credentials and query", "read:cam:user:pass:myquery", StreamID{Mode: ModeRead, Path: "cam", User: "user", Pass: "pass", Query: "myquery"}},
		{"empty password", "read:cam:user:", StreamID{Mode: ModeRead, Path: "cam", User: "user"}},
		{"colons in password", "publish:cam:user:pa:ss:word", StreamID{Mode: ModePublish, Path: "cam", User: "user", Pass: "pa:ss:word"}},
		{"colons in password, query", "publish:cam:user:pa:ss:a=1&token=t", StreamID{Mode: ModePublish, Path: "cam", User: "user", Pass: "pa:ss", Query: "a=1&token=t", Token: "t"}},
		{"access control publish", "#!::r=cam,m=publish,u=user,s=pass", StreamID{Mode: ModePublish, Path: "cam", User: "user", Pass: "pass"}},
		{"access control request", "#!::u=user,s=pa:ss,r=cam,m=request", StreamID{Mode: ModeRead, Path: "cam", User: "user", Pass: "pa:ss"}},
		{"access control default mode", "#!::r=cam", StreamID{Mode: ModeRead, Path: "cam"}},
		{"access control type is not a token", "#!::r=cam,m=publish,t=stream,h=example.com", StreamID{Mode: ModePublish, Path: "cam"}},
		{"access control token", "#!::r=cam,m=request,t=tok123", StreamID{Mode: ModeRead, Path: "cam", Token: "tok123"}},
		{"access control token key", "#!::r=cam,token=tok123", StreamID{Mode: ModeRead, Path: "cam", Token: "tok123"}},
		{"access control unknown keys", "#!::bmd_uuid=0e1d,bmd_name=x,r=cam,m=publish", StreamID{Mode: ModePublish, Path: "cam"}},
		{"value with equals", "#!::r=cam,s=a=b", StreamID{Mode: ModeRead, Path: "cam", Pass: "a=b"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseStreamID(c.raw)
			if err != nil {
				t.Fatalf("ParseStreamID(%q): %v", c.raw, err)
			}
			if got != c.want {
				t.Errorf("ParseStreamID(%q) = %+v, want %+v", c.raw, got, c.want)
			}
		})
	}
}

func TestSRTParseStreamIDErrors(t *testing.T) {
	cases := []struct {
		name string
		raw  string
		want error
	}{
		{"empty", "", ErrStreamID},
		{"no path", "publish", ErrStreamID},
		{"empty path", "publish::user:pass", ErrStreamID},
		{"unknown action", "play:cam", ErrMode},
		{"access control bidirectional", "#!::r=cam,m=bidirectional", ErrMode},
		{"access control no path", "#!::m=publish,u=a,s=b", ErrStreamID},
		{"access control bare field", "#!::r=cam,publish", ErrStreamID},
		{"access control repeated key", "#!::r=cam,r=other", ErrStreamID},
		{"access control two tokens", "#!::r=cam,t=a,token=b", ErrStreamID},
		{"control character", "read:ca\nm", ErrStreamID},
		{"too long", "publish:cam:user:" + strings.Repeat("x", MaxStreamIDLength), ErrStreamID},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := ParseStreamID(c.raw); !errors.Is(err, c.want) {
				t.Errorf("ParseStreamID(%q) error %v, want %v", c.raw, err, c.want)
			}
		})
	}
	// Exactly the limit is fine.
	raw := "read:cam:u:" + strings.Repeat("p", MaxStreamIDLength-len("read:cam:u:"))
	if _, err := ParseStreamID(raw); err != nil {
		t.Errorf("a %d-byte streamid: %v", len(raw), err)
	}
}

// TestParseStreamIDNoEcho: parse errors never repeat the streamid (it may
// hold a password), so they can be logged.
func TestSRTParseStreamIDNoEcho(t *testing.T) {
	for _, raw := range []string{"#!::r=cam,s=hunter2,hunter3", "hunter2:cam", "#!::s=hunter2,m=hunter4", "#!::s=hunter2,s=hunter2"} {
		_, err := ParseStreamID(raw)
		if err == nil {
			t.Fatalf("ParseStreamID(%q) succeeded", raw)
		}
		if strings.Contains(err.Error(), "hunter") {
			t.Errorf("error %q repeats the streamid", err)
		}
	}
}

func TestSRTRejection(t *testing.T) {
	cases := []struct {
		err  error
		want RejectCode
	}{
		{&authn.Error{Kind: authn.KindAskCredentials, Reason: authn.ReasonNoCredentials}, RejectUnauthorized},
		{&authn.Error{Kind: authn.KindDenied, Reason: authn.ReasonWrongPassword}, RejectUnauthorized},
		{&authn.Error{Kind: authn.KindDenied, Reason: authn.ReasonUnknownUser}, RejectUnauthorized},
		{&authn.Error{Kind: authn.KindDenied, Reason: authn.ReasonQuarantined}, RejectUnauthorized},
		{&authn.Error{Kind: authn.KindForbidden, Reason: authn.ReasonNoPermission}, RejectForbidden},
		{&authn.Error{Kind: authn.KindUnavailable, Reason: "etcd down"}, RejectDown},
		{ErrStreamID, RejectBadRequest},
		{ErrMode, RejectBadMode},
		{stream.ErrNoPath, RejectNotFound},
		{stream.ErrNotPublished, RejectNotFound},
		{stream.ErrBusy, RejectConflict},
		{stream.ErrTooManyReaders, RejectOverload},
		{ErrNoTracks, RejectUnacceptable},
		{ErrPassphraseWrong, RejectBadSecret},
		{ErrPassphraseMissing, RejectUnsecure},
		{ErrPassphraseUnexpected, RejectUnsecure},
		{errors.New("other"), RejectInternalError},
	}
	for _, c := range cases {
		if got := rejection(c.err); got != c.want {
			t.Errorf("rejection(%v) = %d, want %d", c.err, got, c.want)
		}
	}
}

func TestSRTRescale(t *testing.T) {
	cases := []struct{ v, from, to, want int64 }{
		{90000, 90000, 48000, 48000},
		{4180, 90000, 22050, 1024}, // rounds to the nearest tick
		{-90000, 90000, 44100, -44100},
		{-4180, 90000, 22050, -1024},
	}
	for _, c := range cases {
		if got := rescale(c.v, c.from, c.to); got != c.want {
			t.Errorf("rescale(%d, %d, %d) = %d, want %d", c.v, c.from, c.to, got, c.want)
		}
	}
	// Large values do not overflow.
	if got := rescale(1<<50, 90000, 48000); got <= 0 {
		t.Errorf("rescale overflowed: %d", got)
	}
}
