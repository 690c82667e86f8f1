package parser

import "github.com/xt2nft/xt2nft/internal/slab"

// An arena holds the parse trees of the lines one worker binds in a chunk
// of a dump (parse.go). When the parse hands every rule over as soon as it
// is read (ParseStream of a Streamable dump), nothing refers to a chunk's
// trees once its lines are applied, and the arena is cleared and reused
// for a later chunk: a big dump is then parsed in the memory of a few
// chunks, without allocating a tree per line. A nil *arena allocates on
// the heap, for parses that keep their rules.
type arena struct {
	lines    slab.Slab[lineAlloc]
	opts     slab.Slab[Option]
	args     slab.Slab[Arg]
	optPtrs  slab.Slab[*Option]
	matches  slab.Slab[Match]
	mPtrs    slab.Slab[*Match]
	targets  slab.Slab[Target]
	counters slab.Slab[Counters]
	mods     []loaded // the binder's, for one line at a time
}

func (a *arena) reset() {
	a.lines.Reset()
	a.opts.Reset()
	a.args.Reset()
	a.optPtrs.Reset()
	a.matches.Reset()
	a.mPtrs.Reset()
	a.targets.Reset()
	a.counters.Reset()
}

func (a *arena) line() *lineAlloc {
	if a == nil {
		return &lineAlloc{}
	}
	return &a.lines.Take(1)[0]
}

func (a *arena) match() *Match {
	if a == nil {
		return &Match{}
	}
	return &a.matches.Take(1)[0]
}

func (a *arena) target() *Target {
	if a == nil {
		return &Target{}
	}
	return &a.targets.Take(1)[0]
}

func (a *arena) counter() *Counters {
	if a == nil {
		return &Counters{}
	}
	return &a.counters.Take(1)[0]
}

// optionList returns an empty list of options with room for k (nil on
// the heap: append allocates as it grows).
func (a *arena) optionList(k int) []*Option {
	if a == nil {
		return nil
	}
	return a.optPtrs.Take(k)[:0]
}

func (a *arena) matchList(k int) []*Match {
	if a == nil {
		return nil
	}
	return a.mPtrs.Take(k)[:0]
}

// options returns room for k options of a line, args room for k words.
func (a *arena) options(k int) []Option {
	if a == nil {
		return make([]Option, 0, k)
	}
	return a.opts.Take(k)[:0]
}

func (a *arena) words(k int) []Arg {
	if a == nil {
		return make([]Arg, 0, k)
	}
	return a.args.Take(k)[:0]
}

// loadedList is the binder's list of loaded extensions for one line.
func (a *arena) loadedList() []loaded {
	if a == nil {
		return nil
	}
	clear(a.mods)
	return a.mods[:0]
}
