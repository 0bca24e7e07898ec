package authn

// Internals the black-box tests and fuzz targets reach.
var (
	LooksLikeJWT         = looksLikeJWT
	JWTFrom              = jwtFrom
	ParsePermissionClaim = parsePermissionClaim
	ErrClaimTooDeep      = errClaimTooDeep
)
