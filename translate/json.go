package translate

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

// RenderJSON writes rs in the libnftables JSON schema (libnftables-json(5)),
// the form `nft -j -f` reads and firewalld, Ansible's nftables modules and
// other tools consume. It is the same ruleset Render writes as text: each
// table is added, deleted and added again with everything in it, so loading
// replaces exactly the tables xt2nft owns. Rules --allow-partial disabled are
// left out (they are comments in the text form).
//
// nft 1.0.6's JSON cannot declare a set with typeof (the --rttl set); such a
// ruleset is refused here rather than written with a different key.
func RenderJSON(w io.Writer, rs *Ruleset) error {
	var cmds []any
	cmds = append(cmds, obj("metainfo", obj("json_schema_version", 1)))
	for _, t := range rs.Tables {
		tc, err := jsonTable(t)
		if err != nil {
			return err
		}
		cmds = append(cmds, tc...)
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(obj("nftables", cmds))
}

// jobj is a JSON object whose keys are written in the order given (nft
// does not care, but a stable order makes the output diffable).
type jobj []jkv

type jkv struct {
	k string
	v any
}

func obj(kv ...any) jobj {
	o := make(jobj, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		o = append(o, jkv{kv[i].(string), kv[i+1]})
	}
	return o
}

func (o jobj) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, kv := range o {
		if i > 0 {
			b = append(b, ',')
		}
		k, _ := json.Marshal(kv.k)
		v, err := json.Marshal(kv.v)
		if err != nil {
			return nil, err
		}
		b = append(append(append(b, k...), ':'), v...)
	}
	return append(b, '}'), nil
}

func jsonTable(t *Table) ([]any, error) {
	id := func(kv ...any) jobj { return append(obj("family", string(t.Family), "table", t.Name), obj(kv...)...) }
	tbl := obj("family", string(t.Family), "name", t.Name)
	out := []any{obj("add", obj("table", tbl)), obj("delete", obj("table", tbl))}
	full := tbl
	if t.Comment != "" {
		full = append(obj("family", string(t.Family), "name", t.Name), jkv{"comment", t.Comment})
	}
	out = append(out, obj("add", obj("table", full)))
	for _, o := range t.Objects {
		jo, err := jsonObject(id, o)
		if err != nil {
			return nil, err
		}
		out = append(out, obj("add", jo))
	}
	// Chains before sets: a verdict map's elements jump to chains, and
	// nft -j runs the commands in order.
	for _, c := range t.Chains {
		ch := id("name", c.Name)
		if b := c.Base; b != nil {
			ch = append(ch, obj("type", string(b.Type), "hook", string(b.Hook), "prio", b.Priority, "policy", b.Policy)...)
		}
		out = append(out, obj("add", obj("chain", ch)))
	}
	for _, s := range t.Sets {
		js, err := jsonSet(id, s)
		if err != nil {
			return nil, err
		}
		out = append(out, obj("add", obj("set", js)))
	}
	for _, c := range t.Chains {
		for _, r := range c.Rules {
			if r.Disabled != "" {
				continue
			}
			var exprs []any
			for _, st := range r.Stmts {
				js, err := jsonStmt(st)
				if err != nil {
					return nil, parser.Errorf(r.Origin, "%s: %v", RenderRule(r), err)
				}
				exprs = append(exprs, js)
			}
			jr := id("chain", c.Name, "expr", exprs)
			if r.Comment != "" {
				jr = append(jr, jkv{"comment", r.Comment})
			}
			out = append(out, obj("add", obj("rule", jr)))
		}
	}
	return out, nil
}

func jsonObject(id func(...any) jobj, o *Object) (jobj, error) {
	switch o.Kind {
	case ObjCounter:
		return obj("counter", id("name", o.Name)), nil
	case ObjCTHelper:
		h := id("name", o.Name)
		for _, f := range o.Fields {
			v, err := jsonValue(f.Value, nil)
			if err != nil {
				return nil, err
			}
			h = append(h, jkv{f.Key, v})
		}
		return obj("ct helper", h), nil
	}
	return nil, fmt.Errorf("%s objects are not written in JSON", o.Kind)
}

