package translate

import "github.com/xt2nft/xt2nft/parser"

// PrepareWhole and PrepareStream are Prepare's two ways, for tests that
// hold them to the same result.
func PrepareWhole(inputs []Input, popt parser.Options, opt Options) *Output {
	return prepareWhole(inputs, popt, opt)
}

// PrepareStream is prepareStream (nil when the inputs need the whole dump).
func PrepareStream(inputs []Input, popt parser.Options, opt Options) *Output {
	return prepareStream(inputs, popt, opt)
}
