package config_test

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/streamgate/streamgate"
	"github.com/streamgate/streamgate/config"
)

// FuzzParseConfig: neither dialect panics, every failure is config.Errors
// with located entries, and every success can be shown (Redacted).
func FuzzParseConfig(f *testing.F) {
	f.Add(streamgate.DefaultConfig)
	if seed, err := os.ReadFile("testdata/media-gateway-server.json"); err == nil {
		f.Add(seed)
	}
	for _, tc := range badCases {
		if len(tc.text) < 4096 {
			f.Add([]byte(tc.text))
		}
	}
	f.Add([]byte(twoUsers))
	// Merge keys, deprecated and unsupported MediaMTX keys.
	f.Add([]byte("paths:\n  a: &a {maxReaders: 1, rpiCameraFPS: 30, sourceProtocol: tcp}\n  b:\n    <<: [*a, {readIPs: [10.0.0.0/8]}]\n    maxReaders: 2\nprotocols: [tcp]\nhlsDisable: yes\nrecord: no\n"))
	f.Add([]byte(`{"ip": "127.0.0.1", "port": 1, "out_stream": {"url": "pub+bind:ipc:///tmp/x", "send_timeout": [1, 0]}}`))

	parsers := []struct {
		name  string
		parse func(string, []byte, []string) (*config.Conf, error)
	}{
		{"fuzz.yml", config.Parse},
		{"fuzz.json", config.ParseGatewayJSON},
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// YAML ends lines at \n, \r and \r\n.
		lines := bytes.Count(data, []byte("\n")) + bytes.Count(data, []byte("\r")) + 1
		for _, p := range parsers {
			c, err := p.parse(p.name, data, nil)
			if err != nil {
				errs, ok := err.(config.Errors)
				if !ok {
					t.Fatalf("%s: error is %T, want config.Errors: %v", p.name, err, err)
				}
				if c != nil || len(errs) == 0 {
					t.Fatalf("%s: config %p with %d errors", p.name, c, len(errs))
				}
				for _, e := range errs {
					if e == nil || e.File == "" || e.Msg == "" || e.Line < 0 || e.Line > lines {
						t.Fatalf("%s: bad error %#v (input has %d lines)", p.name, e, lines)
					}
					// Valid JSON is read as JSON, whatever YAML thinks of it.
					if p.name == "fuzz.json" && json.Valid(data) && !bytes.Contains(data, []byte("$")) &&
						(strings.Contains(e.Msg, "syntax error") || strings.Contains(e.Msg, "YAML")) {
						t.Fatalf("valid JSON refused: %v", e)
					}
				}
				continue
			}
			if c == nil {
				t.Fatalf("%s: nil config without an error", p.name)
			}
			if _, err := json.Marshal(c.Redacted()); err != nil {
				t.Fatalf("%s: Redacted does not marshal: %v", p.name, err)
			}
		}
	})
}
