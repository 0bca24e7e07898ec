// Package pb holds the Go code generated from savant.proto, streamgate's own
// schema of the Savant wire format.
package pb

//go:generate protoc --go_out=. --go_opt=paths=source_relative savant.proto
