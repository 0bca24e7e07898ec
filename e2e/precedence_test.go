package e2e_test

import (
	"net/http"
	"testing"

	"github.com/streamgate/streamgate/internal/testharness"
)

// Seed 004's precedence over the API and RTSP: global credentials, a path
// overriding only the user (inheriting the global password), and a section
// with a user but no password anywhere (open). Every 401 carries authRealm.
func TestPrecedenceOverAPIAndRTSP(t *testing.T) {
	t.Parallel()
	d := testharness.Start(t, `
authRealm: Genesys Application Configuration Needed
authInternalUsers: []
authUser: global
authPass: global-secret-1
metrics: yes
metricsUser: watcher
rtsp: yes
rtspTransports: [tcp]
paths:
  cam:
    publishUser: camera
  open:
    readUser: anyone
  both:
    publishUser: b
    publishPass: both-secret-1
`, testharness.WithMetricsAuth("watcher", "global-secret-1"))
	api := d.URL("api", "/v3/paths/list")
	wantStatus(t, "API with the global pair", get(t, api, basicAuth("global", "global-secret-1")), http.StatusOK)
	wantChallenge(t, "API without credentials", get(t, api), "Genesys Application Configuration Needed")
	wantChallenge(t, "API with a wrong password", get(t, api, basicAuth("global", "nope")), "Genesys Application Configuration Needed")
	metrics := d.URL("metrics", "/metrics")
	wantStatus(t, "metrics user with the inherited global password", get(t, metrics, basicAuth("watcher", "global-secret-1")), http.StatusOK)
	wantChallenge(t, "metrics as the global user (overridden)", get(t, metrics, basicAuth("global", "global-secret-1")), "Genesys Application Configuration Needed")

	wantRTSPPublish(t, d, "camera", "global-secret-1", "cam", true, "the path's user with the global password")
	wantRTSPPublish(t, d, "global", "global-secret-1", "cam", false, "the path's user overrides the global user")
	wantRTSPPublish(t, d, "b", "both-secret-1", "both", true, "the path's own pair")
	wantRTSPPublish(t, d, "b", "global-secret-1", "both", false, "a path with its own pair refuses the global password")
	wantRTSPPublish(t, d, "global", "global-secret-1", "other", false, "an unconfigured path")
	// "open" has a read user and no password anywhere but the global one,
	// so it inherits that: readers need global-secret-1.
	if err := rtspDescribe("rtsp://anyone:wrong@" + d.Addr("rtsp") + "/open"); err == nil {
		t.Error("RTSP read of open with a wrong password succeeded")
	}
}

// With a section user and no password anywhere, that section is open.
func TestPrecedenceNoPasswordIsOpen(t *testing.T) {
	t.Parallel()
	d := testharness.Start(t, "authInternalUsers: []\napiUser: someone\n")
	wantStatus(t, "API with no password anywhere, no credentials", get(t, d.URL("api", "/v3/paths/list")), http.StatusOK)
}
