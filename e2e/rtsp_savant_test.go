package e2e_test

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/streamgate/streamgate/internal/testharness"
)

// An ffmpeg RTSP publish reaches an independent Python Savant subscriber
// as VideoFrames and an EndOfStream, with the configured protocol version
// (the default, and a custom one).
func TestRTSPSavantVideoFrames(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ name, setting, want string }{
		{"default protocol version", "", "1.15.1"},
		{"custom protocol version", "  protocolVersion: \"9.9.9\"\n", "9.9.9"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			rtspRequireFFmpeg(t)
			ep := testharness.IPCEndpoint(t, "rtsp")
			d := startRTSPDaemon(t, rtspSetup{
				top:   "savant:\n  url: pub+bind:" + ep + "\n" + c.setting,
				paths: "  cam: {savantLabels: [a, b]}\n  warmup: {}\n",
			})
			r := rtspSavantSubscriber(t, d, ep)
			pub := rtspFFmpegPublish(t, rtspURL(d, rtspPubUser, rtspPubPass, "cam"), 2, "tcp")
			if code := pub.wait(t, 20*time.Second); code != 0 {
				t.Fatalf("ffmpeg publishing exited %d", code)
			}
			msgs := rtspWaitEndOfStream(t, r, "cam", 10*time.Second)
			rtspCheckSavant(t, msgs, c.want, "cam", []string{"a", "b"})
		})
	}
}

// rtspSavantSubscriber starts the Python SUB reader and returns once its
// subscription has reached the daemon's PUB socket (which drops everything
// before): a Go client publishes the path warmup until the reader gets it.
func rtspSavantSubscriber(t *testing.T, d *testharness.Daemon, ep string) *testharness.SavantReader {
	t.Helper()
	r := testharness.StartSavantReader(t, testharness.SavantReaderConfig{Type: "sub", Endpoint: ep, Timeout: 40 * time.Second})
	rtspGoPublish(t, rtspURL(d, rtspPubUser, rtspPubPass, "warmup"))
	if got := r.Wait(1, 10*time.Second); len(got) == 0 {
		t.Fatal("the Savant reader got nothing from the warmup path within 10 s")
	}
	return r
}

// rtspWaitEndOfStream waits until the reader has an EndOfStream of topic
// and returns every message of that topic so far.
func rtspWaitEndOfStream(t testing.TB, r *testharness.SavantReader, topic string, timeout time.Duration) []testharness.SavantMessage {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		all := r.Messages()
		var msgs []testharness.SavantMessage
		for _, m := range all {
			if len(m.Frames) > 0 && string(m.Frames[0]) == topic {
				msgs = append(msgs, m)
			}
		}
		if len(msgs) > 0 && msgs[len(msgs)-1].Content == "end_of_stream" {
			return msgs
		}
		if time.Now().After(deadline) {
			t.Fatalf("no EndOfStream of %s within %s (%d messages of it)", topic, timeout, len(msgs))
		}
		r.Wait(len(all)+1, time.Until(deadline))
	}
}

