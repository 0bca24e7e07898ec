package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/streamgate/streamgate/authn/hash"
)

func cmdHash(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("hash", flag.ContinueOnError)
	fs.SetOutput(stderr)
	algo := fs.String("algo", "argon2id", "argon2id, argon2i or sha256")
	format := fs.String("format", "phc", "phc (a bare PHC string, for etcd records) or mediamtx (argon2:… / sha256:…, for authInternalUsers)")
	p := hash.DefaultParams
	t := fs.Uint("time", uint(p.Time), "argon2 passes (t)")
	m := fs.Uint("memory", uint(p.Memory), "argon2 memory in KiB (m)")
	threads := fs.Uint("threads", uint(p.Threads), "argon2 lanes (p)")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
		return 2
	}
	password, err := readPassword(stdin)
	if err != nil {
		fmt.Fprintln(stderr, "streamgate hash:", err)
		return 1
	}
	switch {
	case *algo == "sha256" && *format == "mediamtx":
		fmt.Fprintln(stdout, hash.SHA256(password))
		return 0
	case *algo == "sha256":
		fmt.Fprintln(stderr, "streamgate hash: sha256 has no PHC form; use --format mediamtx")
		return 2
	case *algo != "argon2id" && *algo != "argon2i":
		fmt.Fprintf(stderr, "streamgate hash: unknown --algo %q (argon2id, argon2i, sha256)\n", *algo)
		return 2
	case *format != "phc" && *format != "mediamtx":
		fmt.Fprintf(stderr, "streamgate hash: unknown --format %q (phc, mediamtx)\n", *format)
		return 2
	}
	p.Variant = hash.Variant(*algo)
	p.Time, p.Memory, p.Threads = uint32(min(*t, 1<<31)), uint32(min(*m, 1<<31)), uint8(min(*threads, 255))
	h, err := hash.New(password, p)
	if err != nil {
		fmt.Fprintln(stderr, "streamgate hash:", err)
		return 2
	}
	if *format == "mediamtx" {
		fmt.Fprintln(stdout, "argon2:"+h.String())
	} else {
		fmt.Fprintln(stdout, h.String())
	}
	return 0
}

// readPassword reads the first line of stdin without its line ending.
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", fmt.Errorf("no password on stdin")
	}
	return line, nil
}
