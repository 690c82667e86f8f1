package translate

// -m hashlimit: iptables-extensions(8) "hashlimit"; nft: a named dynamic
// set with a per-element limit, "update @NAME { KEY limit rate ... }".
//
// The set is declared once per table and shared by every rule with the same
// --hashlimit-name, as the kernel shares the hash table (upstream 1.8.9
// emits one "meter NAME" per rule, and nft rejects the second one). The
// kernel builds keys and buckets from the parameters of the rule that
// created the table (xt_hashlimit htable cfg), so later rules with the same
// name use the first rule's mode, masks, rate and burst; only upto/above is
// per rule.
//
// Element timeout: --hashlimit-htable-expire, else iptables' default of one
// rate unit (1s for N/second, 60s for N/minute, ...), 15s in byte mode, or
// 60s in byte mode with --hashlimit-burst (libxt_hashlimit.c).
//
// A full table: the kernel's table holds --hashlimit-htable-max entries,
// but at least --hashlimit-htable-size (its buckets), and 8 × the size
// without a max; the size defaults to one from the host's memory, 8192
// above 1 GiB (assumed here: 65536 entries). That is the set's size. When
// the table is full, xt_hashlimit drops the packet of a new flow outright
// (hotdrop), whatever the rule's target; an nft set update that finds the
// set full ends the rule, and the packet would go on to the next rule. So
// a rule with a hashlimit is followed by its hotdrop rule: the statements
// before the hashlimit, "KEY != @NAME drop" (right after the update, a
// flow it could add is in the set). Measured: golden/hashlimit-full-table.
// -gcinterval tunes the kernel's garbage collection only.
//
// Ports (srcport/dstport) are taken from the -p protocol's header. Without
// a -p tcp/udp/udplite/sctp/dccp, "th sport/dport" is used, which reads
// bytes of non-port protocols where the kernel uses 0 (approximation).
// Byte mode ("kb/s") buckets differ slightly: xt_hashlimit rounds the burst
// to whole multiples of the rate; nft counts rate+burst bytes.
// --hashlimit-rate-match (revision 3) has no nft equivalent.

