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

// NewTestDeps are Deps with an empty quarantine (which the Verifier asks
// again after a wait for an argon2 slot) and one argon2 run at a time.
func NewTestDeps(m *Metrics) Deps {
	q := NewQuarantine(QuarantineLimits{})
	return Deps{Verifier: NewVerifier(1, q, m), Quarantine: q, Metrics: m}
}
