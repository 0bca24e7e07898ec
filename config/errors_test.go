package config_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/streamgate/streamgate/config"
)

// A valid argon2id hash (MediaMTX documentation: the user name "user").
const goodPHC = "$argon2id$v=19$m=4096,t=3,p=1$MTIzNDU2Nzg$OGGO0eCMN0ievb4YGSzvS/H+Vajx1pcbUmtLp2tRqRU"

// userWithPass is a one-user authInternalUsers whose pass is on line 3.
func userWithPass(pass string) string {
	return "authInternalUsers:\n- user: alice\n  pass: " + pass + "\n  permissions:\n  - action: publish\n"
}

// nested returns a label rule nested depth times in "not".
func nested(depth int) string {
	return strings.Repeat("{not: ", depth) + "{set: a}" + strings.Repeat("}", depth)
}

// aliasBomb is a "billion laughs" label rule: ten rules, each an or of ten
// aliases of the one before.
func aliasBomb() string {
	text := "authInternalUsers:\n- user: any\n  labels: &a0 {set: a}\n"
	for i := 1; i <= 9; i++ {
		prev := fmt.Sprintf("*a%d", i-1)
		text += fmt.Sprintf("- user: any\n  labels: &a%d {or: [%s]}\n", i, strings.Repeat(prev+", ", 9)+prev)
	}
	return text
}

// aliasBombOneRule is one label rule that defines and expands its own aliases.
func aliasBombOneRule() string {
	items := []string{"&a0 {set: a}"}
	for i := 1; i <= 6; i++ {
		prev := fmt.Sprintf("*a%d", i-1)
		items = append(items, fmt.Sprintf("&a%d {or: [%s]}", i, strings.Repeat(prev+", ", 9)+prev))
	}
	return "authInternalUsers:\n- user: any\n  labels: {or: [" + strings.Join(items, ", ") + "]}\n"
}

// aliasedLists is a list of 10000 labels used by 50 paths through an alias.
func aliasedLists() string {
	text := "paths:\n  p0: {savantLabels: &l [" + strings.Repeat("a, ", 9999) + "a]}\n"
	for i := 1; i <= 50; i++ {
		text += fmt.Sprintf("  p%d: {savantLabels: *l}\n", i)
	}
	return text
}

type badCase struct {
	name string
	text string
	env  []string
	json bool // a Media Gateway JSON file (gw.json) instead of bad.yml

	file string // the file the error names; default bad.yml / gw.json
	line int    // 0: no line (env, or a key the file does not write)
	key  string
	msg  string // a substring of the problem
}

