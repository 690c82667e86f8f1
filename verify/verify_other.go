//go:build !linux

package verify

import (
	"errors"
	"io"
	"time"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
	"github.com/xt2nft/xt2nft/verify/report"
)

// Input is one file of the original ruleset.
type Input struct {
	Name   string
	Src    []byte
	Family parser.Family
}

// Options control a run (see the Linux build).
type Options struct {
	Parser          parser.Options
	Translate       translate.Options
	Against         []byte
	AgainstName     string
	IPSets          []byte
	Pairs           int
	MaxWait         time.Duration
	FirstDifference bool
	Trace           io.Writer
	Mutate          func(*translate.Ruleset)
}

// Run needs Linux: its labs are network namespaces.
func Run([]Input, Options) (*report.Report, error) {
	return nil, errors.New("verify needs Linux (network namespaces, iptables-legacy, nftables)")
}
