package optimize

import (
	"slices"
	"strings"

	"github.com/xt2nft/xt2nft/translate"
	"github.com/xt2nft/xt2nft/translate/desc"
)

// key is an expression rules compare with constants: a header field, a
// meta or ct key, or one of them under a mask.
type key struct {
	text string // as nft writes it: "ip saddr", "meta mark & 0xff"
	// cons names the key among constraints: ip protocol and meta l4proto
	// are one key there (IPv4 tables), as are a transport field's
	// implied protocol and both.
	cons string
	expr translate.Expr
	typ  *desc.Type
	bits int
	str  bool // interface names
	addr bool // an address of the table's family (ct saddr ...)
	// flags: a bare constant tests bits; oneBit: yet every packet has
	// exactly one of them (ct state), so a flag list is a list of values.
	flags, oneBit bool
	// fold: the key may be (part of) the key of a folded rule's set.
	fold bool
	// loads is what the key reads, for invalidation by writes.
	loads loc
	id    int // interned cons (analyzer.consID)
}

// loc is something a statement may write and a key may read: a payload
// bit range of a header, a meta key, conntrack, a named set.
type loc struct {
	kind     byte // 'p' payload, 'm' meta, 'c' conntrack, 's' set
	name     string
	off, len uint32
}

func (a loc) overlaps(b loc) bool {
	if a.kind != b.kind || a.name != b.name {
		return false
	}
	if a.kind != 'p' {
		return true
	}
	return a.off < b.off+b.len && b.off < a.off+a.len
}

// writes is what a rule (and the chains it jumps to) may change while a
// packet is in the hook: all, or the listed locations.
type writes struct {
	all  bool
	locs []loc
}

func (w *writes) add(o writes) {
	if w.all || o.all {
		w.all, w.locs = true, nil
		return
	}
	for _, l := range o.locs {
		w.addLoc(l)
	}
}

func (w *writes) addLoc(l loc) {
	if w.all {
		return
	}
	for _, x := range w.locs {
		if x == l {
			return
		}
	}
	w.locs = append(w.locs, l)
}

// changes reports whether w may change what k reads.
func (w *writes) changes(k *key) bool {
	if w.all {
		return true
	}
	for _, l := range w.locs {
		if l.overlaps(k.loads) {
			return true
		}
	}
	return false
}

// foldTypes are the value types a folded rule's set may be keyed by.
var foldTypes = map[*desc.Type]bool{
	desc.IPv4Addr: true, desc.IPv6Addr: true, desc.InetService: true, desc.InetProto: true,
	desc.Ifname: true, desc.Mark: true, desc.EtherAddr: true, desc.ICMPType: true, desc.ICMP6Type: true,
	desc.CTStateType: true, desc.UID: true, desc.GID: true, desc.PktType: true,
}

// keyOf describes e as a key, or says it is none. Keys are kept by what
// they load (a field, a meta or ct key), so each is described once.
func (a *analyzer) keyOf(e translate.Expr) *key {
	var id any
	switch v := e.(type) {
	case *translate.Payload:
		id = v.Field
	case *translate.Meta:
		id = v.Key
	case *translate.CT:
		id = ctID{v.Key, v.Dir}
	case *translate.Binop:
		id = "binop " + translate.RenderExpr(e)
	default:
		return nil
	}
	if k, ok := a.keys.Load(id); ok {
		return k.(*key)
	}
	k := a.newKey(e) // outside the lock: a masked key describes its field first
	a.mu.Lock()
	defer a.mu.Unlock()
	if old, ok := a.keys.Load(id); ok {
		return old.(*key) // a chain folding beside made it first
	}
	if k != nil {
		k.id = a.intern(k.cons)
	}
	a.keys.Store(id, k)
	return k
}

type ctID struct {
	k *desc.CTKey
	d desc.Direction
}

