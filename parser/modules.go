package parser

// OptSpec describes one option of iptables itself, a match or a target: its
// long name (without "--"), how many words it takes, and whether "!" may
// precede it. This is the data that libxtables keeps in each extension's
// xt_option_entry table (see extensions/libxt_*.c in iptables).
type OptSpec struct {
	Name    string
	Short   byte // one-letter form, base options only
	MinArgs int
	MaxArgs int
	Invert  bool
	// Mand, Excl and Also are libxtables' XTOPT_MAND and the entry's
	// .excl and .also masks (as option names): the option must be given,
	// cannot be given with any of Excl, needs all of Also. iptables
	// checks them after the whole rule is read (xtables_options_fcheck).
	Mand bool
	Excl []string
	Also []string
	// canon is canonical(Name), set when the table is indexed (optIndex):
	// every option of every rule is named by it.
	canon string
}

// canonName is canonical(o.Name), from the index when it is set.
func (o *OptSpec) canonName() string {
	if o.canon != "" {
		return o.canon
	}
	return canonical(o.Name)
}

// mand marks an option XTOPT_MAND.
func (o OptSpec) mand() OptSpec { o.Mand = true; return o }

// also makes an option require others.
func (o OptSpec) also(names ...string) OptSpec { o.Also = names; return o }

// exclusive makes each of the named options exclude the others (an
// extension's F_ANY-style .excl masks).
func (s *ModuleSpec) exclusive(names ...string) *ModuleSpec {
	for i := range s.Options {
		for _, n := range names {
			if s.Options[i].Name != n {
				continue
			}
			for _, other := range names {
				if other != n {
					s.Options[i].Excl = append(s.Options[i].Excl, other)
				}
			}
		}
	}
	return s
}

// ModuleSpec describes a match or target extension.
type ModuleSpec struct {
	Name    string
	Family  Family // 0: both families
	Options []OptSpec
	// Kernel lists what the kernel allows of a rule using the extension:
	// tables, hooks, protocols (kernel.go). The kernel refuses the table
	// of a rule that breaks one.
	Kernel []Restriction
	byName map[string]*OptSpec // exact lookup, filled by indexModules
	// constrained is set by indexModules when an option has Mand, Excl or
	// Also (most extensions have none: the check is then skipped).
	constrained bool
}

// Option spec constructors keep the tables short.
func flag(name string) OptSpec    { return OptSpec{Name: name} }
func invFlag(name string) OptSpec { return OptSpec{Name: name, Invert: true} }
func arg(name string) OptSpec     { return OptSpec{Name: name, MinArgs: 1, MaxArgs: 1} }
func invArg(name string) OptSpec  { return OptSpec{Name: name, MinArgs: 1, MaxArgs: 1, Invert: true} }
func args(name string, n int, inv bool) OptSpec {
	return OptSpec{Name: name, MinArgs: n, MaxArgs: n, Invert: inv}
}

func mod(name string, opts ...OptSpec) *ModuleSpec { return &ModuleSpec{Name: name, Options: opts} }
func mod4(name string, opts ...OptSpec) *ModuleSpec {
	return &ModuleSpec{Name: name, Family: IPv4, Options: opts}
}
func mod6(name string, opts ...OptSpec) *ModuleSpec {
	return &ModuleSpec{Name: name, Family: IPv6, Options: opts}
}

