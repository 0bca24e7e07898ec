package config

import (
	"fmt"
	"strings"

	"github.com/streamgate/streamgate/internal/redact"
)

// Error is one problem in a configuration, located by file, line and key
// path: "mediamtx.yml:12: authQuarantine.period: must be > 0". Problems that
// come from an environment override name the variable instead of a line.
type Error struct {
	File string // file name as given, or "env MTX_…" for an override
	Line int    // 1-based; 0 when unknown
	Key  string // dotted key path, list indexes in brackets: authInternalUsers[0].pass
	Msg  string // may quote the value; Error masks credentials in URLs
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	// A message quoting a value may quote a URL with credentials in it.
	b.WriteString(redact.Text(e.Msg))
	return b.String()
}

// Errors is every problem found in one configuration, in file order.
type Errors []*Error

// maxErrors bounds how many problems one load reports.
const maxErrors = 50

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.As find each *Error.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

func joinKey(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}
