package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/streamgate/streamgate/authz"
)

// The Savant Media Gateway server dialect (seed 001): the JSON file a Media
// Gateway server runs with loads as-is into the same model. Keys follow the
// Media Gateway 0.2 server configuration. A key streamgate does not honour
// is a load error, never silently ignored: statistics (the Media Gateway's
// periodic statistics log) and out_stream.inflight_ops (in the Media
// Gateway's samples, dropped by its parser). Two keys of seed 001's file
// load without an effect of their own, because what they tune does not
// exist here: auth.basic.etcd.lease_timeout (streamgate holds no etcd lease;
// checked > 0 as the Media Gateway does) and auth.basic.etcd.cache (every
// user record is kept decoded, watched, so there is no record cache to size or
// track). auth.basic.cache.usage is authCache.usage.

// gwFile is the Media Gateway server configuration.
type gwFile struct {
	IP         *string       `yaml:"ip"`
	Port       *uint16       `yaml:"port"`
	TLS        *gwServerTLS  `yaml:"tls"`
	OutStream  *gwOutStream  `yaml:"out_stream"`
	Auth       *gwAuth       `yaml:"auth"`
	Statistics *gwStatistics `yaml:"statistics"`
}

type gwServerTLS struct {
	Identity *gwIdentity `yaml:"identity"`
	Peers    *struct {
		LookupHashDirectory string `yaml:"lookup_hash_directory"`
		CRLEnabled          bool   `yaml:"crl_enabled"`
	} `yaml:"peers"`
}

type gwIdentity struct {
	Certificate string `yaml:"certificate"`
	Key         string `yaml:"key"`
}

type gwOutStream struct {
	URL               string      `yaml:"url"`
	SendTimeout       *gwDuration `yaml:"send_timeout"`
	SendRetries       *int        `yaml:"send_retries"`
	ReceiveTimeout    *gwDuration `yaml:"receive_timeout"`
	ReceiveRetries    *int        `yaml:"receive_retries"`
	SendHWM           *int        `yaml:"send_hwm"`
	ReceiveHWM        *int        `yaml:"receive_hwm"`
	FixIPCPermissions *FileMode   `yaml:"fix_ipc_permissions"`
	InflightOps       *int        `yaml:"inflight_ops"`
}

type gwAuth struct {
	Basic *struct {
		Etcd       *gwEtcd  `yaml:"etcd"`
		Cache      *gwCache `yaml:"cache"`
		Quarantine *struct {
			FailedAttemptLimit int        `yaml:"failed_attempt_limit"`
			Period             gwDuration `yaml:"period"`
		} `yaml:"quarantine"`
	} `yaml:"basic"`
}

type gwEtcd struct {
	URLs []string `yaml:"urls"`
	TLS  *struct {
		RootCertificate string      `yaml:"root_certificate"`
		Identity        *gwIdentity `yaml:"identity"`
	} `yaml:"tls"`
	Credentials *struct {
		Username string `yaml:"username"`
		Password Secret `yaml:"password"`
	} `yaml:"credentials"`
	Path           string      `yaml:"path"`
	DataFormat     string      `yaml:"data_format"`
	LeaseTimeout   *gwDuration `yaml:"lease_timeout"`
	ConnectTimeout *gwDuration `yaml:"connect_timeout"`
	Cache          *gwCache    `yaml:"cache"`
}

type gwCache struct {
	Size  int `yaml:"size"`
	Usage *struct {
		Period           gwDuration `yaml:"period"`
		EvictedThreshold int        `yaml:"evicted_threshold"`
	} `yaml:"usage"`
}

type gwStatistics struct {
	FramePeriod     *int64      `yaml:"frame_period"`
	TimestampPeriod *gwDuration `yaml:"timestamp_period"`
	HistorySize     *int        `yaml:"history_size"`
}

// gwDuration is Rust's std::time::Duration as serde writes it:
// {"secs": S, "nanos": N} or [S, N].
type gwDuration struct{ time.Duration }

func (g *gwDuration) decodeNode(d *decoder, n *yaml.Node, key string) {
	var secs, nanos uint64
	switch n.Kind {
	case yaml.MappingNode:
		var raw struct {
			Secs  *uint64 `yaml:"secs"`
			Nanos *uint64 `yaml:"nanos"`
		}
		before := len(d.errs)
		d.decode(n, reflect.ValueOf(&raw).Elem(), key)
		if len(d.errs) > before {
			return
		}
		if raw.Secs == nil || raw.Nanos == nil {
			d.errorf(n, key, "a duration needs both secs and nanos")
			return
		}
		secs, nanos = *raw.Secs, *raw.Nanos
	case yaml.SequenceNode:
		if len(n.Content) != 2 {
			d.errorf(n, key, "a duration list is [secs, nanos]")
			return
		}
		var err1, err2 error
		secs, err1 = strconv.ParseUint(n.Content[0].Value, 10, 64)
		nanos, err2 = strconv.ParseUint(n.Content[1].Value, 10, 32)
		if err1 != nil || err2 != nil {
			d.errorf(n, key, "a duration list is [secs, nanos] of whole numbers")
			return
		}
	default:
		d.errorf(n, key, "want a duration {\"secs\": S, \"nanos\": N}, got %s", nodeKind(n))
		return
	}
	const maxSecs = uint64(1<<63-1) / uint64(time.Second)
	if secs > maxSecs-nanos/1e9 {
		d.errorf(n, key, "duration is too long")
		return
	}
	g.Duration = time.Duration(secs)*time.Second + time.Duration(nanos)
}