func (a *analyzer) newKey(e translate.Expr) *key {
	switch v := e.(type) {
	case *translate.Payload:
		f := v.Field
		k := &key{expr: e, typ: f.Type, bits: int(f.Len), loads: loc{kind: 'p', name: f.Proto.String(), off: f.Offset, len: f.Len}}
		if f.Type != nil {
			k.flags, k.str = f.Type.Flags, f.Type.Str
		}
		k.fold = f.Proto.Kind == desc.Payload && f.Offset%8 == 0 && f.Type != nil && f.Len == uint32(f.Type.Bits) &&
			foldTypes[f.Type] && !k.flags
		k.text = f.String()
		k.cons = k.text
		if f == desc.IPProtocol && a.fam == translate.FamilyIP {
			k.cons = "meta l4proto"
		}
		return k
	case *translate.Meta:
		t := v.Key.Type
		k := &key{expr: e, typ: t, bits: t.Bits, flags: t.Flags, str: t.Str, text: v.Key.String(),
			loads: loc{kind: 'm', name: v.Key.Name}}
		switch v.Key {
		case desc.MetaIifname, desc.MetaOifname, desc.MetaMark, desc.MetaL4proto, desc.MetaSkuid, desc.MetaSkgid, desc.MetaPkttype:
			k.fold = true
		case desc.MetaIif, desc.MetaOif, desc.MetaLength, desc.MetaNfproto, desc.MetaProtocol, desc.MetaIiftype, desc.MetaOiftype,
			desc.MetaIifgroup, desc.MetaOifgroup, desc.MetaCgroup, desc.MetaCPU, desc.MetaPriority, desc.MetaDay, desc.MetaHour:
		default:
			return nil // time, random, secpath...: not a stable value of the packet
		}
		k.cons = k.text
		return k
	case *translate.CT:
		t := v.Key.Type
		k := &key{expr: e, typ: t, text: translate.RenderExpr(e), loads: loc{kind: 'c', name: "ct"}}
		if t == nil {
			k.addr = true
			k.bits = 32
			if a.fam == translate.FamilyIP6 {
				k.bits = 128
			}
		} else {
			k.bits, k.flags, k.str = t.Bits, t.Flags, t.Str
		}
		switch v.Key {
		case desc.CTState:
			k.oneBit, k.fold = true, v.Dir == desc.CTAnyDir
		case desc.CTMark:
			k.fold = v.Dir == desc.CTAnyDir
		}
		if k.flags && !k.oneBit {
			return nil
		}
		k.cons = k.text
		return k
	case *translate.Binop:
		if v.Op != "&" {
			return nil
		}
		inner := a.keyOf(v.Left)
		if inner == nil || inner.str || inner.flags {
			return nil
		}
		switch v.Right.(type) {
		case *translate.Int, *translate.Addr:
		default:
			return nil
		}
		k := *inner
		k.expr = e
		k.text = translate.RenderExpr(e)
		k.cons = k.text
		k.fold = inner.fold && inner.typ != desc.Ifname
		return &k
	case *translate.Concat:
		return nil // handled by the caller, part by part
	}
	return nil
}

// stmtWrites is what one statement may change. Jumps and gotos add what
// their target chain may change.
func (a *analyzer) stmtWrites(st translate.Stmt) writes {
	switch s := st.(type) {
	case *translate.Match, *translate.Counter, *translate.Log, *translate.Limit, *translate.Quota, *translate.Reject,
		*translate.NAT, *translate.Queue, *translate.Dup, *translate.Synproxy, *translate.Tproxy:
		// NAT and queue end the packet's walk through the hook; the
		// others change nothing a later rule reads.
		return writes{}
	case *translate.Verdict:
		if s.Kind == translate.VerdictJump || s.Kind == translate.VerdictGoto {
			return a.chainWrites(s.Chain)
		}
		return writes{}
	case *translate.VMap:
		var w writes
		for _, n := range a.targets(s) {
			w.add(a.chainWrites(n))
		}
		return w
	case *translate.Assign:
		switch l := s.Left.(type) {
		case *translate.Meta:
			return writes{locs: []loc{{kind: 'm', name: l.Key.Name}}}
		case *translate.CT:
			return writes{locs: []loc{{kind: 'c', name: "ct"}}}
		case *translate.Payload:
			f := l.Field
			return writes{locs: []loc{{kind: 'p', name: f.Proto.String(), off: f.Offset, len: f.Len}}}
		}
		return writes{all: true}
	case *translate.Notrack, *translate.ObjRef:
		return writes{locs: []loc{{kind: 'c', name: "ct"}}}
	case *translate.SetStmt:
		return writes{locs: []loc{{kind: 's', name: s.Set}}}
	}
	if _, ok := st.(*translate.CtCount); ok {
		return writes{}
	}
	return writes{all: true}
}

