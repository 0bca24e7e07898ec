package config_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/streamgate/streamgate/authz"
	"github.com/streamgate/streamgate/config"
)

// Every listener key of the model is in the listener table, so that
// validation, start, reload and precedence (which read only the table)
// cannot miss one: each *Address of a switchable listener, each
// *ServerKey/*ServerCert, each *AllowOrigins and *TrustedProxies, each
// service *User.
func TestListenerTableCoversListenerKeys(t *testing.T) {
	c := config.Default()
	table := c.Listeners()
	var addrKeys, keyKeys, certKeys []string
	for _, l := range table {
		addrKeys = append(addrKeys, l.AddrKey)
		keyKeys = append(keyKeys, l.KeyKey)
		certKeys = append(certKeys, l.CertKey)
	}
	ct := reflect.TypeFor[config.Conf]()
	for i := 0; i < ct.NumField(); i++ {
		key, _, _ := strings.Cut(ct.Field(i).Tag.Get("yaml"), ",")
		switch {
		case strings.HasSuffix(key, "ServerKey") && !slices.Contains(keyKeys, key):
			t.Errorf("%s is no listener's KeyKey", key)
		case strings.HasSuffix(key, "ServerCert") && !slices.Contains(certKeys, key):
			t.Errorf("%s is no listener's CertKey", key)
		case strings.HasSuffix(key, "Address") && isListenerSwitch(ct, strings.TrimSuffix(key, "Address")) &&
			!slices.Contains(addrKeys, key):
			t.Errorf("%s (a listener's address) is not in the listener table", key)
		}
	}
	// Distinct values set by key name reach the right row.
	yaml := ""
	for _, l := range table {
		if l.Action != "" {
			yaml += l.Name + "User: u-" + l.Name + "\n"
		}
		if hasCORS(l) {
			yaml += l.Name + "AllowOrigins: ['https://" + l.Name + ".example']\n"
			yaml += l.Name + "TrustedProxies: ['10.0.0.1']\n"
		}
	}
	got, err := config.Parse("l.yml", []byte(yaml), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range got.Listeners() {
		if l.Action != "" && l.User != "u-"+l.Name {
			t.Errorf("%s: User %q, want the %sUser value", l.Name, l.User, l.Name)
		}
		if hasCORS(l) {
			if len(l.AllowOrigins) != 1 || l.AllowOrigins[0] != "https://"+l.Name+".example" {
				t.Errorf("%s: AllowOrigins %v, want the %sAllowOrigins value", l.Name, l.AllowOrigins, l.Name)
			}
			if len(l.TrustedProxies) != 1 {
				t.Errorf("%s: TrustedProxies %v, want the %sTrustedProxies value", l.Name, l.TrustedProxies, l.Name)
			}
		}
	}
	creds := got.ServiceCredentials()
	for _, a := range []string{"api", "metrics", "pprof", "gateway", "playback"} {
		if _, ok := creds[authz.Action(a)]; !ok {
			t.Errorf("no service credentials for %s", a)
		}
	}
}

func isListenerSwitch(ct reflect.Type, name string) bool {
	for i := 0; i < ct.NumField(); i++ {
		key, _, _ := strings.Cut(ct.Field(i).Tag.Get("yaml"), ",")
		if key == name && ct.Field(i).Type.Kind() == reflect.Bool {
			return true
		}
	}
	return name == "rtsps" || name == "rtmps"
}

// hasCORS: the listeners with *AllowOrigins and *TrustedProxies keys.
func hasCORS(l config.Listener) bool {
	return l.Name == "hls" || l.Name == "webrtc" || l.Action == "api" || l.Action == "metrics" || l.Action == "pprof"
}