// ParseGatewayJSON reads a Media Gateway server JSON file. Environment
// references (${VAR}, ${VAR:-default}, $VAR, $$) are expanded in the text
// first, as the Media Gateway does.
func ParseGatewayJSON(name string, data []byte, env []string) (*Conf, error) {
	if len(data) > MaxFileSize {
		return nil, Errors{{File: name, Msg: fmt.Sprintf("file is larger than %d bytes", MaxFileSize)}}
	}
	expanded, err := expandEnv(name, data, env)
	if err != nil {
		return nil, err
	}
	if err := jsonSyntax(name, expanded); err != nil {
		return nil, err
	}
	// The YAML parser reads the file, for its lines and strict decoding.
	root, err := parseYAML(name, jsonForYAML(expanded))
	if err != nil {
		return nil, err
	}
	d := &decoder{file: name, env: map[*yaml.Node]string{}, lines: map[string]*yaml.Node{}}
	var f gwFile
	doc := root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		doc = doc.Content[0]
	}
	if doc.Kind != yaml.MappingNode {
		d.errorf(doc, "", "the file must be a JSON object")
		return nil, d.errs
	}
	d.decode(doc, reflect.ValueOf(&f).Elem(), "")
	if len(d.errs) > 0 {
		return nil, d.errs
	}
	c := Default()
	d.alias = map[string]string{}
	f.apply(d, c, doc)
	if len(d.errs) == 0 {
		// Environment overrides apply to the gateway dialect too, on the
		// model's own key names.
		envRoot := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		applyEnv(d, envRoot, reflect.ValueOf(c).Elem(), env)
		d.decode(envRoot, reflect.ValueOf(c).Elem(), "")
		c.Paths.finish(d, c.PathDefaults)
	}
	if len(d.errs) == 0 {
		validate(d, c)
	}
	if len(d.errs) > 0 {
		return nil, d.errs
	}
	if d.envs != nil {
		c.Warnings = d.envs.warnings
	}
	return c, nil
}

// apply maps the Media Gateway file onto c: only the gateway listener runs.
// doc is the file's top-level object.
func (f *gwFile) apply(d *decoder, c *Conf, doc *yaml.Node) {
	required := func(ok bool, key string) bool {
		if !ok {
			// A missing key is reported at the object that lacks it.
			parent := doc
			if i := strings.LastIndexByte(key, '.'); i > 0 {
				parent = d.lines[key[:i]]
			}
			d.errorf(parent, key, "required by the Media Gateway server configuration")
		}
		return ok
	}
	c.API, c.RTSP, c.RTMP, c.HLS, c.WebRTC, c.SRT = false, false, false, false, false, false
	c.Gateway = true
	if required(f.IP != nil, "ip") && required(f.Port != nil, "port") {
		c.GatewayAddress = net.JoinHostPort(*f.IP, strconv.Itoa(int(*f.Port)))
		d.link("gatewayAddress", "port")
	}
	if f.TLS != nil {
		c.GatewayEncryption = true
		if required(f.TLS.Identity != nil, "tls.identity") {
			c.GatewayServerCert, c.GatewayServerKey = f.TLS.Identity.Certificate, f.TLS.Identity.Key
			d.link("gatewayServerCert", "tls.identity.certificate")
			d.link("gatewayServerKey", "tls.identity.key")
		}
		if f.TLS.Peers != nil {
			c.GatewayClientCA = f.TLS.Peers.LookupHashDirectory
			d.link("gatewayClientCA", "tls.peers.lookup_hash_directory")
			c.GatewayClientCRL = f.TLS.Peers.CRLEnabled
			d.link("gatewayClientCRL", "tls.peers.crl_enabled")
		}
	}
	if required(f.OutStream != nil, "out_stream") {
		f.OutStream.apply(d, &c.Savant)
	}
	// Without auth the Media Gateway lets everyone POST.
	c.AuthInternalUsers = []User{anyUser(nil, authz.ActionGateway)}
	if f.Auth != nil && required(f.Auth.Basic != nil, "auth.basic") {
		b := f.Auth.Basic
		c.AuthMethod = AuthMethods{"etcd"}
		c.AuthInternalUsers = nil
		if required(b.Etcd != nil, "auth.basic.etcd") {
			b.Etcd.apply(d, &c.AuthEtcd)
		}
		if required(b.Cache != nil, "auth.basic.cache") {
			c.AuthCache.Size = b.Cache.Size
			d.link("authCache.size", "auth.basic.cache.size")
			if u := b.Cache.Usage; u != nil {
				c.AuthCache.Usage = CacheUsage{Period: u.Period.Duration, EvictedThreshold: u.EvictedThreshold}
				d.link("authCache.usage", "auth.basic.cache.usage")
			}
		}
		if q := b.Quarantine; q != nil {
			c.AuthQuarantine.FailedAttemptLimit = q.FailedAttemptLimit
			c.AuthQuarantine.Period = q.Period.Duration
			d.link("authQuarantine.failedAttemptLimit", "auth.basic.quarantine.failed_attempt_limit")
			d.link("authQuarantine.period", "auth.basic.quarantine.period")
		} else {
			c.AuthQuarantine.FailedAttemptLimit = 0
		}
	}
	if f.Statistics != nil {
		d.errAt("statistics", "not honoured by streamgate (the Media Gateway's statistics log); remove it — the metrics listener counts requests and bytes")
	}
}