func jsonSet(id func(...any) jobj, s *Set) (jobj, error) {
	if len(s.Typeof) > 0 {
		return nil, parser.Errorf(s.Origin, "set %s is declared with typeof, which nft 1.0.6's JSON cannot express (use the text form)", s.Name)
	}
	js := id("name", s.Name, "type", jsonTypes(s.Type))
	if len(s.Data) > 1 {
		return nil, parser.Errorf(s.Origin, "map %s has concatenated values (%s), which nft 1.0.6's JSON cannot load (use the text form)", s.Name, typeNames(s.Data))
	}
	if len(s.Data) > 0 {
		js = append(js, jkv{"map", jsonTypes(s.Data)})
	}
	var fl []string
	for _, f := range s.Flags {
		// nft's JSON has no "dynamic": nft marks a set the packet path
		// updates as dynamic itself (NFT_SET_EVAL).
		if f != SetDynamic {
			fl = append(fl, string(f))
		}
	}
	if len(fl) > 0 {
		js = append(js, jkv{"flags", fl})
	}
	if s.Timeout > 0 {
		js = append(js, jkv{"timeout", jsonDuration(s.Timeout)})
	}
	if s.Size > 0 {
		js = append(js, jkv{"size", s.Size})
	}
	if s.Comment != "" {
		js = append(js, jkv{"comment", s.Comment})
	}
	if len(s.Elems) > 0 {
		var els []any
		for _, e := range s.Elems {
			v, err := jsonElem(e, s.Type[0])
			if err != nil {
				return nil, err
			}
			els = append(els, v)
		}
		js = append(js, jkv{"elem", els})
	}
	if s.Counter {
		js = append(js, jkv{"stmt", []any{obj("counter", nil)}})
	}
	return js, nil
}

// jsonTypes is a set's key or value type: a name, or a list of them.
func jsonTypes(ts []*desc.Type) any {
	if len(ts) == 1 {
		return ts[0].Name
	}
	var names []string
	for _, t := range ts {
		names = append(names, t.Name)
	}
	return names
}

// jsonElem writes a set element; one with a counter or a comment is an
// "elem" object, a map's is a [key, value] pair.
func jsonElem(e Expr, t *Type) (any, error) {
	el, ok := e.(*Elem)
	if !ok {
		return jsonValue(e, t)
	}
	key, err := jsonValue(el.Key, t)
	if err != nil {
		return nil, err
	}
	if el.Counter != nil || el.Comment != "" || el.Timeout > 0 {
		o := obj("val", key)
		if el.Timeout > 0 {
			o = append(o, jkv{"timeout", jsonDuration(el.Timeout)})
		}
		if el.Comment != "" {
			o = append(o, jkv{"comment", el.Comment})
		}
		if c := el.Counter; c != nil {
			o = append(o, jkv{"counter", obj("packets", c.Packets, "bytes", c.Bytes)})
		}
		key = obj("elem", o)
	}
	if el.Value == nil {
		return key, nil
	}
	v, err := jsonValue(el.Value, nil)
	if err != nil {
		return nil, err
	}
	return []any{key, v}, nil
}

// jsonDuration is a set timeout: whole seconds as a number, else a string
// nft parses as a time ("500ms").
func jsonDuration(d time.Duration) any {
	if d%time.Second == 0 {
		return int64(d / time.Second)
	}
	return duration(d)
}

