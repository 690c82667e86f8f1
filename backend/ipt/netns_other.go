//go:build !linux

package ipt

import "errors"

// inNetns needs Linux network namespaces.
func inNetns(name string, f func() error) error {
	if name == "" {
		return f()
	}
	return errors.New("ipt: network namespaces need Linux")
}
