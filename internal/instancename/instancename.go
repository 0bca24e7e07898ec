// Package instancename checks the name of a cluster instance, for the
// configuration (cluster.name) and for the cluster registry (its own name
// and the names it reads from etcd).
package instancename

// Valid reports whether name can name an instance: 1 to 253 letters,
// digits and _-. (a host name's characters). The name goes into etcd keys
// and into the peer credential's user name, where a colon would end the
// user of a Basic credential.
func Valid(name string) bool {
	if name == "" || len(name) > 253 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}
