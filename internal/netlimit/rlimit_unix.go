//go:build unix

package netlimit

import "syscall"

// RaiseFileLimit raises the soft RLIMIT_NOFILE to the hard one and returns
// both as they are now. (The Go runtime does the same at start since Go
// 1.19; this makes it explicit and reports the result.)
func RaiseFileLimit() (soft, hard uint64, err error) {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0, 0, err
	}
	if r.Cur < r.Max {
		raised := syscall.Rlimit{Cur: r.Max, Max: r.Max}
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised); err != nil {
			return uint64(r.Cur), uint64(r.Max), err
		}
		r = raised
	}
	return uint64(r.Cur), uint64(r.Max), nil
}