func jsonStmt(st Stmt) (any, error) {
	switch s := st.(type) {
	case *Match:
		return jsonMatch(s)
	case *Counter:
		if s.Name != "" {
			return obj("counter", s.Name), nil
		}
		return obj("counter", obj("packets", s.Packets, "bytes", s.Bytes)), nil
	case *Verdict:
		return jsonVerdict(s), nil
	case *VMap:
		key, err := jsonExpr(s.Key)
		if err != nil {
			return nil, err
		}
		m, err := jsonValue(s.Map, nil)
		if err != nil {
			return nil, err
		}
		return obj("vmap", obj("key", key, "data", m)), nil
	case *Log:
		return obj("log", jsonLog(s)), nil
	case *Limit:
		l := obj("rate", s.Rate, "per", string(s.Unit))
		if s.Bytes {
			l = append(l, jkv{"rate_unit", string(s.BytesUnit)})
		}
		if s.Burst > 0 {
			l = append(l, jkv{"burst", s.Burst})
			if s.Bytes {
				l = append(l, jkv{"burst_unit", string(s.BurstUnit)})
			}
		}
		if s.Over {
			l = append(l, jkv{"inv", true})
		}
		return obj("limit", l), nil
	case *Reject:
		switch s.Kind {
		case RejectDefault:
			return obj("reject", nil), nil
		case RejectTCPReset:
			return obj("reject", obj("type", "tcp reset")), nil
		}
		return obj("reject", obj("type", string(s.Kind), "expr", s.Code)), nil
	case *NAT:
		return jsonNAT(s)
	case *Assign:
		key, err := jsonExpr(s.Left)
		if err != nil {
			return nil, err
		}
		v, err := jsonOperand(s.Value, typeOf(s.Left))
		if err != nil {
			return nil, err
		}
		return obj("mangle", obj("key", key, "value", v)), nil
	case *Notrack:
		return obj("notrack", nil), nil
	case *SetStmt:
		key, err := jsonExpr(s.Key)
		if err != nil {
			return nil, err
		}
		if s.Timeout > 0 {
			key = obj("elem", obj("val", key, "timeout", jsonDuration(s.Timeout)))
		}
		js := obj("op", string(s.Op), "elem", key, "set", "@"+s.Set)
		if len(s.Stmts) > 0 {
			var sub []any
			for _, x := range s.Stmts {
				j, err := jsonStmt(x)
				if err != nil {
					return nil, err
				}
				sub = append(sub, j)
			}
			js = append(js, jkv{"stmt", sub})
		}
		return obj("set", js), nil
	case *Queue:
		q := obj()
		if s.Num != nil {
			v, err := jsonValue(s.Num, desc.Integer16)
			if err != nil {
				return nil, err
			}
			q = append(q, jkv{"num", v})
		}
		if len(s.Flags) > 0 {
			var fl []string
			for _, f := range s.Flags {
				fl = append(fl, string(f))
			}
			q = append(q, jkv{"flags", fl})
		}
		return obj("queue", q), nil
	case *Dup:
		d := obj()
		a, err := jsonValue(s.Addr, nil)
		if err != nil {
			return nil, err
		}
		d = append(d, jkv{"addr", a})
		if s.Dev != nil {
			v, err := jsonValue(s.Dev, desc.Ifname)
			if err != nil {
				return nil, err
			}
			d = append(d, jkv{"dev", v})
		}
		return obj("dup", d), nil
	case *Tproxy:
		t := obj()
		if s.Family != "" && s.Family != FamilyInet {
			t = append(t, jkv{"family", string(s.Family)})
		}
		if s.Addr != nil {
			a, err := jsonValue(s.Addr, nil)
			if err != nil {
				return nil, err
			}
			t = append(t, jkv{"addr", a})
		}
		if s.Port != nil {
			p, err := jsonValue(s.Port, desc.InetService)
			if err != nil {
				return nil, err
			}
			t = append(t, jkv{"port", p})
		}
		return obj("tproxy", t), nil
	case *Synproxy:
		sp := obj()
		if s.MSS != nil {
			sp = append(sp, jkv{"mss", *s.MSS})
		}
		if s.Wscale != nil {
			sp = append(sp, jkv{"wscale", *s.Wscale})
		}
		if len(s.Flags) > 0 {
			var fl []string
			for _, f := range s.Flags {
				fl = append(fl, string(f))
			}
			sp = append(sp, jkv{"flags", fl})
		}
		return obj("synproxy", sp), nil
	case *Quota:
		q := obj("val", s.Bytes, "val_unit", "bytes")
		if s.Over {
			q = append(q, jkv{"inv", true})
		}
		return obj("quota", q), nil
	case *ObjRef:
		return obj(string(s.Kind), s.Name), nil
	case *CtCount:
		c := obj("val", s.N)
		if s.Over {
			c = append(c, jkv{"inv", true})
		}
		return obj("ct count", c), nil
	}
	return nil, fmt.Errorf("statement %T has no JSON form", st)
}