// rtspCheckSavant checks the messages of one publication of the test
// source: VideoFrames with seq_id 1, 2, 3 …, the first a keyframe, every
// keyframe with SPS and PPS before its IDR, all Annex-B; then one
// EndOfStream with the next seq_id.
func rtspCheckSavant(t *testing.T, msgs []testharness.SavantMessage, version, source string, labels []string) {
	t.Helper()
	if len(msgs) < 40 {
		t.Fatalf("%d Savant messages for 2 s of 25 fps video, want about 50", len(msgs))
	}
	keyframes := 0
	var lastPTS int64 = -1
	for i, m := range msgs {
		what := fmt.Sprintf("message %d (%s)", i, m.Content)
		if i == len(msgs)-1 {
			if m.Content != "end_of_stream" {
				t.Errorf("%s: the last message is not an EndOfStream", what)
			}
		} else if m.Content != "video_frame" {
			t.Fatalf("%s: want a video_frame before the EndOfStream", what)
		}
		if seq := rtspInt(m.Message["seq_id"]); seq != int64(i+1) {
			t.Fatalf("%s: seq_id %v, want %d (consecutive from 1)", what, m.Message["seq_id"], i+1)
		}
		if got := m.Message["protocol_version"]; got != version {
			t.Errorf("%s: protocol_version %v, want %q", what, got, version)
		}
		if got := rtspStrings(m.Message["routing_labels"]); !slices.Equal(got, labels) {
			t.Errorf("%s: routing_labels %q, want %q", what, got, labels)
		}
		if len(m.Frames) < 2 || string(m.Frames[0]) != source {
			t.Fatalf("%s: %d frames, topic %q, want the topic %q", what, len(m.Frames), m.Frames[0], source)
		}
		if m.Content == "end_of_stream" {
			if eos, _ := m.Message["end_of_stream"].(map[string]any); eos["source_id"] != source {
				t.Errorf("%s: %v, want source_id %q", what, eos, source)
			}
			continue
		}
		vf, _ := m.Message["video_frame"].(map[string]any)
		key := rtspCheckFrame(t, what, vf, source, bytes.Join(m.Frames[2:], nil))
		if i == 0 && !key {
			t.Errorf("%s: the first frame is not a keyframe", what)
		}
		if key {
			keyframes++
		}
		pts := rtspInt(vf["pts"])
		if pts <= lastPTS {
			t.Errorf("%s: pts %d after %d", what, pts, lastPTS)
		}
		lastPTS = pts
	}
	if keyframes < 2 {
		t.Errorf("%d keyframes in 2 s with a keyframe every 25 frames, want 2", keyframes)
	}
	t.Logf("%d VideoFrames (%d keyframes) and an EndOfStream, protocol_version %s", len(msgs)-1, keyframes, version)
}

// rtspCheckFrame checks one VideoFrame of the 320x240 H.264 test source and
// its content, and reports whether it is a keyframe.
func rtspCheckFrame(t *testing.T, what string, vf map[string]any, source string, content []byte) bool {
	t.Helper()
	if vf["source_id"] != source || vf["codec"] != "h264" || vf["transcoding_method"] != "ENCODED" {
		t.Errorf("%s: source_id %v codec %v transcoding_method %v, want %s h264 ENCODED", what, vf["source_id"], vf["codec"], vf["transcoding_method"], source)
	}
	if rtspInt(vf["width"]) != 320 || rtspInt(vf["height"]) != 240 {
		t.Errorf("%s: %vx%v, want 320x240", what, vf["width"], vf["height"])
	}
	if rtspInt(vf["time_base_numerator"]) != 1 || rtspInt(vf["time_base_denominator"]) != 1_000_000_000 {
		t.Errorf("%s: time base %v/%v, want 1/1000000000", what, vf["time_base_numerator"], vf["time_base_denominator"])
	}
	if fr, _ := vf["framerate"].(string); fr != "25/1" {
		t.Errorf("%s: framerate %q, want 25/1", what, fr)
	}
	if _, err := uuid.Parse(fmt.Sprint(vf["uuid"])); err != nil {
		t.Errorf("%s: uuid %v: %v", what, vf["uuid"], err)
	}
	if ext, _ := vf["external"].(map[string]any); ext["method"] != "zeromq" {
		t.Errorf("%s: content %v, want external zeromq", what, vf["external"])
	}
	if tr, _ := vf["transformations"].([]any); len(tr) == 0 || fmt.Sprint(tr[0]) != "map[initial_size:map[height:240 width:320]]" {
		t.Errorf("%s: transformations %v, want initial_size 320x240", what, vf["transformations"])
	}
	if !bytes.HasPrefix(content, []byte{0, 0, 0, 1}) {
		t.Fatalf("%s: content does not begin with an Annex-B start code: % x", what, content[:min(8, len(content))])
	}
	types := rtspNALTypes(content)
	key, _ := vf["keyframe"].(bool)
	idr := slices.Index(types, 5)
	if key != (idr >= 0) {
		t.Errorf("%s: keyframe %v, NAL unit types %v", what, key, types)
	}
	if key {
		sps, pps := slices.Index(types, 7), slices.Index(types, 8)
		if sps < 0 || pps < 0 || sps > idr || pps > idr {
			t.Errorf("%s: keyframe NAL unit types %v, want SPS (7) and PPS (8) before the IDR (5)", what, types)
		}
	}
	return key
}

