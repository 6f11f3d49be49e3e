// Package archtest holds no code: its test enforces the layering rules of
// docs/architecture.md by asking `go list -deps` what every package of the
// module imports, so a wrong import fails CI instead of eroding the design.
package archtest
