package main

import (
	"flag"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"

	"github.com/streamgate/streamgate/authn"
)

// cmdToken runs `streamgate token sign`: it prints an EdgeAuth token signed
// with the secret of --key-file.
func cmdToken(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "sign" {
		fmt.Fprintln(stderr, "usage: streamgate token sign --key-file F [--encoding raw|hex] [--acl PATH] [--ttl 5m] [--start UNIX] [--ip A] [--data S] [--id S]")
		return 2
	}
	fs := flag.NewFlagSet("token sign", flag.ContinueOnError)
	fs.SetOutput(stderr)
	keyFile := fs.String("key-file", "", "the secret file (the whole file, trailing white space ignored)")
	encoding := fs.String("encoding", "raw", "the secret file's encoding: raw or hex")
	acl := fs.String("acl", "/*", "the paths the token allows, !-separated, * as wildcard")
	ttl := fs.Duration("ttl", 5*time.Minute, "how long the token is valid")
	start := fs.Int64("start", 0, "the token's st field (unix seconds; 0: none)")
	ip := fs.String("ip", "", "the only client address the token is valid for")
	data := fs.String("data", "", "the token's data field")
	id := fs.String("id", "", "the token's id field (the session identity)")
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() != 0 {
		return 2
	}
	switch {
	case *keyFile == "":
		fmt.Fprintln(stderr, "streamgate token sign: --key-file is required")
		return 2
	case *ttl <= 0:
		fmt.Fprintln(stderr, "streamgate token sign: --ttl must be positive")
		return 2
	case *acl == "":
		fmt.Fprintln(stderr, "streamgate token sign: --acl must not be empty")
		return 2
	case strings.Contains(*acl+*data+*id, "~"):
		fmt.Fprintln(stderr, "streamgate token sign: --acl, --data and --id must not contain ~")
		return 2
	}
	if *ip != "" {
		if _, err := netip.ParseAddr(*ip); err != nil {
			fmt.Fprintln(stderr, "streamgate token sign: --ip:", err)
			return 2
		}
	}
	key, err := authn.ReadTokenSecret(*keyFile, *encoding)
	if err != nil {
		fmt.Fprintln(stderr, "streamgate token sign:", err)
		return 1
	}
	base := time.Now()
	if *start > 0 {
		base = time.Unix(*start, 0)
	}
	t := authn.EdgeAuthToken{IP: *ip, Start: *start, End: base.Add(*ttl).Unix(), ACL: strings.Split(*acl, "!"), ID: *id, Data: *data}
	fmt.Fprintln(stdout, authn.SignEdgeAuth(key, t))
	return 0
}