import (
	"fmt"
	"strings"
	"time"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

// hashlimitTable names a hashlimit table (--hashlimit-name) in one nft
// table.
type hashlimitTable struct {
	table *Table
	name  string
}

type hashlimitCfg struct {
	mode    map[string]bool
	masks   map[string]int
	types   []*desc.Type
	limit   Limit
	expire  time.Duration
	size    int
	setName string
	sig     string
	bytes   bool
}

func matchHashlimit(c *ctx, m *parser.Match) error {
	if o := m.Opt("hashlimit-rate-match"); o != nil {
		return c.unsupported(o.Pos, "--hashlimit-rate-match (match flows by measured rate without consuming tokens) has no nft equivalent")
	}
	if o := m.Opt("hashlimit-rate-interval"); o != nil {
		return c.unsupported(o.Pos, "--hashlimit-rate-interval needs --hashlimit-rate-match, which has no nft equivalent")
	}
	var rateOpt *parser.Option
	over := false
	for _, n := range []string{"hashlimit-upto", "hashlimit", "hashlimit-above"} {
		if o := m.Opt(n); o != nil {
			if rateOpt != nil {
				return c.unsupported(o.Pos, "--%s and --%s cannot be combined", rateOpt.Name, o.Name)
			}
			rateOpt = o
			over = (n == "hashlimit-above") != o.Negated
		}
	}
	if rateOpt == nil {
		return c.unsupported(m.Pos, "-m hashlimit needs --hashlimit-upto or --hashlimit-above")
	}
	nameOpt := m.Opt("hashlimit-name")
	if nameOpt == nil {
		return c.unsupported(m.Pos, "-m hashlimit needs --hashlimit-name")
	}
	cfg := &hashlimitCfg{}
	// rate
	mult, period := uint64(1), uint64(0)
	if r, unit, ok := parseHashlimitBytes(rateOpt.Arg(0)); ok {
		cfg.bytes = true
		cfg.limit = Limit{Rate: r, Unit: "second", Bytes: true, BytesUnit: ByteUnit(unit)}
		mult = 15
	} else if v, ok, err := c.kernelRate(rateOpt, hashlimitScale); ok {
		// The default expiry is the unit as written; the rate is the
		// kernel's (xtrate.go).
		if err != nil {
			return err
		}
		mult, period = v.written, v.period
		cfg.limit = Limit{Rate: v.rate, Unit: TimeUnit(v.unit), Burst: 5}
	} else {
		return c.badValue(rateOpt, "rate")
	}
	if o := m.Opt("hashlimit-burst"); o != nil {
		// libxt_hashlimit.c parse_burst: strtoul with an end pointer, so
		// "30/minute" is 30; the 1-1000000 range is checked only when
		// nothing follows the number, and a following 'k' or 'm' (only
		// lower case) multiplies by 1024 or 1048576, whatever comes after.
		n, rest, ok := strtoulPrefix(o.Arg(0))
		if !ok || n == 0 || (rest == "" && n > 1000000) {
			return c.badValue(o, "burst (1-1000000)")
		}
		unit, factor := ByteUnit("bytes"), uint64(1)
		if rest != "" {
			switch rest[0] {
			case 'k':
				unit, factor = "kbytes", 1<<10
			case 'm':
				unit, factor = "mbytes", 1<<20
			default:
				c.note(argPos(o), "--hashlimit-burst %q is read as %d, as iptables reads it (strtoul stops at %q)", o.Arg(0), n, rest)
			}
		}
		if n > ^uint64(0)/factor {
			return c.badValue(o, "burst")
		}
		if cfg.bytes {
			cfg.limit.Burst, cfg.limit.BurstUnit = n, unit
			mult = 60
		} else {
			// hashlimit_mt_check: a packet burst above 1000000, factor
			// included, is refused.
			if n*factor > 1000000 {
				return c.badValue(o, "burst (1-1000000)")
			}
			cfg.limit.Burst = n * factor
		}
	}
	cfg.limit.Over = over
	if !cfg.bytes && hashlimitOverflows(period, cfg.limit.Burst) {
		return c.unsupported(rateOpt.Pos, "the kernel rejects this rule: a period of %d (1/1000000 s) times a burst of %d overflows xt_hashlimit's credits (\"overflow, try lower\", ERANGE)", period, cfg.limit.Burst)
	}
	if cfg.bytes {
		c.approx(rateOpt.Pos, "hashlimit byte mode: nft's byte bucket holds rate+burst bytes, xt_hashlimit's holds the burst rounded up to whole rates")
	}
	cfg.expire = time.Duration(mult) * time.Second
	if o := m.Opt("hashlimit-htable-expire"); o != nil {
		ms, ok := parseNum(o.Arg(0), 32)
		if !ok {
			return c.badValue(o, "expiry (milliseconds)")
		}
		if ms == 0 {
			return c.badValue(o, "expiry (milliseconds, at least 1)")
		}
		cfg.expire = time.Duration(ms) * time.Millisecond
	}
	buckets, entries := uint64(hashlimitBuckets), uint64(0)
	if o := m.Opt("hashlimit-htable-size"); o != nil {
		n, ok := parseNum(o.Arg(0), 32)
		if !ok {
			return c.badValue(o, "number")
		}
		if n > 0 {
			buckets = n
		}
	}
	if o := m.Opt("hashlimit-htable-max"); o != nil {
		n, ok := parseNum(o.Arg(0), 32)
		if !ok {
			return c.badValue(o, "table size")
		}
		entries = n
	}
	switch {
	case entries == 0:
		entries = 8 * buckets
	case entries < buckets:
		entries = buckets
	}
	cfg.size = int(min(entries, 1<<32-1))
	if o := m.Opt("hashlimit-htable-gcinterval"); o != nil {
		if _, ok := parseNum(o.Arg(0), 32); !ok {
			return c.badValue(o, "number")
		}
	}
	if err := hashlimitMode(c, m, cfg); err != nil {
		return err
	}
	cfg.sig = fmt.Sprintf("%v|%v|%+v|%v|%d", cfg.mode, cfg.masks, cfg.limit, cfg.expire, cfg.size)

	name := nameOpt.Arg(0)
	if len(cfg.mode) == 0 {
		// No --hashlimit-mode: one bucket for every packet.
		l := cfg.limit
		c.add(&l)
		return nil
	}
	tk := hashlimitTable{c.tr.nftTable(c.fam, c.table), name}
	first := c.tr.hashlimits[tk]
	if first == nil {
		first = cfg
		cfg.setName = c.freeSetName(name)
		if cfg.setName != name {
			c.note(nameOpt.Pos, "hashlimit table %q becomes nft set %q", name, cfg.setName)
		}
		c.tr.hashlimits[tk] = cfg
		c.addSet(&Set{Name: cfg.setName, Type: cfg.types, Flags: []SetFlag{SetDynamic, SetTimeout},
			Timeout: cfg.expire, Size: cfg.size, Origin: m.Pos,
			Comment: "hashlimit " + strings.ReplaceAll(name, `"`, "'")})
	} else if first.sig != cfg.sig {
		c.note(nameOpt.Pos, "hashlimit %q was first created with other parameters; as in the kernel, the first rule's key, rate, burst and expiry apply", name)
	}
	l := first.limit
	l.Over = over
	if first.bytes != cfg.bytes || first.limit.Over != over {
		c.approx(nameOpt.Pos, "rules sharing hashlimit %q differ in upto/above or packet/byte mode; an nft set element keeps the limit of the rule that created it", name)
	}
	key, _ := hashlimitKey(c, m, first)
	c.hotdrops = append(c.hotdrops, hotdrop{at: len(c.stmts), pos: m.Pos,
		miss: &Match{Left: keyExpr(key), Op: OpNe, Right: &SetRef{Name: first.setName}}})
	c.add(&SetStmt{Op: SetUpdate, Set: first.setName, Key: keyExpr(key), Stmts: []Stmt{&l}})
	return nil
}

// hashlimitBuckets is the kernel's hash table size without
// --hashlimit-htable-size on a host with more than 1 GiB of memory
// (hashlimit's htable_create).
const hashlimitBuckets = 8192

// hotdrop is the drop of a packet whose flow a full hashlimit table cannot
// take: the rule's statements before the hashlimit (c.stmts[:at]) and
// miss, the flow's key not in the set.
type hotdrop struct {
	at   int
	pos  parser.Pos
	miss Stmt
}

// hotdropRules are the rules after the rule's own for its hashlimits (head,
// proto and addrs as the rule's statements begin; the protocol is matched
// unless the statements before the hashlimit imply it). The statements
// before a hashlimit are evaluated again, so a limit or quota among them
// counts twice: an approximation.
func (c *ctx) hotdropRules(head []Stmt, proto Stmt, addrs []Stmt) []*Rule {
	var out []*Rule
	for _, h := range c.hotdrops {
		if c.statefulAround(c.stmts[:h.at]) {
			c.approx(h.pos, "hashlimit: a full hashlimit table drops a new flow's packet; the rule that does it in nft evaluates the matches before the hashlimit again, and their limit or quota counts the packet twice")
		}
		st := append([]Stmt(nil), head...)
		if proto != nil || c.proto != "" && !c.protoDone && !c.protoImplied(c.stmts[:h.at]) {
			st = append(st, c.protoMatch(c.protoNeg))
		}
		st = append(append(append(st, addrs...), c.stmts[:h.at]...), h.miss, &Verdict{Kind: VerdictDrop})
		out = append(out, &Rule{Origin: c.rule.Pos, Stmts: st, Comment: c.comment})
	}
	return out
}

func keyExpr(k []Expr) Expr {
	if len(k) == 1 {
		return k[0]
	}
	return &Concat{Exprs: k}
}

// hashlimitMode parses --hashlimit-mode and the masks into cfg.
func hashlimitMode(c *ctx, m *parser.Match, cfg *hashlimitCfg) error {
	cfg.mode = map[string]bool{}
	if o := m.Opt("hashlimit-mode"); o != nil {
		for _, f := range strings.FieldsFunc(o.Arg(0), func(r rune) bool { return r == ',' || r == '|' }) {
			switch f {
			case "srcip", "srcport", "dstip", "dstport":
				cfg.mode[f] = true
			default:
				return c.badValue(o, "mode")
			}
		}
	}
	full := 32
	if c.fam == parser.IPv6 {
		full = 128
	}
	cfg.masks = map[string]int{"srcip": full, "dstip": full}
	for _, x := range []struct{ opt, mode string }{{"hashlimit-srcmask", "srcip"}, {"hashlimit-dstmask", "dstip"}} {
		if o := m.Opt(x.opt); o != nil {
			n, ok := parseNum(o.Arg(0), 8)
			if !ok || int(n) > full {
				return c.badValue(o, "prefix length")
			}
			cfg.masks[x.mode] = int(n)
		}
	}
	for _, f := range hashlimitFields {
		if !cfg.mode[f] {
			continue
		}
		if f == "dstip" || f == "srcip" {
			cfg.types = append(cfg.types, c.l3AddrType())
		} else {
			cfg.types = append(cfg.types, desc.InetService)
		}
	}
	return nil
}

// hashlimitFields is upstream's key order.
var hashlimitFields = []string{"dstip", "dstport", "srcip", "srcport"}

// hashlimitKey builds this rule's set key from cfg's mode and masks.
// Ports come from the rule's -p protocol header, else from "th".
func hashlimitKey(c *ctx, m *parser.Match, cfg *hashlimitCfg) ([]Expr, error) {
	full := 32
	if c.fam == parser.IPv6 {
		full = 128
	}
	proto := ""
	switch c.proto {
	case "tcp", "udp", "udplite", "sctp", "dccp":
		if !c.protoNeg {
			proto = c.proto
		}
	}
	var key []Expr
	for _, f := range hashlimitFields {
		if !cfg.mode[f] {
			continue
		}
		switch f {
		case "dstip", "srcip":
			field := c.l3().Daddr
			if f == "srcip" {
				field = c.l3().Saddr
			}
			var e Expr = &Payload{Field: field}
			if cfg.masks[f] < full {
				e = &Binop{Op: "&", Left: e, Right: c.prefixMask(cfg.masks[f])}
			}
			key = append(key, e)
		default:
			h := transportHeader(proto)
			if h == nil || h.Sport == nil {
				h = desc.TH
			}
			field := h.Dport
			if f == "srcport" {
				field = h.Sport
			}
			if h == desc.TH {
				c.approx(m.Pos, "hashlimit %s without -p tcp/udp/sctp/dccp/udplite: nft's \"th %s\" reads header bytes of protocols without ports, where the kernel uses port 0", f, field.Name)
			}
			key = append(key, &Payload{Field: field})
		}
	}
	return key, nil
}

// parseHashlimitBytes parses "N[k|m]b/s" (libxt_hashlimit parse_bytes).
func parseHashlimitBytes(s string) (uint64, string, bool) {
	i := strings.Index(s, "b/s")
	if i <= 0 || s[i:] != "b/s" {
		return 0, "", false
	}
	num := leadingDigits(s)
	n, ok := parseNum(num, 64)
	if !ok || n == 0 {
		return 0, "", false
	}
	switch s[len(num):i] {
	case "":
		return n, "bytes", true
	case "k":
		return n, "kbytes", true
	case "m":
		return n, "mbytes", true
	}
	return 0, "", false
}
