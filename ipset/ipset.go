// Package ipset reads the output of `ipset save` (the format `ipset
// restore` loads): each set's type, family and options, and its entries
// with their remaining timeouts, nomatch flags, counters and comments. It
// knows ipset's types as data (dimensions and what each dimension holds),
// not how nft expresses them: that is the translator's business.
package ipset

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/xt2nft/xt2nft/parser"
)

// Dim is what one dimension of a set type holds.
type Dim int

// Dimensions.
const (
	DimIP    Dim = iota + 1 // an address (hash:ip, bitmap:ip)
	DimNet                  // an address with a prefix length (hash:net)
	DimPort                 // proto:port (hash:ip,port) or a bare port (bitmap:port)
	DimIface                // an interface name (hash:net,iface)
	DimMAC                  // an Ethernet address
	DimMark                 // a packet mark
	DimSet                  // a member set (list:set)
)

// Kind is a set type: its name and dimensions.
type Kind struct {
	Name   string
	Dims   []Dim
	Bitmap bool // bitmap:*: a range option bounds the elements
}

// Kinds are ipset's set types (ipset(8)).
var Kinds = []*Kind{
	{Name: "hash:ip", Dims: []Dim{DimIP}},
	{Name: "hash:net", Dims: []Dim{DimNet}},
	{Name: "hash:ip,port", Dims: []Dim{DimIP, DimPort}},
	{Name: "hash:net,port", Dims: []Dim{DimNet, DimPort}},
	{Name: "hash:ip,port,ip", Dims: []Dim{DimIP, DimPort, DimIP}},
	{Name: "hash:ip,port,net", Dims: []Dim{DimIP, DimPort, DimNet}},
	{Name: "hash:net,port,net", Dims: []Dim{DimNet, DimPort, DimNet}},
	{Name: "hash:net,net", Dims: []Dim{DimNet, DimNet}},
	{Name: "hash:net,iface", Dims: []Dim{DimNet, DimIface}},
	{Name: "hash:ip,mark", Dims: []Dim{DimIP, DimMark}},
	{Name: "hash:ip,mac", Dims: []Dim{DimIP, DimMAC}},
	{Name: "hash:mac", Dims: []Dim{DimMAC}},
	{Name: "bitmap:ip", Dims: []Dim{DimIP}, Bitmap: true},
	{Name: "bitmap:ip,mac", Dims: []Dim{DimIP, DimMAC}, Bitmap: true},
	{Name: "bitmap:port", Dims: []Dim{DimPort}, Bitmap: true},
	{Name: "list:set", Dims: []Dim{DimSet}},
}

// KindNamed returns the type called name, or nil.
func KindNamed(name string) *Kind {
	for _, k := range Kinds {
		if k.Name == name {
			return k
		}
	}
	return nil
}

// Set is one set of a save file.
type Set struct {
	Pos     parser.Pos
	Name    string
	Kind    *Kind
	IPv6    bool // family inet6
	Opts    map[string]string
	Flags   map[string]bool // counters, comment, skbinfo, forceadd, nomatch ...
	Timeout uint32          // default timeout in seconds (0: none)
	Entries []*Entry
}

// Entry is one "add" line.
type Entry struct {
	Pos parser.Pos
	// Parts are the entry's dimensions as written (10.0.0.1, tcp:80).
	Parts []string
	// Timeout is the remaining time in seconds (HasTimeout when given).
	Timeout    uint32
	HasTimeout bool
	NoMatch    bool
	Comment    string
	HasCounter bool
	Packets    uint64
	Bytes      uint64
}

// Save is a parsed save file.
type Save struct {
	Sets []*Set
}

// Set returns the set called name, or nil (also on a nil Save).
func (s *Save) Set(name string) *Set {
	if s == nil {
		return nil
	}
	for _, x := range s.Sets {
		if x.Name == name {
			return x
		}
	}
	return nil
}