var badCases = []badCase{
	// Keys.
	{name: "unknown key", text: "logLevel: info\nrtspAdress: :8554\n", line: 2, key: "rtspAdress", msg: "unknown key"},
	{name: "unknown key did you mean", text: "rtspaddress: :8554\n", line: 1, key: "rtspaddress", msg: "unknown key (did you mean rtspAddress?)"},
	{name: "unknown nested key did you mean", text: "authQuarantine:\n  Period: 10s\n", line: 2, key: "authQuarantine.Period", msg: "did you mean period?"},
	{name: "unknown key in a list item", text: "authInternalUsers:\n- user: any\n  password: x\n", line: 3, key: "authInternalUsers[0].password", msg: "unknown key"},
	{name: "duplicate key", text: "rtspAddress: :8554\nlogLevel: info\nrtspAddress: :8555\n", line: 3, key: "rtspAddress", msg: "duplicate key (first set on line 1)"},
	{name: "duplicate nested key", text: "authCache:\n  size: 1\n  size: 2\n", line: 3, key: "authCache.size", msg: "duplicate key (first set on line 2)"},
	{name: "merge key of another type", text: "authCache: &c {size: 1}\nauthQuarantine:\n  <<: *c\n", line: 1, key: "authQuarantine.size", msg: "unknown key"},
	{name: "merge key not a mapping", text: "authQuarantine:\n  <<: 3\n", line: 2, key: "authQuarantine", msg: "a merge key (<<) wants a mapping"},
	{name: "duplicate key beside a merge", text: "authCache: &c {size: 1}\nauthCache2:\n  <<: *c\n  ttl: 1s\n  ttl: 2s\n", line: 2, key: "authCache2", msg: "unknown key"},

	// Types.
	{name: "string for bool", text: "api: enabled\n", line: 1, key: "api", msg: `want yes or no, got "enabled"`},
	{name: "bad bool maybe", text: "\nrtsp: maybe\n", line: 2, key: "rtsp", msg: `want yes or no, got "maybe"`},
	{name: "list for bool", text: "hls: [yes]\n", line: 1, key: "hls", msg: "want yes or no, got a list"},
	{name: "list for string", text: "logLevel: [info]\n", line: 1, key: "logLevel", msg: "want a string, got a list"},
	{name: "mapping for list", text: "rtspTransports:\n  udp: yes\n", line: 2, key: "rtspTransports", msg: "want a list, got a mapping"},
	{name: "mapping for string in list", text: "rtspTransports:\n- tcp\n- {udp: yes}\n", line: 3, key: "rtspTransports[1]", msg: "want a string, got a mapping"},
	{name: "string for struct", text: "authCache: big\n", line: 1, key: "authCache", msg: "want a mapping of keys"},
	{name: "bad int", text: "hlsSegmentCount: seven\n", line: 1, key: "hlsSegmentCount", msg: `want a whole number, got "seven"`},
	{name: "bad size", text: "gatewayMaxBodySize: lots\n", line: 1, key: "gatewayMaxBodySize", msg: "want a size such as 16MiB"},
	{name: "bad file mode", text: "savant:\n  url: pub+bind:ipc:///tmp/s\n  fixIPCPermissions: 0999\n", line: 3, key: "savant.fixIPCPermissions", msg: "want a permission mode"},
	{name: "file not a mapping", text: "- a\n- b\n", line: 1, key: "", msg: "the file must be a mapping of keys, got a list"},

	// Durations.
	{name: "bad duration", text: "readTimeout: 10\n", line: 1, key: "readTimeout", msg: `want a duration such as 10s or 1m30s, got "10"`},
	{name: "bad duration unit", text: "authCache:\n  ttl: 5 minutes\n", line: 2, key: "authCache.ttl", msg: "want a duration"},
	{name: "negative duration", text: "writeTimeout: -1s\n", line: 1, key: "writeTimeout", msg: "must not be negative, got -1s"},
	{name: "zero timeout", text: "\n\nshutdownTimeout: 0s\n", line: 3, key: "shutdownTimeout", msg: "must be > 0"},

	// Enumerations.
	{name: "logLevel enum", text: "logLevel: verbose\n", line: 1, key: "logLevel", msg: `must be one of debug, info, warn, error, got "verbose"`},
	{name: "logFormat enum", text: "logLevel: info\nlogFormat: xml\n", line: 2, key: "logFormat", msg: `must be one of text, json, got "xml"`},
	{name: "rtspEncryption bad", text: "rtspEncryption: maybe\n", line: 1, key: "rtspEncryption", msg: `must be one of no, strict, optional, got "maybe"`},
	{name: "rtspTransports bad", text: "rtspTransports: [tcp, quic]\n", line: 1, key: "rtspTransports[1]", msg: `got "quic"`},
	{name: "hlsVariant bad", text: "hlsVariant: dash\n", line: 1, key: "hlsVariant", msg: "must be one of mpegts, fmp4, lowLatency"},

	// authMethod.
	{name: "authMethod unknown", text: "authMethod: ldap\n", line: 1, key: "authMethod", msg: `unknown method "ldap"`},
	{name: "authMethod unknown in list", text: "authMethod:\n- internal\n- ldap\n", line: 3, key: "authMethod[1]", msg: `unknown method "ldap"`},
	{name: "authMethod duplicate", text: "authMethod: [internal, http, internal]\n", line: 1, key: "authMethod[2]", msg: `method "internal" is listed twice`},
	{name: "authMethod comma list unknown", text: "authMethod: internal, ldap\n", line: 1, key: "authMethod", msg: `unknown method "ldap"`},
	{name: "authMethod not a name", text: "authMethod:\n- internal\n- {etcd: yes}\n", line: 3, key: "authMethod[1]", msg: "want a backend name, got a mapping"},
	{name: "authMethod empty list", text: "authMethod: []\n", line: 1, key: "authMethod", msg: "must name at least one of internal, http, jwt, etcd, token"},
	{name: "authMethod empty", text: "authMethod:\n", line: 1, key: "authMethod", msg: "must name at least one"},
	{name: "authMethod http without address", text: "authMethod: http\n", line: 0, key: "authHTTPAddress", msg: "must be set"},
	{name: "authMethod etcd without endpoints", text: "authMethod: etcd\nauthEtcd:\n  prefix: /users\n", line: 2, key: "authEtcd.endpoints", msg: "must list at least one URL"},
	{name: "etcd bad endpoint", text: "authMethod: etcd\nauthEtcd:\n  endpoints:\n  - 127.0.0.1:2379\n", line: 4, key: "authEtcd.endpoints[0]", msg: "want an http:// or https:// URL"},
	{name: "etcd prefix", text: "authMethod: etcd\nauthEtcd:\n  endpoints: [http://127.0.0.1:2379]\n  prefix: users\n", line: 4, key: "authEtcd.prefix", msg: `must begin with /, got "users"`},
	{name: "etcd tls missing file", text: "authMethod: etcd\nauthEtcd:\n  endpoints: [https://127.0.0.1:2379]\n  tls:\n    ca: /nonexistent/ca.crt\n", line: 5, key: "authEtcd.tls.ca", msg: "cannot read /nonexistent/ca.crt"},

	// Users.
	{name: "named user empty pass", text: userWithPass(""), line: 3, key: "authInternalUsers[0].pass", msg: "must be set for a named user"},
	{name: "named user without pass key", text: "authInternalUsers:\n- user: bob\n  permissions: []\n", line: 2, key: "authInternalUsers[0].pass", msg: "must be set for a named user"},
	{name: "any with a pass", text: "authInternalUsers:\n- user: any\n  pass: secret\n", line: 3, key: "authInternalUsers[0].pass", msg: "must be empty for the any user"},
	{name: "user missing", text: "authInternalUsers:\n- user: any\n- pass: secret\n  permissions: []\n", line: 3, key: "authInternalUsers[1].user", msg: "must be set (use any for anonymous access)"},
	{name: "unknown permission action", text: "authInternalUsers:\n- user: any\n  permissions:\n  - action: publish\n  - action: publsh\n    path: cam\n", line: 5, key: "authInternalUsers[0].permissions[1].action", msg: `unknown action "publsh"`},
	{name: "permission without action", text: "authInternalUsers:\n- user: any\n  permissions:\n  - path: cam\n", line: 4, key: "authInternalUsers[0].permissions[0].action", msg: "must be set (publish, read"},
	{name: "unknown permission key", text: "authInternalUsers:\n- user: any\n  permissions:\n  - action: read\n    paths: cam\n", line: 5, key: "authInternalUsers[0].permissions[0].paths", msg: "unknown key"},
	{name: "bad regex path", text: "authInternalUsers:\n- user: any\n  permissions:\n  - action: read\n    path: ~cam(\n", line: 5, key: "authInternalUsers[0].permissions[0].path", msg: "invalid regular expression"},
	{name: "bad regex in authHTTPExclude", text: "authHTTPExclude:\n- action: api\n  path: '~[z-a]'\n", line: 3, key: "authHTTPExclude[0].path", msg: "invalid regular expression"},
	{name: "bad ips CIDR", text: "authInternalUsers:\n- user: any\n  ips: [10.0.0.0/8, 10.0.0.0/33]\n", line: 3, key: "authInternalUsers[0].ips[1]", msg: `invalid network "10.0.0.0/33"`},
	{name: "bad ips address", text: "authInternalUsers:\n- user: any\n  ips:\n  - 127.0.0.1\n  - localhost\n", line: 5, key: "authInternalUsers[0].ips[1]", msg: `invalid address "localhost"`},
	{name: "bad trusted proxy", text: "apiTrustedProxies: [300.1.1.1]\n", line: 1, key: "apiTrustedProxies[0]", msg: "invalid address"},

	// Label rules.
	{name: "label rule unknown op", text: "authInternalUsers:\n- user: any\n  labels: {xor: [{set: a}]}\n", line: 3, key: "authInternalUsers[0].labels", msg: `unknown operator "xor"`},
	{name: "label rule set with a list", text: "authInternalUsers:\n- user: any\n  labels:\n    set: [a, b]\n", line: 4, key: "authInternalUsers[0].labels", msg: "set wants a string, got a list"},
	{name: "label rule two keys", text: "authInternalUsers:\n- user: any\n  labels: {set: a, unset: b}\n", line: 3, key: "authInternalUsers[0].labels", msg: "exactly one of set, unset, and, or, not; got 2 keys"},
	{name: "label rule too deep", text: "authInternalUsers:\n- user: any\n  labels: " + nested(40) + "\n", line: 3, key: "authInternalUsers[0].labels", msg: "nested deeper than 32"},
	{name: "label rule deeper than the decoder allows", text: "authInternalUsers:\n- user: any\n  labels: " + nested(100) + "\n", line: 3, key: "authInternalUsers[0].labels", msg: "nested deeper than"},
	{name: "label rule alias bomb", text: aliasBomb(), line: 9, key: "authInternalUsers[3].labels", msg: "invalid label rule: more than 1024 nodes"},
	{name: "label rule alias bomb in one rule", text: aliasBombOneRule(), line: 3, key: "authInternalUsers[0].labels", msg: "has more than 16384 values (aliases included)"},
	{name: "alias expansion bound", text: aliasedLists(), line: 9, key: "paths.p7.savantLabels", msg: "YAML aliases expand to more than 65536 values"},
	{name: "label rule and-nesting", text: "authInternalUsers:\n- user: any\n  labels: " + strings.Repeat("{and: [", 40) + "{set: a}" + strings.Repeat("]}", 40) + "\n", line: 3, key: "authInternalUsers[0].labels", msg: "nested deeper than"},
	{name: "label rule duplicate key", text: "authInternalUsers:\n- user: any\n  labels:\n    and:\n    - {set: a, set: b}\n", line: 5, key: "authInternalUsers[0].labels.and[0].set", msg: "duplicate key"},

	// Password hashes.
	{name: "argon2 t=0", text: userWithPass("argon2:$argon2id$v=19$m=4096,t=0,p=1$MTIzNDU2Nzg$OGGO0eCMN0ievb4YGSzvS/H+Vajx1pcbUmtLp2tRqRU"), line: 3, key: "authInternalUsers[0].pass", msg: "argon2 t: 0, want 1 to 32"},
	{name: "argon2 p=0", text: userWithPass("argon2:$argon2id$v=19$m=4096,t=3,p=0$MTIzNDU2Nzg$OGGO0eCMN0ievb4YGSzvS/H+Vajx1pcbUmtLp2tRqRU"), line: 3, key: "authInternalUsers[0].pass", msg: "argon2 p: 0, want 1 to 16"},
	{name: "argon2 m above cap", text: userWithPass("argon2:$argon2id$v=19$m=262145,t=3,p=1$MTIzNDU2Nzg$OGGO0eCMN0ievb4YGSzvS/H+Vajx1pcbUmtLp2tRqRU"), line: 3, key: "authInternalUsers[0].pass", msg: "argon2 m: 262145 KiB, the limit is 262144"},
	{name: "argon2 m below 8p", text: userWithPass("argon2:$argon2id$v=19$m=8,t=3,p=2$MTIzNDU2Nzg$OGGO0eCMN0ievb4YGSzvS/H+Vajx1pcbUmtLp2tRqRU"), line: 3, key: "authInternalUsers[0].pass", msg: "argon2 m: 8 KiB is below 8 × p = 16"},
	{name: "argon2 salt too short", text: userWithPass("argon2:$argon2id$v=19$m=4096,t=3,p=1$MTIzNDU2$OGGO0eCMN0ievb4YGSzvS/H+Vajx1pcbUmtLp2tRqRU"), line: 3, key: "authInternalUsers[0].pass", msg: "argon2 salt: 6 bytes, want 8 to 64"},
	{name: "argon2 salt too long", text: userWithPass("argon2:$argon2id$v=19$m=4096,t=3,p=1$" + strings.Repeat("QUFB", 22) + "$OGGO0eCMN0ievb4YGSzvS/H+Vajx1pcbUmtLp2tRqRU"), line: 3, key: "authInternalUsers[0].pass", msg: "argon2 salt: 66 bytes, want 8 to 64"},
	{name: "argon2 hash too short", text: userWithPass("argon2:$argon2id$v=19$m=4096,t=3,p=1$MTIzNDU2Nzg$OGGO0eCMN0ievb4YGS"), line: 3, key: "authInternalUsers[0].pass", msg: "argon2 hash: 13 bytes, want 16 to 64"},
	{name: "argon2 malformed PHC", text: userWithPass("argon2:$argon2id$v=19$m=4096,t=3,p=1$MTIzNDU2Nzg"), line: 3, key: "authInternalUsers[0].pass", msg: "malformed argon2 PHC string"},
	{name: "argon2 unknown variant", text: userWithPass("argon2:$argon2d$v=19$m=4096,t=3,p=1$MTIzNDU2Nzg$OGGO0eCMN0ievb4YGSzvS/H+Vajx1pcbUmtLp2tRqRU"), line: 3, key: "authInternalUsers[0].pass", msg: `variant "argon2d"`},
	{name: "argon2 in user name", text: "authInternalUsers:\n- user: argon2:$argon2id$v=19$m=4096,t=99,p=1$MTIzNDU2Nzg$OGGO0eCMN0ievb4YGSzvS/H+Vajx1pcbUmtLp2tRqRU\n  pass: x\n", line: 2, key: "authInternalUsers[0].user", msg: "argon2 t: 99"},
	{name: "sha256 bad base64", text: userWithPass("sha256:not*base64"), line: 3, key: "authInternalUsers[0].pass", msg: "sha256: want the base64 of a 32-byte SHA-256 digest"},
	{name: "sha256 short digest", text: userWithPass("sha256:MTIzNDU2Nzg="), line: 3, key: "authInternalUsers[0].pass", msg: "32-byte"},
	{name: "authPass bad hash", text: "authUser: admin\nauthPass: argon2:$argon2i$v=19$m=4096,t=3,p=1$MTIz$OGGO0eCMN0ievb4YGSzvS/H+Vajx1pcbUmtLp2tRqRU\n", line: 2, key: "authPass", msg: "argon2 salt: 3 bytes"},
	{name: "authPass without authUser", text: "\nauthPass: secret\n", line: 2, key: "authPass", msg: "authUser must be set too"},

	// Cache and quarantine.
	{name: "quarantine period 0 with a limit", text: "authQuarantine:\n  failedAttemptLimit: 3\n  period: 0s\n", line: 3, key: "authQuarantine.period", msg: "must be > 0"},
	{name: "quarantine negative limit", text: "authQuarantine:\n  failedAttemptLimit: -1\n", line: 2, key: "authQuarantine.failedAttemptLimit", msg: "must be ≥ 0"},
	{name: "authCache ttl 0", text: "authCache:\n  size: 10\n  ttl: 0s\n", line: 3, key: "authCache.ttl", msg: "must be > 0"},
	{name: "authCache negative size", text: "authCache: {size: -5}\n", line: 1, key: "authCache.size", msg: "must be ≥ 0 (0 disables the cache), got -5"},
	{name: "authRealm with a quote", text: "authRealm: 'a\"b'\n", line: 1, key: "authRealm", msg: "without quotes"},
	{name: "jwt leeway", text: "authJWTLeeway: 2m\n", line: 1, key: "authJWTLeeway", msg: "must be at most 60s"},
	{name: "http fingerprint", text: "authHTTPFingerprint: abcd\n", line: 1, key: "authHTTPFingerprint", msg: "SHA-256 fingerprint"},
	{name: "jwks fingerprint not hex", text: "authJWTJWKSFingerprint: '" + strings.Repeat("zz:", 31) + "zz'\n", line: 1, key: "authJWTJWKSFingerprint", msg: "SHA-256 fingerprint"},

	// Listeners.
	{name: "duplicate listener addresses", text: "rtspAddress: :8554\nhlsAddress: :8554\n", line: 2, key: "hlsAddress", msg: ":8554 is already used by rtspAddress"},
	{name: "bad address", text: "apiAddress: 9997\n", line: 1, key: "apiAddress", msg: `want host:port or :port, got "9997"`},
	{name: "bad port", text: "webrtcAddress: :70000\n", line: 1, key: "webrtcAddress", msg: `port must be 0 to 65535, got "70000"`},
	{name: "tls without key", text: "apiEncryption: yes\napiServerKey: ''\n", line: 2, key: "apiServerKey", msg: "must be set when api is served over TLS"},
	{name: "gatewayClientCA without TLS", text: "gateway: yes\ngatewayClientCA: /nonexistent/ca\nsavant: {url: pub+bind:ipc:///tmp/sg}\n", line: 2, key: "gatewayClientCA", msg: "needs gatewayEncryption: yes"},
	{name: "gatewayMaxBodySize too small", text: "gateway: yes\ngatewayMaxBodySize: 10\nsavant: {url: pub+bind:ipc:///tmp/sg}\n", line: 2, key: "gatewayMaxBodySize", msg: "must be from 1KiB to 1GiB"},

	{name: "gateway without savant", text: "api: no\ngateway: yes\n", line: 2, key: "gateway", msg: "needs savant.url"},

	// Savant.
	{name: "savant url reader type", text: "savant:\n  url: sub+bind:ipc:///tmp/s\n", line: 2, key: "savant.url", msg: `socket type "sub" is a reader's`},
	{name: "savant url unknown type", text: "savant:\n  url: push+bind:ipc:///tmp/s\n", line: 2, key: "savant.url", msg: `unknown socket type "push"`},
	{name: "savant url bad mode", text: "savant:\n  url: pub+listen:ipc:///tmp/s\n", line: 2, key: "savant.url", msg: `unknown socket mode "listen"`},
	{name: "savant url no endpoint", text: "savant:\n  url: 'pub+bind:'\n", line: 2, key: "savant.url", msg: "endpoint must start with ipc:// or tcp://"},
	{name: "savant url relative ipc", text: "savant:\n  url: pub+bind:ipc://tmp/s\n", line: 2, key: "savant.url", msg: "ipc endpoint needs an absolute path"},
	{name: "savant url tcp no port", text: "savant:\n  url: pub+connect:tcp://127.0.0.1\n", line: 2, key: "savant.url", msg: "tcp endpoint wants tcp://host:port"},
	{name: "savant url connect to star", text: "savant:\n  url: dealer+connect:tcp://*:5555\n", line: 2, key: "savant.url", msg: "needs a host to connect to"},
	{name: "fixIPCPermissions with connect", text: "savant:\n  url: pub+connect:ipc:///tmp/s\n  fixIPCPermissions: 0777\n", line: 3, key: "savant.fixIPCPermissions", msg: "applies only to a bound ipc socket"},
	{name: "fixIPCPermissions with tcp", text: "savant:\n  fixIPCPermissions: 0700\n  url: pub+bind:tcp://127.0.0.1:5555\n", line: 2, key: "savant.fixIPCPermissions", msg: "applies only to a bound ipc socket"},
	{name: "savant queueSize", text: "savant:\n  url: pub+bind:ipc:///tmp/s\n  queueSize: 0\n", line: 3, key: "savant.queueSize", msg: "must be ≥ 1"},

	// Paths.
	{name: "path bad regex name", text: "paths:\n  cam1:\n  ~cam(:\n", line: 3, key: "paths.~cam(", msg: "invalid regular expression"},
	{name: "path bad name", text: "paths:\n  a//b:\n", line: 2, key: "paths.a//b", msg: `an empty, "." or ".." element`},
	{name: "path bad characters", text: "paths:\n  'cam 1':\n", line: 2, key: "paths.cam 1", msg: "only letters, digits"},
	{name: "path duplicate", text: "paths:\n  cam1:\n  cam1:\n", line: 3, key: "paths.cam1", msg: "duplicate key (first set on line 2)"},
	{name: "path unknown key", text: "paths:\n  cam1:\n    sauce: publisher\n", line: 3, key: "paths.cam1.sauce", msg: "unknown key"},
	{name: "source on a regex path", text: "paths:\n  ~^cam:\n    source: rtsp://127.0.0.1/x\n", line: 3, key: "paths.~^cam.source", msg: "regular expression"},
	{name: "source on all_others", text: "paths:\n  all_others:\n    source: rtsp://127.0.0.1/x\n", line: 3, key: "paths.all_others.source", msg: "regular expression"},
	{name: "source scheme unknown", text: "paths:\n  cam1:\n    source: ftp://u:hunter2@127.0.0.1/x\n", line: 3, key: "paths.cam1.source", msg: `scheme "ftp" is not supported`},
	{name: "source bad srt redacted", text: "paths:\n  cam1:\n    source: srt://127.0.0.1?passphrase=hunter2hunter2\n", line: 3, key: "paths.cam1.source", msg: `got "srt://127.0.0.1?passphrase=xxxxx"`},
	{name: "source udp without port", text: "paths:\n  cam1:\n    source: udp://u:hunter2@127.0.0.1\n", line: 3, key: "paths.cam1.source", msg: `got "udp://u:xxxxx@127.0.0.1"`},
	{name: "source whep without host", text: "paths:\n  cam1:\n    source: whep:///x/whep\n", line: 3, key: "paths.cam1.source", msg: "want a host"},
	{name: "source fingerprint", text: "paths:\n  cam1:\n    source: rtsps://127.0.0.1/x\n    sourceFingerprint: abc\n", line: 4, key: "paths.cam1.sourceFingerprint", msg: "64 hex digits"},
	{name: "source range", text: "paths:\n  cam1:\n    source: rtsp://127.0.0.1/x\n    rtspRangeType: npt\n    rtspRangeStart: soon\n", line: 5, key: "paths.cam1.rtspRangeStart", msg: "want a duration"},
	{name: "rtspTransport bad", text: "paths:\n  cam1:\n    source: rtsp://127.0.0.1/x\n    rtspTransport: quic\n", line: 4, key: "paths.cam1.rtspTransport", msg: `got "quic"`},
	{name: "pathDefaults source", text: "pathDefaults:\n  source: redirect\n", line: 2, key: "pathDefaults.source", msg: "redirect needs sourceRedirect"},
	{name: "sourceRedirect http", text: "paths:\n  cam:\n    source: redirect\n    sourceRedirect: http://u:hunter2@h/x\n", line: 4, key: "paths.cam.sourceRedirect", msg: `got "http://u:xxxxx@h/x"`},
	{name: "srt passphrase too short", text: "paths:\n  cam1:\n    srtPublishPassphrase: short\n", line: 3, key: "paths.cam1.srtPublishPassphrase", msg: "must be 10 to 79 characters (SRT), got 5"},
	{name: "srt read passphrase too long", text: "paths:\n  cam1:\n    srtReadPassphrase: " + strings.Repeat("x", 80) + "\n", line: 3, key: "paths.cam1.srtReadPassphrase", msg: "got 80"},
	{name: "path savantLabels not a list", text: "paths:\n  cam1:\n    savantLabels: {a: b}\n", line: 3, key: "paths.cam1.savantLabels", msg: "want a list"},

	// YAML itself.
	{name: "YAML syntax error", text: "logLevel: info\nrtsp: yes\n  api: no\n", line: 3, msg: "syntax error: mapping values are not allowed"},
	{name: "YAML unclosed flow", text: "logLevel: info\nrtspTransports: [udp, tcp\nrtsp: yes\n", line: 2, msg: "syntax error"},
	{name: "YAML unclosed at end of file", text: "logLevel: info\nauthCache: {size: 1\n", line: 2, msg: "did not find expected ',' or '}'"},
	{name: "YAML carriage returns", text: "logLevel: info\rauthCache:\r  size: 1\r size: 2\r", line: 4, msg: "syntax error"},
	{name: "YAML tab indentation", text: "authCache:\n\tsize: 1\n", line: 2, msg: "syntax error"},
	{name: "more than one document", text: "logLevel: info\n---\nlogLevel: warn\n", line: 2, msg: "more than one YAML document"},

	// Environment.
	{name: "STREAMGATE_UNKNOWN", text: "logLevel: info\n", env: []string{"STREAMGATE_UNKNOWN=1"}, file: "env STREAMGATE_UNKNOWN", msg: "names no configuration key"},
	{name: "STREAMGATE_ unknown nested", text: "", env: []string{"STREAMGATE_AUTHCACHE_SIZ=1"}, file: "env STREAMGATE_AUTHCACHE_SIZ", msg: "names no configuration key"},
	{name: "env bad duration", text: "readTimeout: 5s\n", env: []string{"MTX_READTIMEOUT=soon"}, file: "env MTX_READTIMEOUT", key: "readTimeout", msg: `want a duration such as 10s or 1m30s, got "soon"`},
	{name: "env bad bool", text: "", env: []string{"MTX_RTSP=maybe"}, file: "env MTX_RTSP", key: "rtsp", msg: `want yes or no, got "maybe"`},
	{name: "env bad nested value", text: "authQuarantine:\n  period: 60s\n", env: []string{"MTX_AUTHQUARANTINE_PERIOD=0s"}, file: "env MTX_AUTHQUARANTINE_PERIOD", key: "authQuarantine.period", msg: "must be > 0"},
	{name: "env bad list item", text: "", env: []string{"MTX_RTSPTRANSPORTS=tcp,sctp"}, file: "env MTX_RTSPTRANSPORTS", key: "rtspTransports[1]", msg: `got "sctp"`},
	{name: "env bad user pass", text: userWithPass("secret"), env: []string{"MTX_AUTHINTERNALUSERS_0_PASS=sha256:zzz"}, file: "env MTX_AUTHINTERNALUSERS_0_PASS", key: "authInternalUsers[0].pass", msg: "sha256: want the base64"},
	{name: "env bad label rule", text: "", env: []string{`MTX_AUTHINTERNALUSERS_0_LABELS={"nand":[]}`, "MTX_AUTHINTERNALUSERS_0_USER=any"}, file: "env MTX_AUTHINTERNALUSERS_0_LABELS", key: "authInternalUsers[0].labels", msg: `unknown operator "nand"`},
	{name: "env bad permission action", text: twoUsers, env: []string{"MTX_AUTHINTERNALUSERS_1_PERMISSIONS_0_ACTION=write"}, file: "env MTX_AUTHINTERNALUSERS_1_PERMISSIONS_0_ACTION", key: "authInternalUsers[1].permissions[0].action", msg: `unknown action "write"`},
	{name: "env unknown permission field", text: twoUsers, env: []string{"STREAMGATE_AUTHINTERNALUSERS_1_PERMISSIONS_0_VERB=read"}, file: "env STREAMGATE_AUTHINTERNALUSERS_1_PERMISSIONS_0_VERB", msg: "names no configuration key"},
	{name: "env bad path value", text: "paths:\n  cam1:\n", env: []string{"MTX_PATHS_CAM1_MAXREADERS=-1"}, file: "env MTX_PATHS_CAM1_MAXREADERS", key: "paths.cam1.maxReaders", msg: "must be ≥ 0"},

	// Media Gateway JSON.
	{name: "JSON syntax error", json: true, text: "{\n  \"ip\": \"0.0.0.0\",\n  \"port\": 8080,\n  \"out_stream\": {\"url\": \"pub+bind:ipc:///tmp/s\"},\n}\n", line: 5, msg: "JSON syntax error"},
	{name: "JSON syntax error mid line", json: true, text: "{\n  \"ip\": \"0.0.0.0\"\n  \"port\": 8080\n}\n", line: 3, msg: "JSON syntax error"},
	{name: "JSON missing out_stream", json: true, text: "{\n  \"ip\": \"0.0.0.0\",\n  \"port\": 8080\n}\n", line: 1, key: "out_stream", msg: "required by the Media Gateway server configuration"},
	{name: "JSON missing port", json: true, text: "{\n  \"ip\": \"0.0.0.0\",\n  \"out_stream\": {\"url\": \"pub+bind:ipc:///tmp/s\"}\n}\n", line: 1, key: "port", msg: "required"},
	{name: "JSON missing etcd", json: true, text: "{\"ip\": \"0.0.0.0\", \"port\": 8080,\n \"out_stream\": {\"url\": \"pub+bind:ipc:///tmp/s\"},\n \"auth\": {\"basic\":\n   {\"cache\": {\"size\": 1}}}}\n", line: 3, key: "auth.basic.etcd", msg: "required"},
	{name: "JSON bad duration", json: true, text: "{\"ip\": \"0.0.0.0\", \"port\": 8080,\n \"out_stream\": {\"url\": \"pub+bind:ipc:///tmp/s\",\n   \"send_timeout\": {\"secs\": 1}}}\n", line: 3, key: "out_stream.send_timeout", msg: "a duration needs both secs and nanos"},
	{name: "JSON duration negative secs", json: true, text: "{\"ip\": \"0.0.0.0\", \"port\": 8080,\n \"out_stream\": {\"url\": \"pub+bind:ipc:///tmp/s\",\n   \"receive_timeout\": {\"secs\": -1, \"nanos\": 0}}}\n", line: 3, key: "out_stream.receive_timeout.secs", msg: "want a whole number"},
	{name: "JSON duration string", json: true, text: "{\"ip\": \"0.0.0.0\", \"port\": 8080,\n \"out_stream\": {\"url\": \"pub+bind:ipc:///tmp/s\",\n   \"send_timeout\": \"1s\"}}\n", line: 3, key: "out_stream.send_timeout", msg: "want a duration {\"secs\": S, \"nanos\": N}"},
	{name: "JSON unknown key", json: true, text: "{\"ip\": \"0.0.0.0\", \"port\": 8080,\n \"out_stream\": {\"url\": \"pub+bind:ipc:///tmp/s\",\n   \"sendhwm\": 1}}\n", line: 3, key: "out_stream.sendhwm", msg: "unknown key"},
	{name: "JSON port out of range", json: true, text: "{\"ip\": \"0.0.0.0\",\n \"port\": 80800,\n \"out_stream\": {\"url\": \"pub+bind:ipc:///tmp/s\"}}\n", line: 2, key: "port", msg: "want a whole number from 0 to 65535"},
	{name: "JSON bad savant url", json: true, text: "{\"ip\": \"0.0.0.0\", \"port\": 8080,\n \"out_stream\": {\n   \"url\": \"sub+connect:ipc:///tmp/s\"}}\n", line: 3, key: "out_stream.url", msg: "is a reader's"},
	{name: "JSON fix_ipc_permissions with connect", json: true, text: "{\"ip\": \"0.0.0.0\", \"port\": 8080,\n \"out_stream\": {\"url\": \"pub+connect:ipc:///tmp/s\",\n   \"fix_ipc_permissions\": 511}}\n", line: 3, key: "out_stream.fix_ipc_permissions", msg: "applies only to a bound ipc socket"},
	{name: "JSON quarantine period 0", json: true, text: "{\"ip\": \"0.0.0.0\", \"port\": 8080,\n \"out_stream\": {\"url\": \"pub+bind:ipc:///tmp/s\"},\n \"auth\": {\"basic\": {\"etcd\": {\"urls\": [\"http://127.0.0.1:2379\"], \"path\": \"/users\", \"data_format\": \"json\"},\n  \"cache\": {\"size\": 1},\n  \"quarantine\": {\"failed_attempt_limit\": 3,\n    \"period\": {\"secs\": 0, \"nanos\": 0}}}}}\n", line: 6, key: "auth.basic.quarantine.period", msg: "must be > 0"},
	{name: "JSON bad data_format", json: true, text: "{\"ip\": \"0.0.0.0\", \"port\": 8080,\n \"out_stream\": {\"url\": \"pub+bind:ipc:///tmp/s\"},\n \"auth\": {\"basic\": {\"etcd\": {\"urls\": [\"http://127.0.0.1:2379\"], \"path\": \"/users\",\n   \"data_format\": \"toml\"},\n  \"cache\": {\"size\": 1}}}}\n", line: 4, key: "auth.basic.etcd.data_format", msg: `must be one of json, yaml, got "toml"`},
	{name: "JSON etcd missing cert file", json: true, text: "{\"ip\": \"0.0.0.0\", \"port\": 8080,\n \"out_stream\": {\"url\": \"pub+bind:ipc:///tmp/s\"},\n \"auth\": {\"basic\": {\"etcd\": {\"urls\": [\"https://127.0.0.1:2379\"], \"path\": \"/users\", \"data_format\": \"json\",\n   \"tls\": {\"root_certificate\": \"/nonexistent/ca.crt\"}},\n  \"cache\": {\"size\": 1}}}}\n", line: 4, key: "auth.basic.etcd.tls.root_certificate", msg: "cannot read /nonexistent/ca.crt"},
	{name: "JSON statistics", json: true, text: "{\"ip\": \"0.0.0.0\", \"port\": 8080,\n \"out_stream\": {\"url\": \"pub+bind:ipc:///tmp/s\"},\n \"statistics\": {\"frame_period\": 1000}}\n", line: 3, key: "statistics", msg: "not honoured by streamgate"},
	{name: "JSON inflight_ops", json: true, text: "{\"ip\": \"0.0.0.0\", \"port\": 8080,\n \"out_stream\": {\"url\": \"pub+bind:ipc:///tmp/s\",\n   \"inflight_ops\": 100}}\n", line: 3, key: "out_stream.inflight_ops", msg: "not honoured by streamgate"},
	{name: "JSON crl_enabled without a directory", json: true, text: "{\"ip\": \"0.0.0.0\", \"port\": 8080,\n \"tls\": {\"identity\": {\"certificate\": \"/dev/null\", \"key\": \"/dev/null\"},\n   \"peers\": {\"crl_enabled\": true}},\n \"out_stream\": {\"url\": \"pub+bind:ipc:///tmp/s\"}}\n", line: 3, key: "tls.peers.crl_enabled", msg: "needs gatewayClientCA"},
	{name: "JSON lease_timeout 0", json: true, text: "{\"ip\": \"0.0.0.0\", \"port\": 8080,\n \"out_stream\": {\"url\": \"pub+bind:ipc:///tmp/s\"},\n \"auth\": {\"basic\": {\"etcd\": {\"urls\": [\"http://127.0.0.1:2379\"], \"path\": \"/users\", \"data_format\": \"json\",\n   \"lease_timeout\": {\"secs\": 0, \"nanos\": 0}},\n  \"cache\": {\"size\": 1}}}}\n", line: 4, key: "auth.basic.etcd.lease_timeout", msg: "must be > 0"},
	{name: "JSON not an object", json: true, text: "[1, 2]\n", line: 1, msg: "the file must be a JSON object"},
	{name: "JSON env bad value", json: true, text: "{\"ip\": \"0.0.0.0\", \"port\": 8080, \"out_stream\": {\"url\": \"pub+bind:ipc:///tmp/s\"}}\n", env: []string{"MTX_GATEWAYMAXBODYSIZE=1"}, file: "env MTX_GATEWAYMAXBODYSIZE", key: "gatewayMaxBodySize", msg: "must be from 1KiB to 1GiB"},
}

