package e2e_test

import (
	"testing"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"

	"github.com/streamgate/streamgate/internal/testharness"
)

// rtspTryPublish starts an RTSP publication of one H.264 track as user to
// path and stops it at once; the error is the server's refusal, if any.
func rtspTryPublish(d *testharness.Daemon, user, pass, path string) error {
	forma := &format.H264{PayloadTyp: 96, PacketizationMode: 1, SPS: rtspTestSPS, PPS: rtspTestPPS}
	desc := &description.Session{Medias: []*description.Media{{Type: description.MediaTypeVideo, Formats: []format.Format{forma}}}}
	c := &gortsplib.Client{Protocol: rtspTCP()}
	err := c.StartRecording(rtspURL(d, user, pass, path), desc)
	if err == nil {
		c.Close()
	}
	return err
}

// TestPathOrderRegexAfterAllOthers: a ~regex path written after all_others
// still gets its own settings (here its per-path credentials): all_others is
// matched last, whatever the order of the file.
func TestPathOrderRegexAfterAllOthers(t *testing.T) {
	t.Parallel()
	d := testharness.Start(t, `
authInternalUsers: []
rtsp: yes
rtspTransports: [tcp]
paths:
  all_others:
    publishUser: other
    publishPass: other-secret-1
  ~^cams/.+$:
    publishUser: camera
    publishPass: camera-secret-1
`)
	if err := rtspTryPublish(d, "camera", "camera-secret-1", "cams/1"); err != nil {
		t.Errorf("publish to cams/1 with the regex path's credentials: %v", err)
	}
	if err := rtspTryPublish(d, "other", "other-secret-1", "cams/1"); err == nil {
		t.Error("publish to cams/1 with all_others' credentials succeeded; the regex path's apply")
	}
	if err := rtspTryPublish(d, "other", "other-secret-1", "misc"); err != nil {
		t.Errorf("publish to misc with all_others' credentials: %v", err)
	}
	if err := rtspTryPublish(d, "camera", "camera-secret-1", "misc"); err == nil {
		t.Error("publish to misc with the regex path's credentials succeeded; all_others' apply")
	}
}
