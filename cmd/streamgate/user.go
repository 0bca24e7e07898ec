package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/authn/hash"
	"github.com/streamgate/streamgate/authz"
)

// cmdUser: streamgate user put NAME --etcd URL [--prefix /users] [--labels RULE-JSON]
// [--cacert F --cert F --key F] [--username U --password P]. The password is
// read on stdin and stored as an argon2id PHC string (seed 001 schema).
func cmdUser(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) < 2 || args[0] != "put" || strings.HasPrefix(args[1], "-") {
		fmt.Fprintln(stderr, "usage: streamgate user put NAME --etcd URL [--prefix /users] [--labels RULE-JSON] [--cacert F --cert F --key F] [--username U --password P]")
		return 2
	}
	name := args[1]
	fs := flag.NewFlagSet("user put", flag.ContinueOnError)
	fs.SetOutput(stderr)
	endpoints := fs.String("etcd", "", "etcd client URL(s), comma-separated")
	prefix := fs.String("prefix", "/users", "key prefix")
	labels := fs.String("labels", "", `allowed_routing_labels rule as JSON, e.g. {"set":"cam"}`)
	cacert := fs.String("cacert", "", "CA certificate file (PEM)")
	cert := fs.String("cert", "", "client certificate file (PEM)")
	key := fs.String("key", "", "client key file (PEM)")
	username := fs.String("username", "", "etcd user")
	password := fs.String("password", "", "etcd password")
	timeout := fs.Duration("timeout", 10*time.Second, "how long to wait for etcd")
	if err := fs.Parse(args[2:]); err != nil || fs.NArg() != 0 {
		return 2
	}
	if *endpoints == "" {
		fmt.Fprintln(stderr, "streamgate user put: --etcd is required")
		return 2
	}
	record := map[string]any{}
	if *labels != "" {
		rule, err := authz.ParseLabelRuleJSON([]byte(*labels))
		if err != nil {
			fmt.Fprintln(stderr, "streamgate user put: --labels:", err)
			return 2
		}
		record["allowed_routing_labels"] = rule
	}
	pass, err := readPassword(stdin)
	if err != nil {
		fmt.Fprintln(stderr, "streamgate user put:", err)
		return 1
	}
	h, err := hash.New(pass, hash.DefaultParams)
	if err != nil {
		fmt.Fprintln(stderr, "streamgate user put:", err)
		return 1
	}
	record["password_hash"] = h.String()
	value, _ := json.Marshal(record)
	tlsCfg, err := authn.EtcdClientTLS(authn.EtcdConfig{Endpoints: strings.Split(*endpoints, ","), CA: *cacert, Cert: *cert, Key: *key})
	if err != nil {
		fmt.Fprintln(stderr, "streamgate user put:", err)
		return 1
	}
	client, err := clientv3.New(clientv3.Config{Endpoints: strings.Split(*endpoints, ","), TLS: tlsCfg,
		Username: *username, Password: *password, DialTimeout: *timeout, Logger: zap.NewNop()})
	if err != nil {
		fmt.Fprintln(stderr, "streamgate user put: etcd:", err)
		return 1
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	k := strings.TrimSuffix(*prefix, "/") + "/" + name
	if _, err := client.Put(ctx, k, string(value)); err != nil {
		fmt.Fprintln(stderr, "streamgate user put: etcd:", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: stored\n", k)
	return 0
}