func TestBrokenConfigs(t *testing.T) {
	if len(badCases) < 30 {
		t.Fatalf("only %d cases", len(badCases))
	}
	seen := map[string]bool{}
	for _, tc := range badCases {
		if seen[tc.name] {
			t.Fatalf("duplicate case name %q", tc.name)
		}
		seen[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			name := "bad.yml"
			parse := config.Parse
			if tc.json {
				name, parse = "gw.json", config.ParseGatewayJSON
			}
			c, err := parse(name, []byte(tc.text), tc.env)
			if err == nil {
				t.Fatalf("no error; got config %p", c)
			}
			if c != nil {
				t.Errorf("a config came back with the error")
			}
			var errs config.Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("err is %T (%v), want config.Errors", err, err)
			}
			e := errs[0]
			wantFile := tc.file
			if wantFile == "" {
				wantFile = name
			}
			if e.File != wantFile || e.Line != tc.line || e.Key != tc.key || !strings.Contains(e.Msg, tc.msg) {
				t.Errorf("first error:\n  got  %q (file %q line %d key %q)\n  want %s",
					e.Error(), e.File, e.Line, e.Key, describe(wantFile, tc))
			}
			// The rendered text is the contract: file:LINE: key.path: problem.
			prefix := wantFile
			if tc.line > 0 {
				prefix += fmt.Sprintf(":%d", tc.line)
			}
			prefix += ": "
			if tc.key != "" {
				prefix += tc.key + ": "
			}
			if got, ok := strings.CutPrefix(e.Error(), prefix); !ok || !strings.Contains(got, tc.msg) {
				t.Errorf("rendered %q, want prefix %q then %q", e.Error(), prefix, tc.msg)
			}
			if !strings.Contains(err.Error(), e.Error()) {
				t.Errorf("Errors.Error() %q lacks %q", err.Error(), e.Error())
			}
		})
	}
}

