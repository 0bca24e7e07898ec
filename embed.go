// Package streamgate holds what the repository root owns: the example
// configuration, which is also the embedded default.
package streamgate

import _ "embed"

// DefaultConfig is mediamtx.yml.example, the configuration used when no file
// is given.
//
//go:embed mediamtx.yml.example
var DefaultConfig []byte

// Version is set at build time with -ldflags "-X github.com/streamgate/streamgate.Version=…".
var Version = "dev"
