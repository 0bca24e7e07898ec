package authn_test

import (
	"strings"
	"testing"

	"github.com/streamgate/streamgate/authn"
)

const seedHash = `$argon2i$v=19$m=12,t=3,p=1$YXkzZmx1eTFwVW5hZ0R2S1dXazA$VxVMw2Omh1CeVqry8Cay+4OZ69OGvn4fma2M5rURZhI`

func TestParseEtcdRecord(t *testing.T) {
	tests := []struct {
		name, format, data, err string
		labels                  []string // checked when err is empty
		allowed                 bool
	}{
		{name: "seed json", format: "json", data: `{"password_hash": "` + seedHash + `"}`, labels: []string{"x"}, allowed: true},
		{name: "seed json with label rule", format: "json", data: `{"password_hash": "` + seedHash + `", "allowed_routing_labels": {"set": "label"}}`, labels: []string{"label"}, allowed: true},
		{name: "label rule refuses", format: "json", data: `{"password_hash": "` + seedHash + `", "allowed_routing_labels": {"set": "label"}}`, labels: []string{"other"}, allowed: false},
		{name: "yaml", format: "yaml", data: "password_hash: \"" + seedHash + "\"\nallowed_routing_labels:\n  and: [{set: a}, {not: {set: b}}]\n", labels: []string{"a"}, allowed: true},
		{name: "permissions", format: "json", data: `{"password_hash": "` + seedHash + `", "permissions": [{"action": "gateway", "path": "~cam.*"}]}`, labels: nil, allowed: true},
		{name: "bad json", format: "json", data: `{"password_hash": `, err: "json"},
		{name: "trailing data", format: "json", data: `{"password_hash": "` + seedHash + `"} {}`, err: "after the record"},
		{name: "missing hash", format: "json", data: `{"allowed_routing_labels": {"set": "a"}}`, err: "password_hash: missing"},
		{name: "hash not a string", format: "json", data: `{"password_hash": 5}`, err: "PHC string"},
		{name: "bad phc", format: "json", data: `{"password_hash": "$argon2x$v=19$m=12,t=3,p=1$aaaaaaaaaaa$bbbbbbbbbbbbbbbbbbbbbb"}`, err: "password_hash"},
		{name: "t=0", format: "json", data: `{"password_hash": "` + strings.Replace(seedHash, "t=3", "t=0", 1) + `"}`, err: "argon2 t"},
		{name: "m over cap", format: "json", data: `{"password_hash": "` + strings.Replace(seedHash, "m=12", "m=999999999", 1) + `"}`, err: "argon2 m"},
		{name: "unknown key", format: "json", data: `{"password_hash": "` + seedHash + `", "admin": true}`, err: `unknown key "admin"`},
		{name: "bad rule", format: "json", data: `{"password_hash": "` + seedHash + `", "allowed_routing_labels": {"xor": []}}`, err: "allowed_routing_labels"},
		{name: "bad permission", format: "json", data: `{"password_hash": "` + seedHash + `", "permissions": [{"action": "root"}]}`, err: "permissions"},
		{name: "null", format: "json", data: `null`, err: "empty"},
		{name: "too large", format: "json", data: `{"x": "` + strings.Repeat("a", authn.MaxEtcdRecordSize) + `"}`, err: "limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := authn.ParseEtcdRecord([]byte(tt.data), tt.format)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := rec.Labels.Allows(tt.labels); got != tt.allowed {
				t.Errorf("labels %v allowed = %v, want %v", tt.labels, got, tt.allowed)
			}
		})
	}
}

func TestSeedHashesVerifyFromRecords(t *testing.T) {
	rec, err := authn.ParseEtcdRecord([]byte(`{"password_hash": "`+seedHash+`"}`), "json")
	if err != nil {
		t.Fatal(err)
	}
	if !rec.Hash.Verify("password1") || rec.Hash.Verify("password") {
		t.Fatal("seed 001 hash for password1 does not verify as the seed says")
	}
}

func FuzzParseEtcdRecord(f *testing.F) {
	f.Add([]byte(`{"password_hash": "`+seedHash+`", "allowed_routing_labels": {"or": [{"set": "a"}, {"unset": "b"}]}}`), false)
	f.Add([]byte("password_hash: x\nallowed_routing_labels: {not: {set: a}}\n"), true)
	f.Fuzz(func(t *testing.T, data []byte, yaml bool) {
		format := "json"
		if yaml {
			format = "yaml"
		}
		rec, err := authn.ParseEtcdRecord(data, format)
		if err == nil && rec.Hash == nil {
			t.Fatal("accepted a record without a hash")
		}
	})
}
