package daemon

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/streamgate/streamgate/config"
	"github.com/streamgate/streamgate/internal/testharness"
)

func logConf(t *testing.T, yaml string) *config.Conf {
	t.Helper()
	c, err := config.Parse("log.yml", []byte(yaml), nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestLogDestinationsStdoutAndFile: logDestinations [stdout, file] writes
// every line to both; logStructured makes both JSON lines; the file is
// appended to, not truncated.
func TestLogDestinationsStdoutAndFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sg.log")
	if err := os.WriteFile(path, []byte("earlier line\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := logConf(t, "logDestinations: [stdout, file]\nlogStructured: yes\nlogFile: "+path+"\n")
	var stdout testharness.LockedBuffer
	logger, closer, err := OpenLogger(c, LogOutputs{Stdout: &stdout})
	if err != nil {
		t.Fatal(err)
	}
	logger.With("component", "test").Info("to both", "n", 1)
	logger.Debug("below the level")
	if err := closer.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 2 || lines[0] != "earlier line" {
		t.Fatalf("file holds %q, want the earlier line and one more", data)
	}
	for name, line := range map[string]string{"file": lines[1], "stdout": strings.TrimSpace(stdout.String())} {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Errorf("%s: %q is not a JSON line: %v", name, line, err)
			continue
		}
		if m["msg"] != "to both" || m["component"] != "test" || m["n"] != float64(1) {
			t.Errorf("%s: %v", name, m)
		}
	}
}

// TestLogDestinationFileOnly: the file destination alone gets the lines
// (text), stdout nothing.
func TestLogDestinationFileOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "only.log")
	c := logConf(t, "logDestinations: [file]\nlogFile: "+path+"\nlogLevel: debug\n")
	var stdout testharness.LockedBuffer
	logger, closer, err := OpenLogger(c, LogOutputs{Stdout: &stdout})
	if err != nil {
		t.Fatal(err)
	}
	logger.Debug("debug line", "url", "rtsp://u:secretpass@127.0.0.1/x")
	closer.Close()
	data, _ := os.ReadFile(path)
	if !strings.Contains(string(data), `msg="debug line"`) || strings.Contains(string(data), "secretpass") {
		t.Errorf("file holds %q, want the debug line with the URL masked", data)
	}
	if stdout.String() != "" {
		t.Errorf("stdout got %q", stdout.String())
	}
	// A file that cannot be opened is an error, not a silent loss.
	c = logConf(t, "logDestinations: [file]\nlogFile: "+filepath.Join(t.TempDir(), "no", "dir", "x.log")+"\n")
	if _, _, err := OpenLogger(c, LogOutputs{}); err == nil || !strings.Contains(err.Error(), "logFile") {
		t.Errorf("unopenable logFile: got %v", err)
	}
}

// TestLogDestinationSyslog: the syslog destination sends each record as a
// syslog message (facility daemon, the record's severity, tagged
// sysLogPrefix) to the syslog socket — here a unixgram socket of the test.
func TestLogDestinationSyslog(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "log.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := logConf(t, "logDestinations: [syslog]\nsysLogPrefix: sgtest\n")
	var stdout testharness.LockedBuffer
	logger, closer, err := OpenLogger(c, LogOutputs{Stdout: &stdout, SyslogNetwork: "unixgram", SyslogAddr: sock})
	if err != nil {
		t.Fatal(err)
	}
	defer closer.Close()
	logger.Warn("disk almost full", "component", "test")
	logger.Info("second")
	read := func() string {
		buf := make([]byte, 4096)
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("no syslog message: %v", err)
		}
		return string(buf[:n])
	}
	// <28>: facility daemon (3) × 8 + severity warning (4).
	if m := read(); !strings.HasPrefix(m, "<28>") || !strings.Contains(m, "sgtest[") ||
		!strings.Contains(m, `msg="disk almost full" component=test`) || strings.Contains(m, "time=") {
		t.Errorf("syslog message %q", m)
	}
	if m := read(); !strings.HasPrefix(m, "<30>") || !strings.Contains(m, "msg=second") {
		t.Errorf("syslog message %q, want severity info (<30>)", m)
	}
	if stdout.String() != "" {
		t.Errorf("stdout got %q", stdout.String())
	}
}