func jsonVerdict(v *Verdict) jobj {
	switch v.Kind {
	case VerdictJump, VerdictGoto:
		return obj(string(v.Kind), obj("target", v.Chain))
	}
	return obj(string(v.Kind), nil)
}

func jsonLog(s *Log) jobj {
	l := obj()
	if s.Prefix != nil {
		l = append(l, jkv{"prefix", *s.Prefix})
	}
	if s.Group != nil {
		l = append(l, jkv{"group", *s.Group})
	}
	if s.Snaplen != nil {
		l = append(l, jkv{"snaplen", *s.Snaplen})
	}
	if s.QThreshold != nil {
		l = append(l, jkv{"queue-threshold", *s.QThreshold})
	}
	if s.Level != LogDefault {
		l = append(l, jkv{"level", string(s.Level)})
	}
	switch {
	case s.Flags == LogAll:
		l = append(l, jkv{"flags", "all"})
	case s.Flags != 0:
		var fl []string
		for _, f := range []struct {
			bit  LogFlags
			name string
		}{{LogTCPSequence, "tcp sequence"}, {LogTCPOptions, "tcp options"}, {LogIPOptions, "ip options"},
			{LogSkuid, "skuid"}, {LogEther, "ether"}} {
			if s.Flags&f.bit != 0 {
				fl = append(fl, f.name)
			}
		}
		l = append(l, jkv{"flags", fl})
	}
	return l
}

func jsonNAT(s *NAT) (any, error) {
	n := obj()
	if s.Family != "" && s.Family != FamilyInet {
		n = append(n, jkv{"family", string(s.Family)})
	}
	if s.Addr != nil {
		a, err := jsonValue(s.Addr, nil)
		if err != nil {
			return nil, err
		}
		n = append(n, jkv{"addr", a})
	}
	if s.Port != nil {
		p, err := jsonValue(s.Port, desc.InetService)
		if err != nil {
			return nil, err
		}
		n = append(n, jkv{"port", p})
	}
	var flags []string
	for _, f := range s.Flags {
		flags = append(flags, string(f))
	}
	if s.Prefix {
		flags = append(flags, "netmap")
		n = append(n, jkv{"type_flags", "prefix"})
	}
	if len(flags) > 0 {
		n = append(n, jkv{"flags", flags})
	}
	if len(n) == 0 {
		return obj(string(s.Kind), nil), nil
	}
	return obj(string(s.Kind), n), nil
}

var jsonOps = map[Op]string{OpEq: "==", "": "==", OpNe: "!=", OpLt: "<", OpGt: ">", OpLe: "<=", OpGe: ">=", OpNot: "!"}