// chainWrites is what a chain (and the chains it calls) may change.
func (a *analyzer) chainWrites(name string) writes {
	if w, ok := a.chainW[name]; ok {
		return w
	}
	c := a.chains[name]
	if c == nil {
		return writes{all: true}
	}
	a.chainW[name] = writes{all: true} // a loop (the kernel refuses those)
	var w writes
	for _, r := range c.Rules {
		for _, st := range r.Stmts {
			w.add(a.stmtWrites(st))
		}
	}
	a.chainW[name] = w
	return w
}

// slotKind is what varies between the rules of a fold besides their keys.
type slotKind int

const (
	slotNone    slotKind = iota
	slotVerdict          // the verdict: a verdict map
	slotAssign           // the value a statement sets: a map
	slotNAT              // the NAT address (and port): a map
)

// sel is a selector: a match of one key (or a concatenation of keys)
// against constants. tuples are its values, one per part.
type sel struct {
	idx    int // statement index
	keys   []*key
	tuples [][]value
	// the storage of a one-key selector's keys, and of its tuple when
	// it matches one constant (one allocation for the selector)
	key1   [1]*key
	val1   [1]value
	tuple1 [1][]value
}

// rinfo is what the optimizer knows about one rule.
type rinfo struct {
	r *translate.Rule
	// cons are the values a packet must have, key by key, for the rule
	// to do anything (from the matches before its first other
	// statement); w is what the rule may change.
	cons []con
	w    writes
	f    *foldable // nil: the rule cannot be folded
	// terminal: a packet the rule matches goes no further in the chain.
	terminal bool
}

// foldable is a rule that may be folded with others of its class.
type foldable struct {
	class   string
	sels    []*sel // by key text
	selBuf  [3]*sel
	matches []int // indexes of the other matches, in order
	counter *translate.Counter
	action  []translate.Stmt // after the counter (the slot statement last)
	slot    slotKind
	slotVal translate.Expr // the verdict, value or NAT target
	// elems are the rule's elements: the cartesian product of its
	// selectors' tuples, one value per key part.
	elems [][]value
}

// maxElems bounds the elements one rule may bring into a fold.
const maxElems = 256

// prepare makes the analyzer's knowledge of the table's chains (what each
// may change) complete, so that describing rules only reads it and may
// run on several processors at once (keys are added under a.mu).
func (a *analyzer) prepare(t *translate.Table) {
	for _, c := range t.Chains {
		a.chainWrites(c.Name)
	}
}

// describeOn describes only what a dispatch by address asks of a rule:
// its constraints on the keys ids names, and what it may change.
func (a *analyzer) describeOn(r *translate.Rule, ids ...int) *rinfo {
	ri := &rinfo{r: r}
	if r.Disabled != "" {
		ri.w.all = true
		return ri
	}
	for _, st := range r.Stmts {
		ri.w.add(a.stmtWrites(st))
	}
	ri.cons = a.constraints(r, ids)
	return ri
}

