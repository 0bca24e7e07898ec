package config

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"
)

// expandEnv substitutes environment references in the whole file text, with
// the semantics of the Media Gateway (Rust shellexpand::env): $NAME and
// ${NAME} must be set; ${NAME:-default} takes the default only when NAME is
// unset (an empty value stays empty); $$ is a literal $; a $ followed by
// anything else, or a ${ never closed, stays as written. No library
// reproduces these rules exactly, so they are written out here.
func expandEnv(name string, data []byte, env []string) ([]byte, error) {
	if !bytes.Contains(data, []byte("$")) {
		return data, nil
	}
	vars := make(map[string]string, len(env))
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	var out bytes.Buffer
	var errs Errors
	s := string(data)
	for i := 0; i < len(s); {
		c := s[i]
		if c != '$' || i+1 >= len(s) {
			out.WriteByte(c)
			i++
			continue
		}
		line := 1 + strings.Count(s[:i], "\n")
		switch next := s[i+1]; {
		case next == '$':
			out.WriteByte('$')
			i += 2
		case next == '{':
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				out.WriteString("${")
				i += 2
				continue
			}
			body := s[i+2 : i+2+end]
			ref, def, hasDef := body, "", false
			if j := strings.Index(body, ":-"); j > 0 {
				ref, def, hasDef = body[:j], body[j+2:], true
			}
			if v, ok := vars[ref]; ok {
				out.WriteString(v)
			} else if hasDef {
				out.WriteString(def)
			} else {
				errs = append(errs, &Error{File: name, Line: line, Key: "${" + ref + "}", Msg: "environment variable is not set (write ${" + ref + ":-default} to give a default)"})
			}
			i += 3 + end
		default:
			j := i + 1
			for j < len(s) {
				r, size := utf8.DecodeRuneInString(s[j:])
				if r != '_' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
					break
				}
				j += size
			}
			if j == i+1 {
				out.WriteByte('$')
				i++
				continue
			}
			ref := s[i+1 : j]
			if v, ok := vars[ref]; ok {
				out.WriteString(v)
			} else {
				errs = append(errs, &Error{File: name, Line: line, Key: "$" + ref, Msg: "environment variable is not set"})
			}
			i = j
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out.Bytes(), nil
}