func (o *gwOutStream) apply(d *decoder, s *Savant) {
	s.URL = o.URL
	d.link("savant.url", "out_stream.url")
	if o.SendTimeout != nil {
		s.SendTimeout = o.SendTimeout.Duration
		d.link("savant.sendTimeout", "out_stream.send_timeout")
	}
	if o.ReceiveTimeout != nil {
		s.ReceiveTimeout = o.ReceiveTimeout.Duration
		d.link("savant.receiveTimeout", "out_stream.receive_timeout")
	}
	for _, p := range []struct {
		dst *int
		src *int
		key string
	}{{&s.SendRetries, o.SendRetries, "send_retries"}, {&s.ReceiveRetries, o.ReceiveRetries, "receive_retries"},
		{&s.SendHWM, o.SendHWM, "send_hwm"}, {&s.ReceiveHWM, o.ReceiveHWM, "receive_hwm"}} {
		if p.src != nil {
			*p.dst = *p.src
		}
	}
	if o.FixIPCPermissions != nil {
		s.FixIPCPermissions = *o.FixIPCPermissions
		d.link("savant.fixIPCPermissions", "out_stream.fix_ipc_permissions")
	}
	if o.InflightOps != nil {
		d.errAt("out_stream.inflight_ops", "not honoured by streamgate (nor by the Media Gateway server, whose parser drops it); remove it")
	}
}

func (e *gwEtcd) apply(d *decoder, c *Etcd) {
	c.Endpoints = e.URLs
	d.link("authEtcd.endpoints", "auth.basic.etcd.urls")
	if e.TLS != nil {
		c.TLS.CA = e.TLS.RootCertificate
		d.link("authEtcd.tls.ca", "auth.basic.etcd.tls.root_certificate")
		if e.TLS.Identity != nil {
			c.TLS.Cert, c.TLS.Key = e.TLS.Identity.Certificate, e.TLS.Identity.Key
			d.link("authEtcd.tls.cert", "auth.basic.etcd.tls.identity.certificate")
			d.link("authEtcd.tls.key", "auth.basic.etcd.tls.identity.key")
		}
	}
	if e.Credentials != nil {
		c.Username, c.Password = e.Credentials.Username, e.Credentials.Password
	}
	c.Prefix = e.Path
	d.link("authEtcd.prefix", "auth.basic.etcd.path")
	c.DataFormat = e.DataFormat
	d.link("authEtcd.dataFormat", "auth.basic.etcd.data_format")
	if e.ConnectTimeout != nil {
		c.DialTimeout = e.ConnectTimeout.Duration
		d.link("authEtcd.dialTimeout", "auth.basic.etcd.connect_timeout")
	}
	if e.LeaseTimeout != nil {
		c.LeaseTimeout = e.LeaseTimeout.Duration
		if c.LeaseTimeout <= 0 {
			d.errAt("auth.basic.etcd.lease_timeout", "must be > 0")
		}
	}
	if e.Cache != nil {
		c.CacheSize = e.Cache.Size
	}
}

// link makes errors about a model key point at the dialect's key and line.
func (d *decoder) link(modelKey, fileKey string) {
	d.alias[modelKey] = fileKey
	if n, ok := d.lines[fileKey]; ok {
		d.lines[modelKey] = n
	}
}

// jsonSyntax reports the first JSON syntax error with its line.
func jsonSyntax(name string, data []byte) error {
	var v any
	err := json.Unmarshal(data, &v)
	if err == nil {
		return nil
	}
	line := 0
	if se, ok := err.(*json.SyntaxError); ok {
		line = 1 + bytes.Count(data[:min(int(se.Offset), len(data))], []byte("\n"))
	}
	return Errors{{File: name, Line: line, Msg: "JSON syntax error: " + err.Error()}}
}