// describe says all the optimizer asks of a rule. Folding describes
// each chain's rules as it goes and keeps of them only what emit needs
// (done), so that descriptions of all rules of a big table never live at
// once.
func (a *analyzer) describe(r *translate.Rule) *rinfo {
	ri := &rinfo{r: r}
	if r.Disabled != "" {
		ri.w.all = true
		return ri
	}
	for _, st := range r.Stmts {
		ri.w.add(a.stmtWrites(st))
	}
	ri.cons = a.constraints(r, nil)
	ri.f = a.foldable(r, ri)
	if n := len(r.Stmts); n > 0 {
		ri.terminal = terminal(r.Stmts[n-1])
	}
	return ri
}

// terminal reports whether a statement ends the packet's walk through
// the chain (jump comes back; the others go on).
func terminal(st translate.Stmt) bool {
	switch s := st.(type) {
	case *translate.Verdict:
		switch s.Kind {
		case translate.VerdictAccept, translate.VerdictDrop, translate.VerdictReturn, translate.VerdictGoto, translate.VerdictQueue:
			return true
		}
	case *translate.Reject, *translate.NAT, *translate.Queue:
		return true
	}
	return false
}

// con is a constraint: the values a key must have.
type con struct {
	id int // the key's constraint identity (key.cons, interned)
	k  *key
	vs vset
}

// find returns the constraint on key id, or nil.
func find(cs []con, id int) *con {
	for i := range cs {
		if cs[i].id == id {
			return &cs[i]
		}
	}
	return nil
}

// constraints collects, from the matches before the rule's first other
// statement (what it does, or its first stateful part), the values each
// key must have (only: those of the keys with these ids, when not nil).
func (a *analyzer) constraints(r *translate.Rule, only []int) []con {
	cons := make([]con, 0, 4)
	add := func(k *key, vs vset) {
		id := a.consID(k)
		if only != nil && !slices.Contains(only, id) {
			return
		}
		if c := find(cons, id); c != nil {
			c.vs = c.vs.intersect(vs)
			return
		}
		cons = append(cons, con{id, k, vs})
	}
	for _, st := range r.Stmts {
		m, ok := st.(*translate.Match)
		if !ok || !pure(m) {
			break
		}
		if only == nil {
			a.implied(m.Left, add) // a protocol, never an address
		}
		if c, ok := m.Left.(*translate.Concat); ok {
			a.concatConstraints(c, m, add)
			continue
		}
		k := a.keyOf(m.Left)
		if k == nil || only != nil && !slices.Contains(only, k.id) {
			continue
		}
		vs, ok := a.matchValues(k, m)
		if ok {
			add(k, vs)
		}
	}
	return cons
}

// consID is a key's constraint identity: the number keyOf interned for
// its cons (keys that name the same constraint share it).
func (a *analyzer) consID(k *key) int { return k.id }

// intern numbers a constraint identity (a.mu held).
func (a *analyzer) intern(cons string) int {
	id, ok := a.consIDs[cons]
	if !ok {
		id = len(a.consIDs) + 1
		a.consIDs[cons] = id
	}
	return id
}

// implied adds the protocol a transport header field implies (tcp dport:
// meta l4proto tcp), as the protocol dependency nft adds before it.
func (a *analyzer) implied(e translate.Expr, add func(*key, vset)) {
	var f *desc.Field
	switch v := e.(type) {
	case *translate.Payload:
		f = v.Field
	case *translate.Binop:
		a.implied(v.Left, add)
		return
	case *translate.Concat:
		for _, x := range v.Exprs {
			a.implied(x, add)
		}
		return
	default:
		return
	}
	p := f.Proto
	if p.Kind == desc.TCPOption {
		p = p.Parent // a TCP option is only found in TCP packets
	}
	if p.Kind != desc.Payload || p.Base != desc.TransportHeader || !p.Implied || p.Number == 0 {
		return
	}
	n := num(uint64(p.Number))
	add(a.l4proto, vset{{n, n}})
}

