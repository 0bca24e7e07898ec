package config

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Log destinations (logDestinations), MediaMTX's names.
const (
	// LogToStdout writes the log to standard output.
	LogToStdout = "stdout"
	// LogToFile appends the log to logFile.
	LogToFile = "file"
	// LogToSyslog sends the log to the local syslog daemon, tagged
	// sysLogPrefix.
	LogToSyslog = "syslog"
)

var logDestinationNames = []string{LogToStdout, LogToFile, LogToSyslog}

// LogDestinations is logDestinations: a list of stdout, file and syslog
// (empty: nothing is logged, as in MediaMTX).
type LogDestinations []string

func (ds *LogDestinations) decodeNode(d *decoder, n *yaml.Node, key string) {
	if isNull(n) {
		*ds = LogDestinations{}
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, key, "want a list of %s, got %s", strings.Join(logDestinationNames, ", "), nodeKind(n))
		return
	}
	out := LogDestinations{}
	for i, item := range n.Content {
		k := fmt.Sprintf("%s[%d]", key, i)
		s, ok := d.scalar(resolveAlias(item), k, "a log destination")
		if !ok {
			return
		}
		if !slices.Contains(logDestinationNames, s) {
			d.errorf(item, k, "unknown log destination %q (want %s)", s, strings.Join(logDestinationNames, ", "))
			return
		}
		if slices.Contains(out, s) {
			d.errorf(item, k, "%s is listed twice", s)
			return
		}
		out = append(out, s)
	}
	*ds = out
}

// Has reports whether the log goes to destination name.
func (ds LogDestinations) Has(name string) bool { return slices.Contains(ds, name) }

// Structured reports whether the log is written as JSON lines: logFormat:
// json, or MediaMTX's logStructured: yes.
func (c *Conf) Structured() bool { return c.LogFormat == "json" || c.LogStructured }

func validateLogging(d *decoder, c *Conf) {
	if c.LogDestinations.Has(LogToFile) && c.LogFile == "" {
		d.errAt("logFile", "must be set when logDestinations has file")
	}
}
