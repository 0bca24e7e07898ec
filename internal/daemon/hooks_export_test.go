package daemon

// SecretsOf exposes secretsOf to the tests.
var SecretsOf = secretsOf