func describe(file string, tc badCase) string {
	return fmt.Sprintf("file %q line %d key %q msg containing %q", file, tc.line, tc.key, tc.msg)
}

// TestErrorsCollected: one load reports every problem, in file order, and
// stops at a bound.
func TestErrorsCollected(t *testing.T) {
	text := "logLevel: loud\nrtsp: maybe\nreadTimeout: soon\n"
	_, err := config.Parse("bad.yml", []byte(text), nil)
	var errs config.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("err = %v", err)
	}
	// Decoding problems are found before validation problems.
	want := []string{"bad.yml:2: rtsp: ", "bad.yml:3: readTimeout: "}
	if len(errs) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%v", len(errs), len(want), err)
	}
	for i, w := range want {
		if !strings.HasPrefix(errs[i].Error(), w) {
			t.Errorf("error %d = %q, want prefix %q", i, errs[i], w)
		}
	}
	var many strings.Builder
	for i := range 200 {
		fmt.Fprintf(&many, "unknown%d: x\n", i)
	}
	_, err = config.Parse("bad.yml", []byte(many.String()), nil)
	if !errors.As(err, &errs) || len(errs) != 51 || errs[50].Error() != "bad.yml: … and 150 more problems" {
		t.Errorf("got %d errors, want 50 and how many more:\n%v", len(errs), err)
	}
	var one *config.Error
	if !errors.As(err, &one) || one.Line != 1 {
		t.Errorf("errors.As(*config.Error) = %v", one)
	}
}
