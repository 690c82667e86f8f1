package translate

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/xt2nft/xt2nft/translate/desc"
)

// Render writes rs as an nft script. Each table is first created and
// deleted, then declared whole, so loading the script replaces exactly the
// tables it owns and touches no other table.
func Render(w io.Writer, rs *Ruleset) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	p := &printer{w: bw}
	for i, t := range rs.Tables {
		if i > 0 {
			p.s("\n")
		}
		p.table(t)
	}
	return bw.Flush()
}

// RenderRule returns one rule's statements as nft text (for messages,
// tests and the optimizer's comparisons: a small buffer, as it is called
// once per rule).
func RenderRule(r *Rule) string {
	var b strings.Builder
	p := &printer{w: bufio.NewWriterSize(&b, 128)}
	p.rule(r)
	p.w.Flush()
	return b.String()
}

// RenderExpr returns one expression as nft text.
func RenderExpr(e Expr) string {
	var b strings.Builder
	p := &printer{w: bufio.NewWriterSize(&b, 64)}
	p.expr(e, 0)
	p.w.Flush()
	return b.String()
}

type printer struct {
	w *bufio.Writer
}

func (p *printer) s(s string) { p.w.WriteString(s) }

func (p *printer) table(t *Table) {
	fam := string(t.Family)
	p.s("add table " + fam + " " + t.Name + "\n")
	p.s("delete table " + fam + " " + t.Name + "\n")
	p.s("table " + fam + " " + t.Name + " {\n")
	if t.Comment != "" {
		p.s("\tcomment " + quote(t.Comment) + "\n")
	}
	for _, o := range t.Objects {
		p.s("\t" + string(o.Kind) + " " + o.Name + " {\n")
		if len(o.Fields) > 0 {
			// One statement: type "ftp" protocol tcp;
			p.s("\t\t")
			for i, f := range o.Fields {
				if i > 0 {
					p.s(" ")
				}
				p.s(f.Key + " ")
				p.expr(f.Value, 0)
			}
			p.s(";\n")
		}
		p.s("\t}\n")
	}
	for _, s := range t.Sets {
		p.set(s)
	}
	for _, c := range t.Chains {
		p.chain(c)
	}
	p.s("}\n")
}

func (p *printer) set(s *Set) {
	kind := "set"
	if len(s.Data) > 0 {
		kind = "map"
	}
	p.s("\t" + kind + " " + s.Name + " {\n")
	if len(s.Typeof) > 0 {
		p.s("\t\ttypeof ")
		p.expr(&Concat{Exprs: s.Typeof}, 0)
	} else {
		p.s("\t\ttype " + typeNames(s.Type))
	}
	if len(s.Data) > 0 {
		p.s(" : " + typeNames(s.Data))
	}
	p.s("\n")
	if s.Size > 0 {
		p.s("\t\tsize " + strconv.Itoa(s.Size) + "\n")
	}
	if len(s.Flags) > 0 {
		flagList(p, "\t\tflags ", s.Flags)
		p.s("\n")
	}
	if s.Timeout > 0 {
		p.s("\t\ttimeout " + duration(s.Timeout) + "\n")
	}
	if s.Counter {
		p.s("\t\tcounter\n")
	}
	if s.Comment != "" {
		p.s("\t\tcomment " + quote(s.Comment) + "\n")
	}
	if len(s.Elems) > 0 {
		p.s("\t\telements = ")
		p.elems(s.Elems, "\n\t\t\t     ")
		p.s("\n")
	}
	p.s("\t}\n")
}

// elems writes { a, b }; the elements of folded rules (with their
// values, or the rules they stand for) go one to a line, after sep.
func (p *printer) elems(es []Expr, sep string) {
	long := false
	for _, e := range es {
		if el, ok := e.(*Elem); ok && len(es) > 1 && (el.Value != nil || el.Origin.File != "") {
			long = true
		}
	}
	p.s("{ ")
	for i, e := range es {
		if i > 0 {
			p.s(",")
			if long {
				p.s(sep)
			} else {
				p.s(" ")
			}
		}
		p.expr(e, 0)
	}
	p.s(" }")
}

