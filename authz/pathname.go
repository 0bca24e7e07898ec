package authz

import (
	"errors"
	"fmt"
	"strings"
)

// MaxPathNameLength is the longest path name a client may ask for.
const MaxPathNameLength = 1024

// ErrPathName: a path name breaks the naming rules. Every listener answers
// it with its protocol's bad request, before authentication.
var ErrPathName = errors.New("invalid path name")

// CheckPathName holds a path name — configured or asked for by a client, as
// the listener decoded it — to MediaMTX's rules and more: 1 to
// MaxPathNameLength bytes of letters, digits and _-.~/: only (no control
// character, NUL, space, %, \ …), no leading or trailing slash, and no
// empty, "." or ".." element. A valid name is its own clean form, so it
// cannot address anything but itself (a Savant source_id, a log line). The
// error wraps ErrPathName and does not echo the name.
func CheckPathName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty", ErrPathName)
	case len(name) > MaxPathNameLength:
		return fmt.Errorf("%w: longer than %d bytes", ErrPathName, MaxPathNameLength)
	case name[0] == '/' || name[len(name)-1] == '/':
		return fmt.Errorf("%w: begins or ends with a slash", ErrPathName)
	}
	for i := 0; i < len(name); i++ {
		if !pathNameByte(name[i]) {
			return fmt.Errorf("%w: only letters, digits and _-.~/: are allowed", ErrPathName)
		}
	}
	for el := range strings.SplitSeq(name, "/") {
		if el == "" || el == "." || el == ".." {
			return fmt.Errorf(`%w: an empty, "." or ".." element`, ErrPathName)
		}
	}
	return nil
}

func pathNameByte(c byte) bool {
	switch {
	case c >= '0' && c <= '9', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		return true
	}
	return strings.IndexByte("_-.~/:", c) >= 0
}