func jsonMatch(m *Match) (any, error) {
	left, err := jsonExpr(m.Left)
	if err != nil {
		return nil, err
	}
	t := typeOf(m.Left)
	switch m.Op {
	case OpExists, OpMissing:
		return obj("match", obj("op", "==", "left", left, "right", m.Op == OpExists)), nil
	}
	op, ok := jsonOps[m.Op]
	if !ok {
		return nil, fmt.Errorf("operator %s has no JSON form", m.Op)
	}
	if bm, isMask := m.Right.(*Bitmask); isMask {
		mask, err := jsonOperand(bm.Mask, t)
		if err != nil {
			return nil, err
		}
		val, err := jsonOperand(bm.Value, t)
		if err != nil {
			return nil, err
		}
		return obj("match", obj("op", op, "left", obj("&", []any{left, mask}), "right", val)), nil
	}
	right, err := jsonOperand(m.Right, t)
	if err != nil {
		return nil, err
	}
	// A bare constant of a flag type tests its bits (ct state new,related):
	// nft's implicit operator, "in" in JSON.
	if m.Op == OpEq || m.Op == "" {
		if _, isBinop := m.Left.(*Binop); !isBinop && t != nil && t.Flags {
			switch m.Right.(type) {
			case *Sym, *Flags:
				op = "in"
			case *Int:
				if t == desc.CTLabelType {
					op = "in" // ct label 3: bit 3 of the label
				}
			}
		}
	}
	return obj("match", obj("op", op, "left", left, "right", right)), nil
}

// typeOf is the data type of a loaded value, when the IR says it.
func typeOf(e Expr) *Type {
	switch v := e.(type) {
	case *Payload:
		return v.Field.Type
	case *Meta:
		return v.Key.Type
	case *CT:
		return v.Key.Type
	case *Socket:
		return v.Key.Type
	case *Rt:
		return v.Key.Type
	case *Fib:
		return v.Result.Type
	case *Binop:
		return typeOf(v.Left)
	}
	return nil
}

// Type is desc.Type, named here for the JSON helpers.
type Type = desc.Type

// jsonExpr writes an expression that loads a value.
func jsonExpr(e Expr) (any, error) {
	switch v := e.(type) {
	case *Payload:
		f := v.Field
		switch f.Proto.Kind {
		case desc.IPv6Ext:
			if _, idx, isArray := strings.Cut(f.Name, "["); isArray && f.Proto == desc.RT0 {
				// nft 1.0.6's JSON cannot name rt0 addr[N]; it writes the
				// same bytes (offset 8 + 16*(N-1) of the routing header) as
				// srh sid[N], and reads that back.
				return obj("exthdr", obj("name", "srh", "field", "sid["+idx)), nil
			}
			return obj("exthdr", obj("name", f.Proto.Name, "field", f.Name)), nil
		case desc.TCPOption:
			return obj("tcp option", obj("name", f.Proto.Name, "field", f.Name)), nil
		case desc.SCTPChunk:
			return obj("sctp chunk", obj("name", f.Proto.Name, "field", f.Name)), nil
		}
		return obj("payload", obj("protocol", f.Proto.Name, "field", f.Name)), nil
	case *Exthdr:
		switch v.Hdr.Kind {
		case desc.TCPOption:
			return obj("tcp option", obj("name", v.Hdr.Name)), nil
		case desc.SCTPChunk:
			return obj("sctp chunk", obj("name", v.Hdr.Name)), nil
		}
		return obj("exthdr", obj("name", v.Hdr.Name)), nil
	case *Raw:
		return obj("payload", obj("base", rawBases[v.Base], "offset", v.Offset, "len", v.Len)), nil
	case *Meta:
		return obj("meta", obj("key", v.Key.Name)), nil
	case *CT:
		c := obj("key", v.Key.Name)
		if v.Dir != desc.CTAnyDir {
			c = append(c, jkv{"dir", string(v.Dir)})
		}
		return obj("ct", c), nil
	case *Fib:
		var fl []string
		for _, f := range v.Flags {
			fl = append(fl, f.Name)
		}
		return obj("fib", obj("result", v.Result.Name, "flags", fl)), nil
	case *Socket:
		s := obj("key", v.Key.Name)
		if v.Key == desc.SocketCgroupv2 {
			s = append(s, jkv{"level", v.Level})
		}
		return obj("socket", s), nil
	case *Rt:
		return obj("rt", obj("key", v.Key.Name)), nil
	case *Ipsec:
		return obj("ipsec", obj("key", v.Key.Name, "dir", string(v.Dir))), nil
	case *Numgen:
		return obj("numgen", obj("mode", v.Mode, "mod", v.Mod, "offset", v.Offset)), nil
	case *Hash:
		h := obj("mod", v.Mod)
		if v.Seed != nil {
			h = append(h, jkv{"seed", *v.Seed})
		}
		if v.Offset != 0 {
			h = append(h, jkv{"offset", v.Offset})
		}
		if v.Expr != nil {
			x, err := jsonExpr(v.Expr)
			if err != nil {
				return nil, err
			}
			h = append(h, jkv{"expr", x})
		}
		return obj(v.Kind, h), nil
	case *Concat:
		var parts []any
		for _, x := range v.Exprs {
			j, err := jsonExpr(x)
			if err != nil {
				return nil, err
			}
			parts = append(parts, j)
		}
		return obj("concat", parts), nil
	case *Binop:
		return jsonBinop(v)
	case *MapLookup:
		key, err := jsonExpr(v.Key)
		if err != nil {
			return nil, err
		}
		m, err := jsonValue(v.Map, nil)
		if err != nil {
			return nil, err
		}
		return obj("map", obj("key", key, "data", m)), nil
	}
	return nil, fmt.Errorf("expression %s has no JSON form", RenderExpr(e))
}