// baseOptions are the options of iptables/ip6tables itself (iptables/xshared.c).
var baseOptions = []OptSpec{
	{Name: "append", Short: 'A', MinArgs: 1, MaxArgs: 1},
	{Name: "check", Short: 'C', MinArgs: 1, MaxArgs: 1},
	{Name: "delete", Short: 'D', MinArgs: 1, MaxArgs: 2},
	{Name: "insert", Short: 'I', MinArgs: 1, MaxArgs: 2},
	{Name: "replace", Short: 'R', MinArgs: 2, MaxArgs: 2},
	{Name: "list", Short: 'L', MaxArgs: 2},
	{Name: "list-rules", Short: 'S', MaxArgs: 2},
	{Name: "flush", Short: 'F', MaxArgs: 1},
	{Name: "zero", Short: 'Z', MaxArgs: 2},
	{Name: "new-chain", Short: 'N', MinArgs: 1, MaxArgs: 1},
	{Name: "delete-chain", Short: 'X', MaxArgs: 1},
	{Name: "rename-chain", Short: 'E', MinArgs: 2, MaxArgs: 2},
	{Name: "policy", Short: 'P', MinArgs: 2, MaxArgs: 2},
	{Name: "source", Short: 's', MinArgs: 1, MaxArgs: 1, Invert: true},
	{Name: "src", MinArgs: 1, MaxArgs: 1, Invert: true},
	{Name: "destination", Short: 'd', MinArgs: 1, MaxArgs: 1, Invert: true},
	{Name: "dst", MinArgs: 1, MaxArgs: 1, Invert: true},
	{Name: "protocol", Short: 'p', MinArgs: 1, MaxArgs: 1, Invert: true},
	{Name: "in-interface", Short: 'i', MinArgs: 1, MaxArgs: 1, Invert: true},
	{Name: "out-interface", Short: 'o', MinArgs: 1, MaxArgs: 1, Invert: true},
	{Name: "fragment", Short: 'f', Invert: true},
	{Name: "jump", Short: 'j', MinArgs: 1, MaxArgs: 1},
	{Name: "goto", Short: 'g', MinArgs: 1, MaxArgs: 1},
	{Name: "match", Short: 'm', MinArgs: 1, MaxArgs: 1},
	{Name: "table", Short: 't', MinArgs: 1, MaxArgs: 1},
	{Name: "set-counters", Short: 'c', MinArgs: 1, MaxArgs: 2},
	{Name: "ipv4", Short: '4'},
	{Name: "ipv6", Short: '6'},
	{Name: "numeric", Short: 'n'},
	{Name: "verbose", Short: 'v'},
	{Name: "exact", Short: 'x'},
	{Name: "wait", Short: 'w', MaxArgs: 1},
	{Name: "wait-interval", Short: 'W', MaxArgs: 1},
	{Name: "line-numbers"},
	{Name: "modprobe", MinArgs: 1, MaxArgs: 1},
	{Name: "version", Short: 'V'},
	{Name: "help", Short: 'h'},
}

// standardTargets take no options and need no extension.
var standardTargets = map[string]bool{"ACCEPT": true, "DROP": true, "RETURN": true, "QUEUE": true}

// matchLists and targetLists are the per-area tables (modules_*.go); each
// area owns its file.
var matchLists = [][]*ModuleSpec{coreMatches, l4Matches, miscMatches, otherMatches}
var targetLists = [][]*ModuleSpec{coreTargets, moreTargets, otherTargets}

var (
	matchIndex  = indexModules(matchLists)
	targetIndex = indexModules(targetLists)
)

type moduleKey struct {
	name string
	fam  Family
}

func indexModules(lists [][]*ModuleSpec) map[moduleKey]*ModuleSpec {
	m := map[moduleKey]*ModuleSpec{}
	for _, l := range lists {
		for _, s := range l {
			s.byName = optIndex(s.Options)
			for _, o := range s.Options {
				s.constrained = s.constrained || o.Mand || len(o.Excl) > 0 || len(o.Also) > 0
			}
			if s.Family == 0 {
				m[moduleKey{s.Name, IPv4}] = s
				m[moduleKey{s.Name, IPv6}] = s
			} else {
				m[moduleKey{s.Name, s.Family}] = s
			}
		}
	}
	return m
}

// LookupMatch returns the spec of match extension name for the family.
func LookupMatch(name string, fam Family) *ModuleSpec { return matchIndex[moduleKey{name, fam}] }

// LookupTarget returns the spec of target extension name for the family.
func LookupTarget(name string, fam Family) *ModuleSpec { return targetIndex[moduleKey{name, fam}] }

// MatchNames and TargetNames list every known extension (for completeness tests).
func MatchNames() []string  { return names(matchIndex) }
func TargetNames() []string { return names(targetIndex) }

func names(m map[moduleKey]*ModuleSpec) []string {
	seen := map[string]bool{}
	var out []string
	for k := range m {
		if !seen[k.name] {
			seen[k.name] = true
			out = append(out, k.name)
		}
	}
	return out
}

// protoModules maps a -p value to the match loaded implicitly when an option
// is not found (iptables' load_proto), per family.
var protoModules = map[string]string{
	"tcp": "tcp", "udp": "udp", "udplite": "udplite", "sctp": "sctp", "dccp": "dccp",
	"icmp": "icmp", "icmpv6": "icmp6", "ipv6-icmp": "icmp6", "icmp6": "icmp6",
	"esp": "esp", "ah": "ah", "mh": "mh", "ipcomp": "ipcomp",
}

// baseByName indexes baseOptions by long name.
var baseByName = optIndex(baseOptions)

// baseByShort indexes baseOptions by one-letter form (every rule line has
// several: -A, -s, -p, -m, -j).
var baseByShort = func() (idx [256]*OptSpec) {
	for i := range baseOptions {
		if o := &baseOptions[i]; o.Short != 0 && idx[o.Short] == nil {
			idx[o.Short] = o
		}
	}
	return idx
}()

func optIndex(opts []OptSpec) map[string]*OptSpec {
	m := make(map[string]*OptSpec, len(opts))
	for i := range opts {
		opts[i].canon = canonical(opts[i].Name)
		m[opts[i].Name] = &opts[i]
	}
	return m
}
