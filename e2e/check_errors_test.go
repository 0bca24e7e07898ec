package e2e_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/streamgate/streamgate/internal/testharness"
)

// TestCheckListsEveryError: `streamgate check` on a migrated file with
// several problems prints each one (file:line: key: problem) in file order, and past the
// bound says how many more there are.
func TestCheckListsEveryError(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	text := `rtspAdress: :8554
protocols: [tcp]
rtspTransports: [udp]
hlsDisable: maybe
playback: yes
pathDefaults:
  rpiCameraWidth: 1280
paths:
  cam:
    sourceOnDemnd: yes
`
	bad := testharness.WriteFile(t, dir, "mediamtx.yml", text)
	out, errOut, code := testharness.RunCLI(t, "", "check", bad)
	want := []string{
		bad + ":1: rtspAdress: unknown key (did you mean rtspAddress?)",
		bad + ":2: protocols: deprecated: set rtspTransports only (both are set)",
		bad + `:4: hlsDisable: want yes or no, got "maybe"`,
		bad + ":5: playback: the playback server (recordings) is not supported by streamgate",
		bad + ":7: pathDefaults.rpiCameraWidth: the Raspberry Pi camera source is not supported by streamgate",
		bad + ":10: paths.cam.sourceOnDemnd: unknown key (did you mean sourceOnDemand?)",
	}
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	if code != 1 || out != "" || len(lines) != len(want) {
		t.Fatalf("exit %d, stdout %q, %d lines on stderr, want exit 1 and %d:\n%s", code, out, len(lines), len(want), errOut)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d = %q, want prefix %q", i+1, lines[i], w)
		}
	}

	var many strings.Builder
	for i := range 70 {
		fmt.Fprintf(&many, "unknownKey%d: x\n", i)
	}
	testharness.WriteFile(t, dir, "mediamtx.yml", many.String())
	_, errOut, code = testharness.RunCLI(t, "", "check", bad)
	lines = strings.Split(strings.TrimSpace(errOut), "\n")
	if code != 1 || len(lines) != 51 || lines[50] != bad+": … and 20 more problems" {
		t.Errorf("exit %d, %d lines, last %q; want 50 problems and '… and 20 more problems'", code, len(lines), lines[len(lines)-1])
	}
}
