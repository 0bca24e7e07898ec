// Command streamgate is the authentication edge for live video. See
// README.md; the commands are:
//
//	streamgate [CONFIG]      run the daemon
//	streamgate check CONFIG  validate a configuration
//	streamgate hash          hash a password read on stdin
//	streamgate user put NAME store an etcd user record
//	streamgate token sign    print a signed URL token
//	streamgate version       print the version
package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "check":
			return cmdCheck(args[1:], stdout, stderr)
		case "hash":
			return cmdHash(args[1:], stdin, stdout, stderr)
		case "user":
			return cmdUser(args[1:], stdin, stdout, stderr)
		case "token":
			return cmdToken(args[1:], stdout, stderr)
		case "version", "--version", "-v":
			return cmdVersion(stdout)
		case "help", "--help", "-h":
			fmt.Fprint(stdout, usage)
			return 0
		}
	}
	return cmdRun(args, stdout, stderr)
}

const usage = `streamgate — authentication edge for live video

usage:
  streamgate [CONFIG]                 run the daemon (CONFIG: YAML, or Media Gateway .json;
                                      default ./streamgate.yml, ./mediamtx.yml, MediaMTX's other
                                      places (/etc/mediamtx/mediamtx.yml, …), else built-in)
  streamgate check CONFIG             validate CONFIG; exit 1 with file:line: key: problem
  streamgate hash [--algo argon2id|argon2i|sha256] [--format phc|mediamtx]
                                      hash a password read on stdin
  streamgate user put NAME --etcd URL [--prefix /users] [--labels RULE-JSON] [--cacert F --cert F --key F]
                                      hash a password read on stdin and store the user in etcd
  streamgate token sign --key-file F [--encoding raw|hex] [--acl PATH[!PATH…]] [--ttl 5m] [--start UNIX]
                        [--ip A] [--data S] [--id S]
                                      print an EdgeAuth URL token signed with the secret in F
  streamgate version                  print the version
`
