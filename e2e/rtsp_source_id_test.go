package e2e_test

import (
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestRTSPSourceIDIsASessionUUID: /v3/paths/list shows an RTSP publisher's
// source.id as a session UUID (stable, and no heap address of the daemon).
func TestRTSPSourceIDIsASessionUUID(t *testing.T) {
	t.Parallel()
	d := startRTSPDaemon(t, rtspSetup{})
	rtspGoPublish(t, rtspURL(d, rtspPubUser, rtspPubPass, "cam"))
	p := rtspWaitPath(t, d, "cam", 10*time.Second, nil)
	if p.Source == nil {
		t.Fatal("no source")
	}
	if _, err := uuid.Parse(p.Source.ID); err != nil || len(p.Source.ID) != 36 {
		t.Errorf("source.id %q is not a UUID", p.Source.ID)
	}
	if again := rtspWaitPath(t, d, "cam", 10*time.Second, nil); again.Source == nil || again.Source.ID != p.Source.ID {
		t.Errorf("source.id changed from %q to %+v", p.Source.ID, again.Source)
	}
}
