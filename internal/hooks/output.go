package hooks

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"log/slog"
)

// logLines logs what a hook writes to one of its outputs, a line at a time
// (component=hook from the logger), each line cut at MaxLineLength; the
// memory used is one buffer of that size whatever the hook writes. It
// returns at EOF: once every process holding the pipe has exited.
func logLines(logger *slog.Logger, hook, stream string, r io.ReadCloser) {
	defer r.Close()
	br := bufio.NewReaderSize(r, MaxLineLength)
	skipping := false // the rest of a line already cut
	for {
		line, err := br.ReadSlice('\n')
		full := errors.Is(err, bufio.ErrBufferFull)
		if len(line) > 0 && !skipping {
			text := string(bytes.TrimRight(line, "\r\n"))
			if full {
				logger.Info("hook output", "hook", hook, "stream", stream, "line", text, "truncated", true)
			} else if text != "" {
				logger.Info("hook output", "hook", hook, "stream", stream, "line", text)
			}
		}
		skipping = full
		if err != nil && !full {
			return
		}
	}
}