// rtspNALTypes splits Annex-B content at 4-byte start codes and returns the
// NAL unit types (the content is made with 00 00 00 01 before every unit).
func rtspNALTypes(b []byte) []int {
	var out []int
	for _, nalu := range bytes.Split(b, []byte{0, 0, 0, 1})[1:] {
		if len(nalu) > 0 {
			out = append(out, int(nalu[0]&0x1f))
		}
	}
	return out
}

// rtspInt reads a protobuf JSON integer (64-bit ones are strings; an
// absent one is proto3's default, 0).
func rtspInt(v any) int64 {
	switch v := v.(type) {
	case nil:
		return 0
	case string:
		n, _ := strconv.ParseInt(v, 10, 64)
		return n
	case float64:
		return int64(v)
	}
	return -1
}

func rtspStrings(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, s := range l {
		out = append(out, fmt.Sprint(s))
	}
	return out
}

// A publisher whose label rule rejects the path's savantLabels is refused:
// nothing is published and nothing reaches Savant. A rule the labels
// satisfy publishes.
func TestRTSPSavantLabelRuleRefusesPublisher(t *testing.T) {
	t.Parallel()
	rtspRequireFFmpeg(t)
	ep := testharness.IPCEndpoint(t, "labels")
	d := startRTSPDaemon(t, rtspSetup{
		top: "savant: {url: 'pub+bind:" + ep + "'}\n",
		users: `- {user: onlyx, pass: onlyx-secret, permissions: [{action: publish}], labels: {set: x}}
- {user: witha, pass: witha-secret, permissions: [{action: publish}], labels: {and: [{set: a}, {unset: x}]}}
`,
		paths: "  cam: {savantLabels: [a, b]}\n  warmup: {}\n",
	})
	r := rtspSavantSubscriber(t, d, ep)

	refused := rtspFFmpegPublish(t, rtspURL(d, "onlyx", "onlyx-secret", "cam"), 2, "tcp")
	if code := refused.wait(t, 15*time.Second); code == 0 {
		t.Error("ffmpeg publishing as a user whose label rule rejects [a, b] exited 0, want a failure")
	}
	if !strings.Contains(refused.tail(2000), "403") {
		t.Errorf("the refused publisher was not answered 403:\n%s", refused.tail(2000))
	}
	if names := rtspPathNames(t, d); slices.Contains(names, "cam") {
		t.Errorf("after the refused publisher /v3/paths/list shows %v", names)
	}

	// A rule the labels satisfy publishes; a publisher that dies without
	// a TEARDOWN (SIGKILL) still ends its stream with an EndOfStream.
	allowed := rtspFFmpegPublish(t, rtspURL(d, "witha", "witha-secret", "cam"), 15, "tcp")
	rtspWaitPath(t, d, "cam", 10*time.Second, nil)
	// Killed once its frames reach the Savant reader.
	if had := len(r.Messages()); len(r.Wait(had+2, 10*time.Second)) < had+2 {
		t.Fatal("the allowed publisher's frames did not reach the Savant reader within 10 s")
	}
	_ = allowed.cmd.Process.Kill()
	msgs := rtspWaitEndOfStream(t, r, "cam", 10*time.Second)
	if len(msgs) < 2 {
		t.Fatalf("the allowed publisher's stream: %d Savant messages", len(msgs))
	}
	for i, m := range msgs {
		want := "video_frame"
		if i == len(msgs)-1 {
			want = "end_of_stream"
		}
		if seq := rtspInt(m.Message["seq_id"]); seq != int64(i+1) || m.Content != want {
			t.Fatalf("Savant message %d is %s seq_id %d, want %s seq_id %d", i, m.Content, seq, want, i+1)
		}
	}
	rtspWaitGone(t, d, "cam", 5*time.Second)
}
