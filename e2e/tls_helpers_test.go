package e2e_test

import (
	"fmt"
	"testing"

	"github.com/streamgate/streamgate/internal/testharness"
)

// listenerCert makes a CA and a server certificate for 127.0.0.1 it signed,
// and returns the CA and the config lines <listener>ServerCert and
// <listener>ServerKey naming the certificate's files.
func listenerCert(t *testing.T, listener string) (*testharness.CA, string) {
	t.Helper()
	dir := t.TempDir()
	ca := testharness.NewCA(t, dir, listener+"-ca")
	cert, key := ca.IssueServer(t, dir, listener+"-server")
	return ca, fmt.Sprintf("%sServerCert: %s\n%sServerKey: %s\n", listener, cert, listener, key)
}