func jsonBinop(b *Binop) (any, error) {
	l, err := jsonOperand(b.Left, nil)
	if err != nil {
		return nil, err
	}
	r, err := jsonOperand(b.Right, typeOf(b.Left))
	if err != nil {
		return nil, err
	}
	return obj(b.Op, []any{l, r}), nil
}

// jsonOperand writes a value or a load: constants through jsonValue,
// everything else as an expression.
func jsonOperand(e Expr, t *Type) (any, error) {
	switch e.(type) {
	case *Int, *Str, *Addr, *Sym, *Flags, *MAC, *Range, *SetLit, *SetRef, *Time, *Clock, *Concat:
		return jsonValue(e, t)
	}
	return jsonExpr(e)
}

// jsonValue writes a constant (or a set, range or concatenation of them).
func jsonValue(e Expr, t *Type) (any, error) {
	switch v := e.(type) {
	case *Int:
		return v.V, nil
	case *Str:
		return v.V, nil
	case *Sym:
		return v.Name, nil
	case *Flags:
		if len(v.Names) == 1 {
			return v.Names[0], nil
		}
		return v.Names, nil
	case *Addr:
		if v.Prefix.Bits() == v.Prefix.Addr().BitLen() {
			return v.Prefix.Addr().String(), nil
		}
		return obj("prefix", obj("addr", v.Prefix.Addr().String(), "len", v.Prefix.Bits())), nil
	case *MAC:
		return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", v.V[0], v.V[1], v.V[2], v.V[3], v.V[4], v.V[5]), nil
	case *Range:
		lo, err := jsonValue(v.Lo, t)
		if err != nil {
			return nil, err
		}
		hi, err := jsonValue(v.Hi, t)
		if err != nil {
			return nil, err
		}
		return obj("range", []any{lo, hi}), nil
	case *SetLit:
		var els []any
		for _, x := range v.Elems {
			j, err := jsonValue(x, t)
			if err != nil {
				return nil, err
			}
			els = append(els, j)
		}
		return obj("set", els), nil
	case *SetRef:
		return "@" + v.Name, nil
	case *Time:
		return duration(v.D), nil
	case *Clock:
		return time.Date(2000, 1, 1, 0, 0, int(v.Secs), 0, time.UTC).Format("15:04:05"), nil
	case *Concat:
		var parts []any
		for _, x := range v.Exprs {
			j, err := jsonOperand(x, nil)
			if err != nil {
				return nil, err
			}
			parts = append(parts, j)
		}
		return obj("concat", parts), nil
	case *Binop:
		return jsonBinop(v)
	case *Verdict:
		return jsonVerdict(v), nil
	case *Elem:
		return jsonElem(v, t)
	case *MapLookup:
		return jsonExpr(v)
	}
	return nil, fmt.Errorf("value %s has no JSON form", RenderExpr(e))
}
