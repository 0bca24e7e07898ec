package savanturl_test

import (
	"testing"

	"github.com/streamgate/streamgate/protocols/savant/savanturl"
)

func FuzzParseSavantURL(f *testing.F) {
	for _, s := range []string{"pub+bind:ipc:///tmp/x", "req+connect:tcp://127.0.0.1:5555", "dealer+bind:tcp://*:1", "ipc:///a", "router+bind:tcp://h:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := savanturl.Parse(s)
		if err != nil {
			return
		}
		if u.Type != "pub" && u.Type != "req" && u.Type != "dealer" {
			t.Fatalf("type %q", u.Type)
		}
		if u.Endpoint == "" {
			t.Fatal("empty endpoint")
		}
	})
}