// namedPriorities are the standard priorities nft prints by name.
var namedPriorities = map[int]string{-300: "raw", -150: "mangle", -100: "dstnat", 0: "filter", 50: "security", 100: "srcnat"}

func (p *printer) chain(c *Chain) {
	if c.ahead != nil {
		for _, b := range c.ahead.text {
			p.w.Write(b)
		}
		return
	}
	p.chainText(c)
}

// chainText writes chain c from its rules.
func (p *printer) chainText(c *Chain) {
	p.chainHead(c)
	p.chainRules(c.Rules)
	p.s("\t}\n")
}

// chainHead writes the declaration of chain c, up to its rules.
func (p *printer) chainHead(c *Chain) {
	p.s("\tchain " + c.Name + " {\n")
	if c.Comment != "" {
		// A script comment, not an nft chain comment: google/nftables
		// v0.3.0 cannot send chain comments, and both backends must give
		// the kernel the same ruleset.
		p.s("\t\t# " + c.Comment + "\n")
	}
	if b := c.Base; b != nil {
		prio := strconv.Itoa(b.Priority)
		// dstnat and srcnat are only valid names on prerouting/postrouting.
		if n, ok := namedPriorities[b.Priority]; ok && (n != "dstnat" || b.Hook == HookPrerouting) && (n != "srcnat" || b.Hook == HookPostrouting) {
			prio = n
		}
		p.s("\t\ttype " + string(b.Type) + " hook " + string(b.Hook) + " priority " + prio + "; policy " + b.Policy + ";\n")
	}
}

// chainRules writes rules of a chain, a line each.
func (p *printer) chainRules(rules []*Rule) {
	for _, r := range rules {
		if r.Disabled != "" {
			p.s("\t\t# " + r.Origin.String() + ": untranslated (" + r.Disabled + "): " + r.Source + "\n")
			continue
		}
		p.s("\t\t")
		p.rule(r)
		p.s("\n")
	}
}

func (p *printer) rule(r *Rule) {
	for i, st := range r.Stmts {
		if i > 0 {
			p.s(" ")
		}
		p.stmt(st)
	}
	if r.Comment != "" {
		if len(r.Stmts) > 0 {
			p.s(" ")
		}
		p.s("comment " + quote(r.Comment))
	}
}

func (p *printer) stmts(sts []Stmt) {
	for _, st := range sts {
		p.s(" ")
		p.stmt(st)
	}
}

func (p *printer) stmt(st Stmt) {
	switch s := st.(type) {
	case *Match:
		p.match(s)
	case *Counter:
		p.counter(s)
	case *Verdict:
		p.verdict(s)
	case *Log:
		p.log(s)
	case *Limit:
		p.limit(s)
	case *Reject:
		p.reject(s)
	case *NAT:
		p.nat(s)
	case *Assign:
		p.expr(s.Left, 0)
		p.s(" set ")
		p.expr(s.Value, 0)
	case *Notrack:
		p.s("notrack")
	case *SetStmt:
		p.s(string(s.Op) + " @" + s.Set + " { ")
		p.expr(s.Key, 0)
		if s.Timeout > 0 {
			p.s(" timeout " + duration(s.Timeout))
		}
		p.stmts(s.Stmts)
		p.s(" }")
	case *Queue:
		p.s("queue")
		flagList(p, " flags ", s.Flags)
		if s.Num != nil {
			p.s(" to ")
			p.expr(s.Num, 0)
		}
	case *Dup:
		p.s("dup to ")
		p.expr(s.Addr, 0)
		if s.Dev != nil {
			p.s(" device ")
			p.expr(s.Dev, 0)
		}
	case *Tproxy:
		p.tproxy(s)
	case *Synproxy:
		p.synproxy(s)
	case *Quota:
		p.s("quota ")
		if s.Over {
			p.s("over ")
		}
		p.s(strconv.FormatUint(s.Bytes, 10) + " bytes")
	case *ObjRef:
		p.s(string(s.Kind) + " set " + quote(s.Name))
	case *VMap:
		p.expr(s.Key, 0)
		p.s(" vmap ")
		p.expr(s.Map, 0)
	case selfRendering:
		p.s(s.nft())
	default:
		panic(fmt.Sprintf("programming error: render: unknown statement %T", st))
	}
}