// concatConstraints projects a concatenation's values on its parts.
func (a *analyzer) concatConstraints(c *translate.Concat, m *translate.Match, add func(*key, vset)) {
	if m.Op != translate.OpEq && m.Op != "" {
		return
	}
	s, ok := m.Right.(*translate.SetLit)
	if !ok {
		return
	}
	for i, x := range c.Exprs {
		k := a.keyOf(x)
		if k == nil {
			continue
		}
		var ivs []ival
		for _, e := range s.Elems {
			ce, ok := e.(*translate.Concat)
			if !ok || len(ce.Exprs) != len(c.Exprs) {
				return
			}
			vs, ok := k.values(ce.Exprs[i])
			if !ok {
				ivs = nil
				break
			}
			for _, v := range vs {
				ivs = append(ivs, v.iv)
			}
		}
		if ivs != nil {
			add(k, normalize(ivs))
		}
	}
}

// matchValues is the set of values "key op right" lets through.
func (a *analyzer) matchValues(k *key, m *translate.Match) (vset, bool) {
	var ivs []ival
	switch m.Op {
	case translate.OpEq, "", translate.OpNe:
		var set vset
		if single(m.Right) {
			iv, ok := k.constant(m.Right)
			if !ok {
				return nil, false
			}
			set = vset{iv}
		} else {
			vs, ok := k.values(m.Right)
			if !ok {
				return nil, false
			}
			ivs = make([]ival, len(vs))
			for i, v := range vs {
				ivs[i] = v.iv
			}
			set = normalize(ivs)
		}
		if m.Op == translate.OpNe {
			if k.str {
				return nil, false // names are not a number line
			}
			set = set.complement(maxPoint(k.bits))
		}
		return set, true
	case translate.OpLt, translate.OpLe, translate.OpGt, translate.OpGe:
		n, ok := m.Right.(*translate.Int)
		if !ok || k.str || k.flags {
			return nil, false
		}
		top := maxPoint(k.bits)
		p := num(n.V)
		var iv ival
		switch m.Op {
		case translate.OpLt:
			if n.V == 0 {
				return vset{}, true
			}
			hi, _ := prev(p)
			iv = ival{num(0), hi}
		case translate.OpLe:
			iv = ival{num(0), p}
		case translate.OpGt:
			lo, ok := next(p)
			if !ok || cmp(lo, top) > 0 {
				return vset{}, true
			}
			iv = ival{lo, top}
		case translate.OpGe:
			iv = ival{p, top}
		}
		return vset{iv}, true
	}
	return nil, false
}

// pure reports whether evaluating a match changes nothing (numgen inc
// counts the packets that reach it).
func pure(m *translate.Match) bool {
	return !hasState(m.Left)
}

func hasState(e translate.Expr) bool {
	switch v := e.(type) {
	case *translate.Numgen:
		return v.Mode != "random"
	case *translate.Binop:
		return hasState(v.Left) || hasState(v.Right)
	case *translate.Concat:
		for _, x := range v.Exprs {
			if hasState(x) {
				return true
			}
		}
	case *translate.Hash:
		return hasState(v.Expr)
	}
	return false
}

