package authn

import (
	"github.com/streamgate/streamgate/authz"
	"github.com/streamgate/streamgate/config"
)

// UsersOf maps a parsed configuration's authInternalUsers for tests, as
// internal/daemon does (which these tests cannot import: it imports authn).
func UsersOf(c *config.Conf) []InternalUser {
	out := make([]InternalUser, len(c.AuthInternalUsers))
	for i := range c.AuthInternalUsers {
		u := &c.AuthInternalUsers[i]
		var perms authz.Permissions
		for _, p := range u.Permissions {
			perms = append(perms, p.Permission)
		}
		out[i] = InternalUser{Name: u.User.Secret, Pass: u.Pass.Secret, IPs: config.Networks(u.IPs),
			Permissions: perms, Labels: u.Labels.Rule}
	}
	return out
}