// Parse reads `ipset save` output. Every error of the file is returned at
// once, positioned, as a parser.ErrorList.
func Parse(name string, src []byte) (*Save, error) {
	s := &Save{}
	var errs parser.ErrorList
	byName := map[string]*Set{}
	for n, line := range strings.Split(string(src), "\n") {
		line = strings.TrimSuffix(line, "\r")
		pos := parser.Pos{File: name, Line: n + 1, Col: 1}
		words, err := split(line)
		if err != nil {
			errs = append(errs, parser.Errorf(pos, "%v", err))
			continue
		}
		if len(words) == 0 || strings.HasPrefix(words[0], "#") {
			continue
		}
		switch words[0] {
		case "create", "-N", "-exist":
			set, err := parseCreate(pos, words)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if byName[set.Name] != nil {
				errs = append(errs, parser.Errorf(pos, "set %q created twice", set.Name))
				continue
			}
			byName[set.Name] = set
			s.Sets = append(s.Sets, set)
		case "add", "-A":
			if len(words) < 3 {
				errs = append(errs, parser.Errorf(pos, "add needs a set name and an entry"))
				continue
			}
			set := byName[words[1]]
			if set == nil {
				errs = append(errs, parser.Errorf(pos, "add to set %q, which no create line declares", words[1]))
				continue
			}
			e, err := parseEntry(pos, set, words[2:])
			if err != nil {
				errs = append(errs, err)
				continue
			}
			set.Entries = append(set.Entries, e)
		case "COMMIT":
		default:
			errs = append(errs, parser.Errorf(pos, "unexpected %q (an ipset save file has create and add lines)", truncate(words[0])))
		}
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return s, nil
}

func parseCreate(pos parser.Pos, w []string) (*Set, *parser.Error) {
	if len(w) < 3 {
		return nil, parser.Errorf(pos, "create needs a set name and a type")
	}
	k := KindNamed(w[2])
	if k == nil {
		return nil, parser.Errorf(pos, "unknown set type %q", truncate(w[2]))
	}
	set := &Set{Pos: pos, Name: w[1], Kind: k, Opts: map[string]string{}, Flags: map[string]bool{}}
	for i := 3; i < len(w); i++ {
		switch o := w[i]; o {
		case "counters", "comment", "skbinfo", "forceadd", "nomatch":
			set.Flags[o] = true
		case "family", "hashsize", "maxelem", "timeout", "range", "netmask", "size", "bucketsize", "initval", "markmask", "probes", "resize", "gc":
			if i+1 >= len(w) {
				return nil, parser.Errorf(pos, "option %q needs a value", o)
			}
			set.Opts[o] = w[i+1]
			i++
		default:
			return nil, parser.Errorf(pos, "unknown create option %q", truncate(o))
		}
	}
	switch set.Opts["family"] {
	case "", "inet":
	case "inet6":
		set.IPv6 = true
	default:
		return nil, parser.Errorf(pos, "unknown family %q", truncate(set.Opts["family"]))
	}
	if t, ok := set.Opts["timeout"]; ok {
		n, err := strconv.ParseUint(t, 10, 32)
		if err != nil {
			return nil, parser.Errorf(pos, "bad timeout %q", truncate(t))
		}
		set.Timeout = uint32(n)
	}
	return set, nil
}

func parseEntry(pos parser.Pos, set *Set, w []string) (*Entry, *parser.Error) {
	e := &Entry{Pos: pos, Parts: strings.Split(w[0], ",")}
	if len(e.Parts) != len(set.Kind.Dims) {
		return nil, parser.Errorf(pos, "entry %q of set %q has %d parts; a %s entry has %d", truncate(w[0]), set.Name, len(e.Parts), set.Kind.Name, len(set.Kind.Dims))
	}
	num := func(i int, bits int) (uint64, *parser.Error) {
		if i+1 >= len(w) {
			return 0, parser.Errorf(pos, "%q needs a value", w[i])
		}
		n, err := strconv.ParseUint(w[i+1], 10, bits)
		if err != nil {
			return 0, parser.Errorf(pos, "bad %s %q", w[i], truncate(w[i+1]))
		}
		return n, nil
	}
	for i := 1; i < len(w); i++ {
		switch w[i] {
		case "timeout":
			n, err := num(i, 32)
			if err != nil {
				return nil, err
			}
			e.Timeout, e.HasTimeout = uint32(n), true
			i++
		case "packets", "bytes":
			n, err := num(i, 64)
			if err != nil {
				return nil, err
			}
			e.HasCounter = true
			if w[i] == "packets" {
				e.Packets = n
			} else {
				e.Bytes = n
			}
			i++
		case "comment":
			if i+1 >= len(w) {
				return nil, parser.Errorf(pos, "comment needs a value")
			}
			e.Comment = w[i+1]
			i++
		case "nomatch":
			e.NoMatch = true
		case "skbmark", "skbprio", "skbqueue":
			return nil, parser.Errorf(pos, "%s (skbinfo) entries are not supported", w[i])
		default:
			return nil, parser.Errorf(pos, "unknown entry option %q", truncate(w[i]))
		}
	}
	return e, nil
}

// split splits a line into words as ipset restore does: blanks separate
// words, double quotes group (comments).
func split(line string) ([]string, error) {
	var out []string
	var b strings.Builder
	in, have := false, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '"':
			in, have = !in, true
		case !in && (c == ' ' || c == '\t'):
			if have {
				out = append(out, b.String())
				b.Reset()
				have = false
			}
		default:
			b.WriteByte(c)
			have = true
		}
	}
	if in {
		return nil, fmt.Errorf("unterminated quote")
	}
	if have {
		out = append(out, b.String())
	}
	return out, nil
}

// truncate bounds a quoted piece of input in messages.
func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
