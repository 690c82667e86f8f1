//go:build !linux

// Package nstest runs privileged tests inside throwaway network namespaces.
// Network namespaces exist only on Linux: elsewhere every privileged test is
// skipped.
package nstest

import (
	"errors"
	"testing"
)

// EnvVar enables privileged tests when set to "1".
const EnvVar = "XT2NFT_PRIVILEGED"

// Skip always skips: privileged tests need Linux.
func Skip(t testing.TB, extra ...string) {
	t.Helper()
	t.Skip("privileged test: needs Linux network namespaces")
}

// NS is a named network namespace owned by one test.
type NS struct{ Name string }

var errNotLinux = errors.New("nstest: network namespaces need Linux")

// New fails the test: call Skip first.
func New(t testing.TB, name string) *NS {
	t.Helper()
	t.Fatal(errNotLinux)
	return nil
}

// Run fails on this platform.
func (ns *NS) Run(args ...string) (stdout, stderr string, err error) { return "", "", errNotLinux }

// RunInput fails on this platform.
func (ns *NS) RunInput(stdin string, args ...string) (stdout, stderr string, err error) {
	return "", "", errNotLinux
}

// NFT fails on this platform.
func (ns *NS) NFT(stdin string, args ...string) (stdout, stderr string, err error) {
	return "", "", errNotLinux
}

// Close does nothing on this platform.
func (ns *NS) Close() error { return nil }
