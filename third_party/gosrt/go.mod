module github.com/datarhei/gosrt

go 1.24.0

require (
	github.com/benburkert/openpgp v0.0.0-20160410205803-c2471f86866c
	github.com/pkg/profile v1.7.0
	github.com/stretchr/testify v1.11.1
	golang.org/x/sys v0.38.0
)

require (
	github.com/davecgh/go-spew v1.1.1 // indirect
	github.com/felixge/fgprof v0.9.3 // indirect
	github.com/google/pprof v0.0.0-20211214055906-6f57359322fd // indirect
	github.com/pmezard/go-difflib v1.0.0 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
)