func (p *printer) match(s *Match) {
	if bm, ok := s.Right.(*Bitmask); ok && singleFlag(bm.Mask) {
		// nft 1.0.6 reads the list after "/" only with a comma in it
		// ("tcp flags ack / ack" is a syntax error), so a one-flag mask
		// is written as the equivalent "tcp flags & ack == ack".
		p.expr(&Binop{Op: "&", Left: s.Left, Right: bm.Mask}, 0)
		op := s.Op
		if op == "" {
			op = OpEq
		}
		p.s(" " + string(op) + " ")
		p.expr(bm.Value, 0)
		return
	}
	p.expr(s.Left, 0)
	switch s.Op {
	case OpExists, OpMissing:
		p.s(" " + string(s.Op))
		return
	case OpEq, "":
		if _, ok := s.Left.(*Binop); ok {
			p.s(" ==")
		}
	default:
		p.s(" " + string(s.Op))
	}
	p.s(" ")
	p.expr(s.Right, 0)
}

func (p *printer) verdict(v *Verdict) {
	p.s(string(v.Kind))
	if v.Chain != "" {
		p.s(" " + v.Chain)
	}
}

func (p *printer) counter(s *Counter) {
	if s.Name != "" {
		p.s("counter name " + quote(s.Name))
		return
	}
	p.s("counter")
	if s.Packets != 0 || s.Bytes != 0 {
		p.s(" packets " + strconv.FormatUint(s.Packets, 10) + " bytes " + strconv.FormatUint(s.Bytes, 10))
	}
}

func (p *printer) log(s *Log) {
	p.s("log")
	if s.Prefix != nil {
		p.s(" prefix " + quote(*s.Prefix))
	}
	if s.Group != nil {
		p.s(" group " + strconv.Itoa(int(*s.Group)))
	}
	if s.Snaplen != nil {
		p.s(" snaplen " + strconv.Itoa(int(*s.Snaplen)))
	}
	if s.QThreshold != nil {
		p.s(" queue-threshold " + strconv.Itoa(int(*s.QThreshold)))
	}
	if s.Level != LogDefault {
		p.s(" level " + string(s.Level))
	}
	p.logFlags(s.Flags)
}

func (p *printer) limit(s *Limit) {
	p.s("limit rate ")
	if s.Over {
		p.s("over ")
	}
	p.s(strconv.FormatUint(s.Rate, 10))
	if s.Bytes {
		p.s(" " + string(s.BytesUnit))
	}
	p.s("/" + string(s.Unit))
	if s.Burst > 0 {
		p.s(" burst " + strconv.FormatUint(s.Burst, 10))
		if s.Bytes {
			p.s(" " + string(s.BurstUnit))
		} else {
			p.s(" packets")
		}
	}
}

func (p *printer) reject(s *Reject) {
	p.s("reject")
	switch s.Kind {
	case RejectDefault:
	case RejectTCPReset:
		p.s(" with " + string(s.Kind))
	default:
		p.s(" with " + string(s.Kind) + " type " + s.Code)
	}
}

func (p *printer) nat(s *NAT) {
	p.s(string(s.Kind))
	if s.Addr != nil || s.Port != nil {
		p.s(" ")
		if s.Family != "" && s.Family != FamilyInet {
			p.s(string(s.Family) + " ")
		}
		if s.Prefix {
			p.s("prefix ")
		}
		p.s("to ")
		if s.Addr != nil {
			a, isV6 := s.Addr, isIPv6Expr(s.Addr)
			if r, ok := a.(*Range); ok && isV6 && s.Port != nil {
				// nft 1.0.6 wants [lo]-[hi]:port, not [lo-hi]:port
				p.s("[")
				p.expr(r.Lo, 0)
				p.s("]-[")
				p.expr(r.Hi, 0)
				p.s("]")
			} else if isV6 && s.Port != nil {
				p.s("[")
				p.expr(a, 0)
				p.s("]")
			} else {
				p.expr(a, 0)
			}
		}
		if s.Port != nil {
			p.s(":")
			p.expr(s.Port, 0)
		}
	}
	flagList(p, " ", s.Flags)
}