// foldable returns the rule's fold description, or nil when folding it
// could change what it does: stateful statements (limit, quota, recent
// lists, connlimit, numgen inc), named counters, counters carrying
// iptables' values (--counters), or keys its own statements change.
func (a *analyzer) foldable(r *translate.Rule, ri *rinfo) *foldable {
	f := &foldable{}
	f.sels = f.selBuf[:0]
	var class strings.Builder
	class.Grow(128)
	cut := len(r.Stmts)
	for i, st := range r.Stmts {
		m, ok := st.(*translate.Match)
		if !ok {
			cut = i
			break
		}
		if !pure(m) {
			return nil
		}
		if s := a.selector(i, m); s != nil {
			f.sels = append(f.sels, s)
			continue
		}
		f.matches = append(f.matches, i)
		class.WriteString("m:" + translate.RenderRule(&translate.Rule{Stmts: []translate.Stmt{st}}) + "\x00")
	}
	if len(f.sels) == 0 {
		return nil
	}
	f.action = r.Stmts[cut:]
	if len(f.action) > 0 {
		if c, ok := f.action[0].(*translate.Counter); ok {
			if c.Name != "" || a.opt.Counters && (c.Packets != 0 || c.Bytes != 0) {
				return nil // a named counter, or one carrying iptables' values
			}
			f.counter = c
			f.action = f.action[1:]
		}
	}
	for _, st := range f.action {
		switch st.(type) {
		case *translate.Match, *translate.Limit, *translate.Quota, *translate.SetStmt, *translate.Counter, *translate.VMap:
			return nil
		case *translate.ObjRef:
			return nil
		case *translate.CtCount:
			return nil
		}
	}
	if len(f.sels) > 1 {
		slices.SortStableFunc(f.sels, func(x, y *sel) int { return strings.Compare(x.keys[0].text, y.keys[0].text) })
	}
	for _, s := range f.sels {
		class.WriteString("k:")
		for j, k := range s.keys {
			if j > 0 {
				class.WriteString(" . ")
			}
			class.WriteString(k.text)
			if ri.w.changes(k) {
				return nil // the rule changes its own key (or its jump target does)
			}
		}
		class.WriteString("\x00")
	}
	f.slot, f.slotVal = slotOf(f.action)
	if f.counter != nil {
		class.WriteString("counter\x00")
	}
	for i, st := range f.action {
		if i == len(f.action)-1 && f.slot != slotNone {
			class.WriteString("a:" + slotClass(st) + "\x00")
			continue
		}
		class.WriteString("a:" + stmtText(st) + "\x00")
	}
	f.class = class.String()
	f.elems = product(f.sels)
	if f.elems == nil {
		return nil
	}
	return f
}

// selector returns m as a selector, or nil.
func (a *analyzer) selector(i int, m *translate.Match) *sel {
	if m.Op != translate.OpEq && m.Op != "" {
		return nil
	}
	if c, ok := m.Left.(*translate.Concat); ok {
		s := &sel{idx: i}
		for _, x := range c.Exprs {
			k := a.keyOf(x)
			if k == nil || !k.fold {
				return nil
			}
			s.keys = append(s.keys, k)
		}
		lit, ok := m.Right.(*translate.SetLit)
		if !ok {
			return nil
		}
		for _, e := range lit.Elems {
			ce, ok := e.(*translate.Concat)
			if !ok || len(ce.Exprs) != len(s.keys) {
				return nil
			}
			var t []value
			for j, x := range ce.Exprs {
				vs, ok := s.keys[j].values(x)
				if !ok || len(vs) != 1 {
					return nil
				}
				t = append(t, vs[0])
			}
			s.tuples = append(s.tuples, t)
		}
		if overlapping(s.tuples) {
			return nil
		}
		return s
	}
	k := a.keyOf(m.Left)
	if k == nil || !k.fold {
		return nil
	}
	if single(m.Right) {
		// One constant: the selector holds its key, value and tuple.
		iv, ok := k.constant(m.Right)
		if !ok {
			return nil
		}
		s := &sel{idx: i}
		s.key1[0], s.val1[0] = k, value{m.Right, iv}
		s.tuple1[0] = s.val1[:]
		s.keys, s.tuples = s.key1[:], s.tuple1[:]
		return s
	}
	vs, ok := k.values(m.Right)
	if !ok {
		return nil
	}
	s := &sel{idx: i, tuples: make([][]value, len(vs))}
	s.key1[0] = k
	s.keys = s.key1[:]
	for j := range vs {
		s.tuples[j] = vs[j : j+1 : j+1]
	}
	if overlapping(s.tuples) {
		return nil // 80:90,85: the kernel takes no overlapping elements
	}
	return s
}

