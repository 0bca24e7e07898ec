package testharness

import (
	"sync"
	"testing"
)

// perProcess returns a getter of the value newValue makes once per test
// process (a built binary, generated keys); a test that gets it fails when
// making it failed.
func perProcess[T any](newValue func() (T, error)) func(testing.TB) T {
	get := sync.OnceValues(newValue)
	return func(t testing.TB) T {
		t.Helper()
		v, err := get()
		if err != nil {
			t.Fatalf("testharness: %v", err)
		}
		return v
	}
}