func (p *printer) tproxy(s *Tproxy) {
	p.s("tproxy")
	if s.Family != "" && s.Family != FamilyInet {
		p.s(" " + string(s.Family))
	}
	p.s(" to ")
	if s.Addr != nil {
		if isIPv6Expr(s.Addr) {
			p.s("[")
			p.expr(s.Addr, 0)
			p.s("]")
		} else {
			p.expr(s.Addr, 0)
		}
	}
	if s.Port != nil {
		p.s(":")
		p.expr(s.Port, 0)
	}
}

func (p *printer) synproxy(s *Synproxy) {
	p.s("synproxy")
	if s.MSS != nil {
		p.s(" mss " + strconv.Itoa(int(*s.MSS)))
	}
	if s.Wscale != nil {
		p.s(" wscale " + strconv.Itoa(int(*s.Wscale)))
	}
	for _, f := range s.Flags {
		p.s(" " + string(f))
	}
}

// flagList writes a comma-separated flag list after lead, or nothing.
func flagList[F ~string](p *printer, lead string, fs []F) {
	for i, f := range fs {
		if i == 0 {
			p.s(lead)
		} else {
			p.s(",")
		}
		p.s(string(f))
	}
}

// logFlags writes a log statement's flags as nft does.
func (p *printer) logFlags(f LogFlags) {
	if f == LogAll {
		p.s(" flags all")
		return
	}
	switch f & (LogTCPSequence | LogTCPOptions) {
	case LogTCPSequence | LogTCPOptions:
		p.s(" flags tcp sequence,options")
	case LogTCPSequence:
		p.s(" flags tcp sequence")
	case LogTCPOptions:
		p.s(" flags tcp options")
	}
	if f&LogIPOptions != 0 {
		p.s(" flags ip options")
	}
	if f&LogSkuid != 0 {
		p.s(" flags skuid")
	}
	if f&LogEther != 0 {
		p.s(" flags ether")
	}
}

// singleFlag reports whether a flag mask names exactly one flag.
func singleFlag(e Expr) bool {
	f, ok := e.(*Flags)
	return ok && len(f.Names) == 1
}

func isIPv6Expr(e Expr) bool {
	switch v := e.(type) {
	case *Addr:
		return v.Prefix.Addr().Is6()
	case *Range:
		return isIPv6Expr(v.Lo)
	}
	return false
}

// rawBases are the payload bases as raw payload expressions name them.
var rawBases = map[desc.Base]string{desc.LinkHeader: "ll", desc.NetworkHeader: "nh", desc.TransportHeader: "th"}

// binopPrec gives C-like precedence (higher binds tighter).
var binopPrec = map[string]int{">>": 5, "<<": 5, "&": 4, "^": 3, "|": 2}