// overlapping reports whether two tuples of one selector share a packet.
func overlapping(ts [][]value) bool {
	for i := range ts {
		for j := i + 1; j < len(ts); j++ {
			if !tupleDisjoint(ts[i], ts[j]) {
				return true
			}
		}
	}
	return false
}

func tupleDisjoint(a, b []value) bool {
	for i := range a {
		if cmp(a[i].iv.hi, b[i].iv.lo) < 0 || cmp(b[i].iv.hi, a[i].iv.lo) < 0 {
			return true
		}
	}
	return false
}

// product is the cartesian product of the selectors' tuples (nil when it
// is too big).
func product(sels []*sel) [][]value {
	if len(sels) == 1 {
		return sels[0].tuples
	}
	n, width := 1, 0
	for _, s := range sels {
		if n *= len(s.tuples); n > maxElems {
			return nil
		}
		width += len(s.keys)
	}
	if n == 0 {
		return nil
	}
	// One array for all: element i takes the tuples of the selectors in
	// order, the last varying fastest.
	flat := make([]value, n*width)
	out := make([][]value, n)
	for i := range out {
		e := flat[i*width : (i+1)*width : (i+1)*width]
		rem, pos := i, width
		for k := len(sels) - 1; k >= 0; k-- {
			ts := sels[k].tuples
			t := ts[rem%len(ts)]
			rem /= len(ts)
			pos -= len(t)
			copy(e[pos:], t)
		}
		out[i] = e
	}
	return out
}

// slotOf says what of the action may vary between folded rules: a lone
// verdict, the constant a lone mark statement sets, the address (and
// port) of a lone NAT statement.
func slotOf(action []translate.Stmt) (slotKind, translate.Expr) {
	if len(action) != 1 {
		return slotNone, nil
	}
	switch s := action[0].(type) {
	case *translate.Verdict:
		return slotVerdict, s
	case *translate.Assign:
		if !assignable(s.Left) {
			return slotNone, nil
		}
		switch s.Value.(type) {
		case *translate.Int, *translate.Sym:
			return slotAssign, s.Value
		}
	case *translate.NAT:
		if (s.Kind != translate.DNAT && s.Kind != translate.SNAT) || s.Prefix {
			return slotNone, nil
		}
		a, ok := s.Addr.(*translate.Addr)
		if !ok || a.Prefix.Bits() != a.Prefix.Addr().BitLen() {
			return slotNone, nil
		}
		if s.Port == nil {
			return slotNAT, a
		}
		if p, ok := s.Port.(*translate.Int); ok {
			return slotNAT, &translate.Concat{Exprs: []translate.Expr{a, p}}
		}
	}
	return slotNone, nil
}

// assignable: the statements whose constant may come from a map.
func assignable(e translate.Expr) bool {
	switch v := e.(type) {
	case *translate.Meta:
		return v.Key == desc.MetaMark
	case *translate.CT:
		return v.Key == desc.CTMark && v.Dir == desc.CTAnyDir
	}
	return false
}

// stmtText is a statement as nft writes it.
func stmtText(st translate.Stmt) string {
	if v, ok := st.(*translate.Verdict); ok {
		return string(v.Kind) + " " + v.Chain
	}
	return translate.RenderRule(&translate.Rule{Stmts: []translate.Stmt{st}})
}

// slotClass is a slot statement without its varying value.
func slotClass(st translate.Stmt) string {
	switch s := st.(type) {
	case *translate.Verdict:
		return "verdict"
	case *translate.Assign:
		return translate.RenderExpr(s.Left) + " set"
	case *translate.NAT:
		var b strings.Builder
		b.WriteString(string(s.Kind) + " " + string(s.Family))
		for _, f := range s.Flags {
			b.WriteString(" " + string(f))
		}
		if s.Port != nil {
			b.WriteString(" port")
		}
		return b.String()
	}
	return "?"
}
