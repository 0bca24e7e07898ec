package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// jsonForYAML rewrites valid JSON so that the YAML parser reads it as the
// JSON parser would, on the same lines: tabs between tokens become spaces;
// every string is re-escaped, since YAML knows neither "\/" nor surrogate
// pairs ("\ud83d\ude00") and reads U+0085, U+2028 and U+2029 as line
// breaks; and a key's ':' moves up to the key's line. JSON strings hold no
// raw line breaks, so every token stays on its line.
func jsonForYAML(data []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(data))
	for i := 0; i < len(data); {
		c := data[i]
		switch c {
		case '\t':
			out.WriteByte(' ')
			i++
		case '"':
			end := i + 1
			for end < len(data) && data[end] != '"' {
				if data[end] == '\\' {
					end++
				}
				end++
			}
			end = min(end+1, len(data))
			var s string
			if err := json.Unmarshal(data[i:end], &s); err != nil {
				// Not valid JSON (the caller checks first): leave it to the
				// YAML parser to complain.
				out.Write(data[i:end])
				i = end
				continue
			}
			// A key: YAML wants its ':' on the same line, and a key longer
			// than 1024 characters marked explicit ("? ").
			ws := end
			for ws < len(data) && bytes.IndexByte([]byte(" \t\r\n"), data[ws]) >= 0 {
				ws++
			}
			isKey := ws < len(data) && data[ws] == ':'
			if isKey && len(data[i:end]) > 1000 {
				out.WriteString("? ")
			}
			writeYAMLString(&out, s)
			i = end
			if isKey {
				out.WriteByte(':')
				out.Write(bytes.ReplaceAll(data[end:ws], []byte("\t"), []byte(" ")))
				i = ws + 1
			}
		default:
			out.WriteByte(c)
			i++
		}
	}
	return out.Bytes()
}

// writeYAMLString writes s as a YAML double-quoted scalar using only
// printable ASCII.
func writeYAMLString(out *bytes.Buffer, s string) {
	out.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			out.WriteByte('\\')
			out.WriteRune(r)
		case r >= 0x20 && r < 0x7f:
			out.WriteRune(r)
		case r == utf8.RuneError:
			out.WriteString(`\uFFFD`)
		case r <= 0xffff:
			fmt.Fprintf(out, `\u%04X`, r)
		default:
			fmt.Fprintf(out, `\U%08X`, r)
		}
	}
	out.WriteByte('"')
}