func (p *printer) expr(e Expr, outer int) {
	switch v := e.(type) {
	case *Payload:
		p.s(v.Field.Proto.String()) // Field.String without the concatenation
		p.s(" ")
		p.s(v.Field.Name)
	case *Meta:
		p.s(v.Key.String())
	case *CT:
		p.s("ct ")
		if v.Dir != desc.CTAnyDir {
			p.s(string(v.Dir) + " ")
		}
		p.s(v.Key.Name)
	case *Fib:
		p.s("fib ")
		for i, f := range v.Flags {
			if i > 0 {
				p.s(" . ")
			}
			p.s(f.Name)
		}
		p.s(" " + v.Result.Name)
	case *Exthdr:
		p.s(v.Hdr.Presence())
	case *Socket:
		p.s("socket " + v.Key.Name)
		if v.Key == desc.SocketCgroupv2 {
			p.s(" level " + strconv.FormatUint(uint64(v.Level), 10))
		}
	case *Rt:
		p.s("rt " + v.Key.Name)
	case *Ipsec:
		p.s("ipsec " + string(v.Dir) + " " + v.Key.Name)
	case *Raw:
		p.s("@" + rawBases[v.Base] + "," + strconv.FormatUint(uint64(v.Offset), 10) + "," + strconv.FormatUint(uint64(v.Len), 10))
	case *Numgen:
		p.s("numgen " + v.Mode + " mod " + strconv.FormatUint(uint64(v.Mod), 10))
		if v.Offset != 0 {
			p.s(" offset " + strconv.FormatUint(uint64(v.Offset), 10))
		}
	case *Hash:
		p.s(v.Kind + " ")
		if v.Expr != nil {
			p.expr(v.Expr, 6)
			p.s(" ")
		}
		p.s("mod " + strconv.FormatUint(uint64(v.Mod), 10))
		if v.Seed != nil {
			p.s(" seed 0x" + strconv.FormatUint(uint64(*v.Seed), 16))
		}
		if v.Offset != 0 {
			p.s(" offset " + strconv.FormatUint(uint64(v.Offset), 10))
		}
	case *Binop:
		prec := binopPrec[v.Op]
		if prec < outer {
			p.s("(")
		}
		p.expr(v.Left, prec)
		p.s(" " + v.Op + " ")
		p.expr(v.Right, prec+1)
		if prec < outer {
			p.s(")")
		}
	case *Concat:
		for i, x := range v.Exprs {
			if i > 0 {
				p.s(" . ")
			}
			p.expr(x, 6)
		}
	case *Int:
		if v.Hex {
			p.s("0x")
			p.w.Write(strconv.AppendUint(p.w.AvailableBuffer(), v.V, 16))
		} else {
			p.w.Write(strconv.AppendUint(p.w.AvailableBuffer(), v.V, 10))
		}
	case *Str:
		p.s(quote(v.V))
	case *Addr:
		// Appended into the writer's buffer: no string made per address.
		if v.Prefix.Bits() == v.Prefix.Addr().BitLen() {
			p.w.Write(v.Prefix.Addr().AppendTo(p.w.AvailableBuffer()))
		} else {
			p.w.Write(v.Prefix.AppendTo(p.w.AvailableBuffer()))
		}
	case *Sym:
		p.s(v.Name)
	case *Flags:
		p.s(strings.Join(v.Names, ","))
	case *MAC:
		p.s(fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", v.V[0], v.V[1], v.V[2], v.V[3], v.V[4], v.V[5]))
	case *Range:
		p.expr(v.Lo, 6)
		p.s("-")
		p.expr(v.Hi, 6)
	case *SetLit:
		p.elems(v.Elems, "\n\t\t\t")
	case *Elem:
		p.expr(v.Key, 0)
		if v.Timeout > 0 {
			p.s(" timeout " + duration(v.Timeout))
		}
		if v.Counter != nil {
			p.s(" ")
			p.counter(v.Counter)
		}
		if v.Comment != "" {
			p.s(" comment " + quote(v.Comment))
		}
		if v.Value != nil {
			p.s(" : ")
			p.expr(v.Value, 0)
		}
	case *MapLookup:
		p.expr(v.Key, 0)
		p.s(" map ")
		p.expr(v.Map, 0)
	case *Verdict:
		p.verdict(v)
	case *SetRef:
		p.s("@" + v.Name)
	case *Bitmask:
		p.expr(v.Value, 6)
		p.s(" / ")
		p.expr(v.Mask, 6)
	case *Time:
		p.s(duration(v.D))
	case *Clock:
		p.s(`"` + time.Date(2000, 1, 1, 0, 0, int(v.Secs), 0, time.UTC).Format("15:04:05") + `"`)
	default:
		panic(fmt.Sprintf("programming error: render: unknown expression %T", e))
	}
}

// quote renders a string constant. nft strings cannot contain a double
// quote; translators replace them (with a warning) before they get here.
func quote(s string) string { return `"` + s + `"` }

// duration renders a timeout as nft does: 1h30m, 60s, 500ms.
func duration(d time.Duration) string {
	if d == 0 {
		return "0s" // the loop below writes nothing for zero
	}
	if d%time.Second != 0 {
		return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
	}
	secs := int64(d / time.Second)
	var b strings.Builder
	for _, u := range []struct {
		n    int64
		name string
	}{{86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}} {
		if secs >= u.n {
			b.WriteString(strconv.FormatInt(secs/u.n, 10) + u.name)
			secs %= u.n
		}
	}
	return b.String()
}

// AddrExpr builds an Addr from an address and prefix length.
func AddrExpr(a netip.Addr, bits int) *Addr { return &Addr{Prefix: netip.PrefixFrom(a, bits)} }
