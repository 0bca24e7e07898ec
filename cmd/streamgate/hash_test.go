package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamgate/streamgate/internal/testharness"
)

// runCmd runs the CLI in-process and returns exit code, stdout and stderr.
func runCmd(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

const python = "/usr/bin/python3"

// requirePythonArgon2 skips (or, in CI, fails) without the independent
// implementation the hash output is checked against.
func requirePythonArgon2(t *testing.T) {
	t.Helper()
	if err := exec.Command(python, "-c", "import argon2, argon2.low_level").Run(); err != nil {
		testharness.Missing(t, "install Debian python3-argon2 (make deps): %s cannot import argon2: %v", python, err)
	}
}

// verifyScript checks each {variant, hash, pw} line with argon2-cffi: the
// password must verify and the password + "x" must not.
const verifyScript = `
import json, sys
import argon2
from argon2.low_level import Type, verify_secret
from argon2.exceptions import VerifyMismatchError
failed = 0
for line in sys.stdin:
    c = json.loads(line)
    h, pw = c["hash"], c["pw"]
    def verify(p):
        if c["variant"] == "argon2id":
            return argon2.PasswordHasher().verify(h, p)
        return verify_secret(h.encode(), p.encode(), Type.I)
    try:
        verify(pw)
    except Exception as e:
        print("does not verify:", h, repr(pw), repr(e))
        failed += 1
        continue
    try:
        verify(pw + "x")
        print("verifies a wrong password:", h)
        failed += 1
    except VerifyMismatchError:
        pass
sys.exit(1 if failed else 0)
`

func TestHashVerifiesWithPythonArgon2(t *testing.T) {
	requirePythonArgon2(t)
	type item struct{ Variant, Hash, PW string }
	var items []item
	passwords := []string{"password1", "pässwörd with spaces:and:colons"}
	for _, algo := range []string{"argon2id", "argon2i"} {
		for _, format := range []string{"phc", "mediamtx"} {
			for _, pw := range passwords {
				t.Run(algo+"/"+format+"/"+pw, func(t *testing.T) {
					code, out, errOut := runCmd(t, pw+"\n", "hash", "--algo", algo, "--format", format, "--memory", "1024", "--time", "1")
					if code != 0 {
						t.Fatalf("exit %d: %s", code, errOut)
					}
					h := strings.TrimSuffix(out, "\n")
					if strings.Contains(h, "\n") {
						t.Fatalf("output is more than one line: %q", out)
					}
					prefix := "$" + algo + "$v=19$m=1024,t=1,p=2$"
					if format == "mediamtx" {
						prefix = "argon2:" + prefix
					}
					if !strings.HasPrefix(h, prefix) {
						t.Fatalf("output %q, want prefix %q", h, prefix)
					}
					items = append(items, item{algo, strings.TrimPrefix(h, "argon2:"), pw})
				})
			}
		}
	}
	var in bytes.Buffer
	for _, it := range items {
		b, _ := json.Marshal(map[string]string{"variant": it.Variant, "hash": it.Hash, "pw": it.PW})
		in.Write(append(b, '\n'))
	}
	cmd := exec.Command(python, "-c", verifyScript)
	cmd.Stdin = &in
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("python3 argon2 verification: %v\n%s", err, out)
	}
	if len(items) != 8 {
		t.Errorf("verified %d hashes, want 8", len(items))
	}
}

func TestHashSHA256(t *testing.T) {
	for _, pw := range []string{"mypass", "userpass", "p:w with spaces", "ünïcödé"} {
		t.Run(pw, func(t *testing.T) {
			// echo -n pw | openssl dgst -binary -sha256 | base64
			d := sha256.Sum256([]byte(pw))
			want := "sha256:" + base64.StdEncoding.EncodeToString(d[:]) + "\n"
			for _, stdin := range []string{pw, pw + "\n", pw + "\r\n", pw + "\nsecond line\n"} {
				code, out, errOut := runCmd(t, stdin, "hash", "--algo", "sha256", "--format", "mediamtx")
				if code != 0 || out != want {
					t.Errorf("stdin %q: exit %d, out %q, want %q (%s)", stdin, code, out, want, errOut)
				}
			}
		})
	}
	if code, out, _ := runCmd(t, "userpass\n", "hash", "--algo=sha256", "--format=mediamtx"); out != "sha256:BdSWkrdV+ZxFBLUQQY7+7uv9RmiSVA8nrPmjGjJtZQQ=\n" || code != 0 {
		t.Errorf("MediaMTX doc example: %d %q", code, out)
	}
}

