package authn_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/authz"
)

// Token extraction: what has the shape of a JWT is taken from the token or
// the password, is recognised by the backend (decided, never passed on),
// and is never granted without a valid signature; anything else passes.
func FuzzJWTShape(f *testing.F) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	x, y := key.X.FillBytes(make([]byte, 32)), key.Y.FillBytes(make([]byte, 32))
	jwks, _ := json.Marshal(map[string]any{"keys": []map[string]string{{"kty": "EC", "crv": "P-256", "kid": "k1", "use": "sig",
		"x": base64.RawURLEncoding.EncodeToString(x), "y": base64.RawURLEncoding.EncodeToString(y)}}})
	b := servedJWT(f, jwks)
	f.Add("eyJhbGciOiJub25lIn0.e30.", "")
	f.Add("user", "a.b.c")
	f.Fuzz(func(t *testing.T, token, pass string) {
		creds := authn.Credentials{User: "user", Pass: pass, Token: token}
		got := authn.JWTFrom(creds)
		switch {
		case authn.LooksLikeJWT(token):
			if got != token {
				t.Fatalf("JWTFrom = %q, want the token", got)
			}
		case authn.LooksLikeJWT(pass):
			if got != pass {
				t.Fatalf("JWTFrom = %q, want the password", got)
			}
		case got != "":
			t.Fatalf("JWTFrom = %q from neither", got)
		}
		if got != "" && (len(got) > authn.MaxJWTLength || strings.Count(got, ".") != 2) {
			t.Fatalf("accepted a %d-byte token with %d dots", len(got), strings.Count(got, "."))
		}
		start := time.Now()
		id, err := b.Authenticate(context.Background(), &authn.Request{Action: authz.ActionRead, Path: "p", Credentials: creds})
		if d := time.Since(start); d > authn.MaxKeyWait+500*time.Millisecond {
			t.Fatalf("took %s", d)
		}
		if errors.Is(err, authn.ErrNotApplicable) != (got == "") {
			t.Fatalf("shape %v but Authenticate: %v", got != "", err)
		}
		if id != nil {
			t.Fatalf("granted %+v to a token nobody signed", id)
		}
	})
}

// Claim parsing: never panics, bounds the permissions, and a JSON string
// holding an array or object means the same as the array or object.
func FuzzJWTPermissionClaim(f *testing.F) {
	f.Add([]byte(`[{"action":"publish","path":"cam"}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		perms, err := authn.ParsePermissionClaim(data)
		if err != nil {
			return
		}
		if len(perms) > 1000 {
			t.Fatalf("%d permissions", len(perms))
		}
		for _, p := range perms {
			if _, err := authz.ParseAction(string(p.Action)); err != nil {
				t.Fatalf("permission with action %q", p.Action)
			}
		}
		trimmed := strings.TrimSpace(string(data))
		if trimmed == "" || (trimmed[0] != '[' && trimmed[0] != '{') {
			return
		}
		wrapped, _ := json.Marshal(string(data))
		again, err := authn.ParsePermissionClaim(wrapped)
		if errors.Is(err, authn.ErrClaimTooDeep) {
			return // data already used every level of strings
		}
		if err != nil {
			t.Fatalf("as a JSON string: %v", err)
		}
		if !reflect.DeepEqual(describe(perms), describe(again)) {
			t.Fatalf("as a JSON string: %v, want %v", describe(again), describe(perms))
		}
	})
}

func describe(ps authz.Permissions) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = string(p.Action) + " " + p.Path.String()
	}
	return out
}
