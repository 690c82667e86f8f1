package parser

// An arena holds the parse trees of the lines one worker binds in a chunk
// of a dump (parse.go). When the parse hands every rule over as soon as it
// is read (ParseStream of a Streamable dump), nothing refers to a chunk's
// trees once its lines are applied, and the arena is cleared and reused
// for a later chunk: a big dump is then parsed in the memory of a few
// chunks, without allocating a tree per line. A nil *arena allocates on
// the heap, for parses that keep their rules.
type arena struct {
	lines    slab[lineAlloc]
	opts     slab[Option]
	args     slab[Arg]
	optPtrs  slab[*Option]
	matches  slab[Match]
	mPtrs    slab[*Match]
	targets  slab[Target]
	counters slab[Counters]
	mods     []loaded // the binder's, for one line at a time
}

// slab hands out pieces of one array, and a new one when it is used up
// (what was handed out before stays where it is).
type slab[T any] struct {
	buf []T
	n   int
}

// take returns k zero values of the slab, as a slice of capacity k.
func (s *slab[T]) take(k int) []T {
	if s.n+k > len(s.buf) {
		s.buf = make([]T, max(2*len(s.buf), k, 64))
		s.n = 0
	}
	r := s.buf[s.n : s.n+k : s.n+k]
	s.n += k
	return r
}

// reset zeroes what was handed out, for reuse.
func (s *slab[T]) reset() {
	clear(s.buf[:s.n])
	s.n = 0
}

func (a *arena) reset() {
	a.lines.reset()
	a.opts.reset()
	a.args.reset()
	a.optPtrs.reset()
	a.matches.reset()
	a.mPtrs.reset()
	a.targets.reset()
	a.counters.reset()
}

func (a *arena) line() *lineAlloc {
	if a == nil {
		return &lineAlloc{}
	}
	return &a.lines.take(1)[0]
}

func (a *arena) match() *Match {
	if a == nil {
		return &Match{}
	}
	return &a.matches.take(1)[0]
}

func (a *arena) target() *Target {
	if a == nil {
		return &Target{}
	}
	return &a.targets.take(1)[0]
}

func (a *arena) counter() *Counters {
	if a == nil {
		return &Counters{}
	}
	return &a.counters.take(1)[0]
}

// optionList returns an empty list of options with room for k (nil on
// the heap: append allocates as it grows).
func (a *arena) optionList(k int) []*Option {
	if a == nil {
		return nil
	}
	return a.optPtrs.take(k)[:0]
}

func (a *arena) matchList(k int) []*Match {
	if a == nil {
		return nil
	}
	return a.mPtrs.take(k)[:0]
}

// options returns room for k options of a line, args room for k words.
func (a *arena) options(k int) []Option {
	if a == nil {
		return make([]Option, 0, k)
	}
	return a.opts.take(k)[:0]
}

func (a *arena) words(k int) []Arg {
	if a == nil {
		return make([]Arg, 0, k)
	}
	return a.args.take(k)[:0]
}

// loadedList is the binder's list of loaded extensions for one line.
func (a *arena) loadedList() []loaded {
	if a == nil {
		return nil
	}
	clear(a.mods)
	return a.mods[:0]
}