func TestHashErrors(t *testing.T) {
	tests := []struct {
		name  string
		stdin string
		args  []string
		code  int
		err   string
	}{
		{"sha256 has no phc", "pw\n", []string{"--algo", "sha256"}, 2, "sha256 has no PHC form"},
		{"unknown algo", "pw\n", []string{"--algo", "bcrypt"}, 2, `unknown --algo "bcrypt"`},
		{"unknown format", "pw\n", []string{"--format", "json"}, 2, `unknown --format "json"`},
		{"unknown flag", "pw\n", []string{"--salt", "x"}, 2, "flag provided but not defined"},
		{"extra argument", "pw\n", []string{"pw"}, 2, ""},
		{"empty stdin", "", nil, 1, "no password on stdin"},
		{"empty line", "\n", nil, 1, "no password on stdin"},
		{"memory above the cap", "pw\n", []string{"--memory", "1048576"}, 2, "argon2 m:"},
		{"time 0", "pw\n", []string{"--time", "0"}, 2, "argon2 t:"},
		{"threads 0", "pw\n", []string{"--threads", "0"}, 2, "argon2 p:"},
		{"threads wrap", "pw\n", []string{"--threads", "257", "--memory", "64", "--time", "1"}, 2, "argon2 p:"},
		{"memory wrap", "pw\n", []string{"--memory", "4294967360", "--time", "1"}, 2, "argon2 m:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCmd(t, tt.stdin, append([]string{"hash"}, tt.args...)...)
			if code != tt.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.code, errOut)
			}
			if out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
			if !strings.Contains(errOut, tt.err) {
				t.Errorf("stderr %q, want %q", errOut, tt.err)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	example, err := filepath.Abs("../../mediamtx.yml.example")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("example is valid", func(t *testing.T) {
		code, out, errOut := runCmd(t, "", "check", example)
		if code != 0 || out != example+": ok\n" {
			t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
		}
	})
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Run("named user with empty pass", func(t *testing.T) {
		p := write("empty-pass.yml", "logLevel: info\nauthInternalUsers:\n- user: alice\n  pass:\n  permissions:\n  - action: publish\n")
		code, out, errOut := runCmd(t, "", "check", p)
		want := p + ":4: authInternalUsers[0].pass: must be set for a named user"
		if code != 1 || out != "" || !strings.HasPrefix(errOut, want) {
			t.Errorf("exit %d, stdout %q, stderr %q; want exit 1 and %q", code, out, errOut, want)
		}
	})
	t.Run("every problem on its own line", func(t *testing.T) {
		p := write("two.yml", "logLevel: loud\nrtsp: maybe\nreadTimeout: soon\n")
		code, _, errOut := runCmd(t, "", "check", p)
		lines := strings.Split(strings.TrimSpace(errOut), "\n")
		if code != 1 || len(lines) != 2 || !strings.HasPrefix(lines[0], p+":2: rtsp: ") || !strings.HasPrefix(lines[1], p+":3: readTimeout: ") {
			t.Errorf("exit %d, stderr %q", code, errOut)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		code, _, errOut := runCmd(t, "", "check", filepath.Join(dir, "nope.yml"))
		if code != 1 || !strings.Contains(errOut, "no such file") {
			t.Errorf("exit %d, stderr %q", code, errOut)
		}
	})
	t.Run("usage", func(t *testing.T) {
		if code, _, errOut := runCmd(t, "", "check"); code != 2 || !strings.Contains(errOut, "usage: streamgate check CONFIG") {
			t.Errorf("exit %d, stderr %q", code, errOut)
		}
	})
}
