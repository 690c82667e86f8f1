package parser

import (
	"slices"
	"strconv"
	"strings"
)

// The kernel checks every rule of a table when iptables-restore commits
// it (x_tables.c xt_check_match/xt_check_target, then the extension's
// checkentry), and refuses the whole table with EINVAL when one fails:
// iptables-restore prints "line N failed" for the COMMIT line, iptables
// prints "Invalid argument. Run `dmesg' for more information.", and the
// reason is only in the kernel log. A translation of such a rule would
// invent behaviour (a notrack in a filter chain does nothing in iptables,
// because it can never be loaded there), so the parser refuses it with
// the kernel's reason. What each extension allows is data in its
// ModuleSpec (modules_*.go); this file applies it.

// Hook is a set of netfilter hooks (NF_INET_*), as in an xt_match's or
// xt_target's .hooks mask.
type Hook uint8

// The hooks, in the kernel's order.
const (
	HookPrerouting Hook = 1 << iota
	HookInput
	HookForward
	HookOutput
	HookPostrouting

	hooksAll = HookPrerouting | HookInput | HookForward | HookOutput | HookPostrouting
)

var hookNames = []string{"PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"}

// String joins the hooks with "/" as the kernel's textify_hooks does.
func (h Hook) String() string {
	var out []string
	for i, n := range hookNames {
		if h&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return strings.Join(out, "/")
}

// BuiltinHook is the hook of a built-in chain (0 for a user chain).
func BuiltinHook(chain string) Hook {
	for i, n := range hookNames {
		if n == chain {
			return 1 << i
		}
	}
	return 0
}

// Restriction is a condition an extension's checkentry (or x_tables'
// generic check of its .table, .hooks and .proto) puts on the rules that
// use it. Every field that is set must hold.
type Restriction struct {
	// When lists options (long names, optionally "=value", or "~value"
	// for a comma-separated list that holds value, matched without regard
	// to case) of which one must be present for the restriction to apply;
	// empty means always.
	When []string
	// Unless names an option that lifts the restriction when present and
	// not negated.
	Unless string
	// Family limits the restriction to one family (0: both).
	Family Family
	// Tables are the tables the rule may be in (nil: any).
	Tables []string
	// Hooks are the hooks from which the rule's chain may be reached
	// (0: any).
	Hooks Hook
	// Protos are the -p values the rule must have, not negated (nil: any).
	Protos []string
	// NeedSYN requires a tcp match that only matches SYN packets
	// (TCPMSS's find_syn_match).
	NeedSYN bool
	// Refuse says the checkentry refuses every rule When selects: a value
	// the extension does not support (ip6tables addrtype BROADCAST).
	Refuse bool
	// Msg is what the kernel logs. "" with a generic field set means
	// x_tables' generic message; "" with Generic false means the kernel
	// refuses without a word. {ipt} becomes ipt/ip6t and {table} the table.
	Msg     string
	Generic bool
}

// table, hooks and proto declare the kernel's generic checks of an
// extension (xt_match/xt_target .table, .hooks, .proto).
func (s *ModuleSpec) table(t string) *ModuleSpec {
	s.Kernel = append(s.Kernel, Restriction{Tables: []string{t}, Generic: true})
	return s
}

func (s *ModuleSpec) hooks(h Hook) *ModuleSpec {
	s.Kernel = append(s.Kernel, Restriction{Hooks: h, Generic: true})
	return s
}

func (s *ModuleSpec) proto(p string) *ModuleSpec {
	s.Kernel = append(s.Kernel, Restriction{Protos: []string{p}, Generic: true})
	return s
}

// check declares a restriction of the extension's checkentry.
func (s *ModuleSpec) check(r Restriction) *ModuleSpec {
	s.Kernel = append(s.Kernel, r)
	return s
}

// protoNum is the number the kernel prints for a protocol ("only valid
// for protocol 6").
var protoNum = map[string]int{
	"icmp": 1, "tcp": 6, "udp": 17, "dccp": 33, "esp": 50, "ah": 51, "ipv6-icmp": 58, "icmpv6": 58,
	"icmp6": 58, "ipcomp": 108, "sctp": 132, "mobility-header": 135, "mh": 135, "udplite": 136,
}

// ruleProto returns the rule's -p value as a canonical name and whether
// it is negated.
func ruleProto(r *Rule) (string, bool) {
	o := r.BaseOpt("protocol")
	if o == nil {
		return "", false
	}
	p := o.Arg(0)
	switch p {
	case "icmpv6", "icmp6":
		p = "ipv6-icmp"
	case "mobility-header":
		p = "mh"
	}
	return p, o.Negated
}

// kernelStep is one restriction of an extension of a rule that the rule
// may break, with what of it the rule breaks whatever hooks reach its
// chain. kernelSteps finds them when the rule is read and runKernelSteps
// checks them at COMMIT, when the hooks are known, as the kernel does:
// matches in order, then the target; for each, the generic table, hooks
// and protocol checks before checkentry.
type kernelStep struct {
	k          *Restriction
	name, kind string // the extension, "match" or "target"
	pos        Pos
	table      bool // the rule's table is not one k allows
	proto      bool // the rule's -p is not one k wants
	syn        bool // k needs a SYN-only tcp match and the rule has none
	refuse     bool // k refuses the rule (Restriction.Refuse)
}

// why returns which part of the restriction the rule breaks when hooks
// reach its chain ("table", "hooks", "proto", "syn"), or "".
func (st *kernelStep) why(hooks Hook) string {
	switch {
	case st.table:
		return "table"
	case st.k.Hooks != 0 && hooks&^st.k.Hooks != 0:
		return "hooks"
	case st.proto:
		return "proto"
	case st.syn:
		return "syn"
	case st.refuse:
		return "value"
	}
	return ""
}

// kernelSteps returns the restrictions of the rule's extensions that the
// rule breaks or may break, depending on the hooks of its chain, up to the
// first it breaks whatever they are (the kernel stops there).
func kernelSteps(fam Family, table string, r *Rule) []kernelStep {
	var steps []kernelStep
	protoKnown, proto, protoNeg := false, "", false // ruleProto, once
	check := func(s *ModuleSpec, name, kind string, pos Pos, opts []*Option) bool {
		if s == nil {
			return true
		}
		for i := range s.Kernel {
			k := &s.Kernel[i]
			if (k.Family != 0 && k.Family != fam) || !k.applies(opts) {
				continue
			}
			st := kernelStep{k: k, name: name, kind: kind, pos: pos}
			if k.Tables != nil {
				st.table = true
				for _, t := range k.Tables {
					st.table = st.table && t != table
				}
			}
			if k.Protos != nil {
				if !protoKnown {
					proto, protoNeg = ruleProto(r)
					protoKnown = true
				}
				st.proto = true
				for _, want := range k.Protos {
					st.proto = st.proto && (proto != want || protoNeg)
				}
			}
			st.syn = k.NeedSYN && !synOnly(r)
			st.refuse = k.Refuse
			if !st.table && k.Hooks == 0 && !st.proto && !st.syn && !st.refuse {
				continue // holds
			}
			steps = append(steps, st)
			if st.table || st.proto || st.syn || st.refuse {
				return false // broken whatever the hooks: the kernel stops here
			}
		}
		return true
	}
	for _, m := range r.Matches {
		if !check(m.specFor(fam), m.Name, "match", m.Pos, m.Options) {
			return steps
		}
	}
	if t := r.Target; t != nil && !t.Chain {
		check(t.specFor(fam), t.Name, "target", t.Pos, t.Options)
	}
	return steps
}

// runKernelSteps reports the first restriction of steps the rule breaks
// when hooks reach its chain.
func runKernelSteps(fam Family, table string, hooks Hook, steps []kernelStep, errs *ErrorList) {
	for i := range steps {
		st := &steps[i]
		if why := st.why(hooks); why != "" {
			*errs = append(*errs, Errorf(st.pos, "%s", st.k.message(fam, table, hooks, st.name, st.kind, why)))
			return
		}
	}
}

// applies reports whether the restriction's When and Unless select the
// extension's options.
func (k Restriction) applies(opts []*Option) bool {
	if k.Unless != "" {
		for _, o := range opts {
			if o.Name == k.Unless && !o.Negated {
				return false
			}
		}
	}
	if len(k.When) == 0 {
		return true
	}
	for _, w := range k.When {
		if name, val, ok := strings.Cut(w, "~"); ok {
			for _, o := range opts {
				if o.Name == name && slices.ContainsFunc(strings.Split(o.Arg(0), ","), func(v string) bool { return strings.EqualFold(v, val) }) {
					return true
				}
			}
			continue
		}
		name, val, hasVal := strings.Cut(w, "=")
		for _, o := range opts {
			if o.Name == name && (!hasVal || strings.EqualFold(o.Arg(0), val)) {
				return true
			}
		}
	}
	return false
}

// synOnly reports whether a tcp match of the rule matches only SYN
// packets: --syn, or --tcp-flags whose mask and comparison both hold SYN,
// not negated (the kernel's find_syn_match in xt_TCPMSS.c).
func synOnly(r *Rule) bool {
	for _, m := range r.Matches {
		if m.Name != "tcp" {
			continue
		}
		for _, o := range m.Options {
			if o.Negated {
				continue
			}
			switch o.Name {
			case "syn":
				return true
			case "tcp-flags":
				if hasSYN(o.Arg(0)) && hasSYN(o.Arg(1)) {
					return true
				}
			}
		}
	}
	return false
}

func hasSYN(list string) bool {
	for _, f := range strings.Split(strings.ToUpper(list), ",") {
		if f == "SYN" || f == "ALL" {
			return true
		}
	}
	return false
}

// message words the refusal: the kernel's log line, the errno and what
// iptables-restore does.
func (k Restriction) message(fam Family, table string, hooks Hook, name, kind, why string) string {
	xt := "ip_tables"
	ipt := "ipt"
	if fam == IPv6 {
		xt, ipt = "ip6_tables", "ip6t"
	}
	var log string
	switch {
	case k.Msg != "":
		log = strings.NewReplacer("{ipt}", ipt, "{table}", table).Replace(k.Msg)
	case k.Generic && why == "table":
		log = "x_tables: " + xt + ": " + name + " " + kind + ": only valid in " + k.Tables[0] + " table, not " + table
	case k.Generic && why == "hooks":
		verb := "valid"
		if kind == "target" {
			verb = "usable"
		}
		log = "x_tables: " + xt + ": " + name + " " + kind + ": used from hooks " + hooks.String() + ", but only " + verb + " from " + k.Hooks.String()
	case k.Generic && why == "proto":
		log = "x_tables: " + xt + ": " + name + " " + kind + ": only valid for protocol " + strconv.Itoa(protoNum[k.Protos[0]])
	}
	tail := " (EINVAL, \"Invalid argument\": iptables-restore fails at COMMIT)"
	if log != "" {
		return "the kernel refuses this rule: \"" + log + "\"" + tail
	}
	// checkentry refuses without logging: say what it checks.
	var cond string
	switch why {
	case "hooks":
		cond = "only from " + k.Hooks.String() + ", and this chain is reached from " + hooks.String()
	case "proto":
		cond = "only with -p " + strings.Join(k.Protos, " or -p ")
	case "table":
		cond = "only in the " + strings.Join(k.Tables, " or ") + " table"
	case "syn":
		cond = "only on a rule that matches TCP SYN packets"
	}
	opt := ""
	if len(k.When) > 0 {
		opt = " --" + strings.Join(k.When, "/--")
	}
	return "the kernel refuses this rule: " + name + opt + " is valid " + cond +
		" (EINVAL, \"Invalid argument\", with nothing in the kernel log: iptables-restore fails at COMMIT)"
}
