package authn

// Internals the black-box tests and fuzz targets reach.
var (
	LooksLikeJWT         = looksLikeJWT
	JWTFrom              = jwtFrom
	ParsePermissionClaim = parsePermissionClaim
	ErrClaimTooDeep      = errClaimTooDeep
)

// WithoutRefusalPadding makes v's pipelines answer refusals at once, for
// tests that refuse thousands of logins (the e2e tests time the padding).
func WithoutRefusalPadding(v *Verifier) *Verifier {
	v.noPadding = true
	return v
}
