package nft

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/rogpeppe/go-internal/diff"

	"github.com/xt2nft/xt2nft/golden"
	"github.com/xt2nft/xt2nft/translate"
)

var updateLowered = flag.Bool("update", false, "rewrite testdata/lowered/*.netlink from the current lowering")

// TestLoweredGolden lowers every golden case that translates and compares
// the netlink objects with testdata/lowered/CASE.netlink: each rule as the
// nft text it encodes, then its expressions, as google/nftables' own tests
// annotate their byte fixtures. It needs no kernel, so any change to the
// lowering's tables (a field's offset, a key's number, a type's byte order)
// shows up here as a diff; the privileged tests prove the fixtures against
// what nft -f loads. Regenerate with:
//
//	go test ./backend/nft -run TestLoweredGolden -update
func TestLoweredGolden(t *testing.T) {
	cases, err := golden.Cases()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, gc := range cases {
		out := gc.Run()
		if out.Failed {
			continue // an error case (expected.errors): nothing to lower
		}
		seen[gc.Name+".netlink"] = true
		t.Run(gc.Name, func(t *testing.T) {
			p, err := Lower(out.Ruleset)
			if err != nil {
				t.Fatalf("lowering: %v", err)
			}
			got := DumpProgram(out.Ruleset, p)
			path := filepath.Join("testdata", "lowered", gc.Name+".netlink")
			if *updateLowered {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (regenerate with -update)", err)
			}
			if d := diff.Diff(path, want, "lowered", []byte(got)); d != nil {
				t.Errorf("%s differs (-want +got):\n%s", path, d)
			}
		})
	}
	if *updateLowered {
		return
	}
	// A fixture whose golden case is gone is stale.
	files, _ := filepath.Glob(filepath.Join("testdata", "lowered", "*.netlink"))
	for _, f := range files {
		if !seen[filepath.Base(f)] {
			t.Errorf("%s: no golden case of that name (remove it, or rerun with -update)", f)
		}
	}
}

// DumpProgram prints a lowered program (of rs): per table its sets (key, flags,
// elements), objects and chains, then every rule as the nft text it came
// from followed by its expressions, one per line. Set IDs are left out
// (they are numbered per process).
func DumpProgram(rs *translate.Ruleset, p *Program) string {
	var b strings.Builder
	for ti, tp := range p.Tables {
		fmt.Fprintf(&b, "table %s %s\n", familyNames[tp.Table.Family], tp.Table.Name)
		for _, sp := range tp.Sets {
			b.WriteString(dumpSet(sp))
		}
		for _, o := range tp.Objs {
			fmt.Fprintf(&b, "object %s\n", dumpValue(reflect.ValueOf(o)))
		}
		for _, c := range tp.Chains {
			fmt.Fprintf(&b, "chain %s", c.Name)
			if c.Hooknum != nil {
				fmt.Fprintf(&b, " type %s hook %d priority %d policy %d", c.Type, *c.Hooknum, *c.Priority, *c.Policy)
			}
			b.WriteString("\n")
		}
		srcRules := map[*nftables.Rule]string{}
		i := 0
		for _, c := range rs.Tables[ti].Chains {
			for _, r := range c.Rules {
				if r.Disabled != "" {
					continue
				}
				srcRules[tp.Rules[i].Rule] = translate.RenderRule(r)
				i++
			}
		}
		for _, rp := range tp.Rules {
			fmt.Fprintf(&b, "\n# %s: %s\n", rp.Rule.Chain.Name, srcRules[rp.Rule])
			for _, a := range rp.Anon {
				b.WriteString("  " + strings.TrimSuffix(strings.ReplaceAll(dumpSet(a), "\n", "\n  "), "  "))
			}
			for _, e := range rp.Rule.Exprs {
				fmt.Fprintf(&b, "  [ %s ]\n", dumpExpr(e))
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

func dumpSet(sp *SetProgram) string {
	s := sp.Set
	var flags []string
	for _, f := range []struct {
		on   bool
		name string
	}{{s.Anonymous, "anonymous"}, {s.Constant, "constant"}, {s.Interval, "interval"}, {s.HasTimeout, "timeout"},
		{s.Dynamic, "dynamic"}, {s.Concatenation, "concat"}, {s.IsMap, "map"}} {
		if f.on {
			flags = append(flags, f.name)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "set %s key %s/%d bytes %d", s.Name, s.KeyType.Name, s.KeyType.GetNFTMagic(), s.KeyType.Bytes)
	if s.KeyByteOrder != nil {
		b.WriteString(" byteorder host")
	}
	if len(flags) > 0 {
		fmt.Fprintf(&b, " flags %s", strings.Join(flags, ","))
	}
	if s.Size > 0 {
		fmt.Fprintf(&b, " size %d", s.Size)
	}
	if s.Timeout > 0 {
		fmt.Fprintf(&b, " timeout %s", s.Timeout)
	}
	if s.Comment != "" {
		fmt.Fprintf(&b, " comment %q", s.Comment)
	}
	if len(sp.udata) > 0 {
		fmt.Fprintf(&b, " udata %x", sp.udata)
	}
	b.WriteString("\n")
	for _, e := range sp.Elems {
		fmt.Fprintf(&b, "  element %x", e.Key)
		if len(e.KeyEnd) > 0 {
			fmt.Fprintf(&b, "-%x", e.KeyEnd)
		}
		if e.IntervalEnd {
			b.WriteString(" end")
		}
		if e.Timeout > 0 {
			fmt.Fprintf(&b, " timeout %s", e.Timeout)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// Names of the enum values the fixtures would otherwise print as numbers.
var (
	metaKeyNames = map[expr.MetaKey]string{
		expr.MetaKeyLEN: "len", expr.MetaKeyPROTOCOL: "protocol", expr.MetaKeyPRIORITY: "priority",
		expr.MetaKeyMARK: "mark", expr.MetaKeyIIF: "iif", expr.MetaKeyOIF: "oif", expr.MetaKeyIIFNAME: "iifname",
		expr.MetaKeyOIFNAME: "oifname", expr.MetaKeyIIFTYPE: "iiftype", expr.MetaKeyOIFTYPE: "oiftype",
		expr.MetaKeySKUID: "skuid", expr.MetaKeySKGID: "skgid", expr.MetaKeyNFTRACE: "nftrace",
		expr.MetaKeyRTCLASSID: "rtclassid", expr.MetaKeySECMARK: "secmark", expr.MetaKeyNFPROTO: "nfproto",
		expr.MetaKeyL4PROTO: "l4proto", expr.MetaKeyPKTTYPE: "pkttype", expr.MetaKeyCPU: "cpu",
		expr.MetaKeyIIFGROUP: "iifgroup", expr.MetaKeyOIFGROUP: "oifgroup", expr.MetaKeyCGROUP: "cgroup",
		expr.MetaKeyPRANDOM: "prandom", 25: "secpath", 30: "time", 31: "day", 32: "hour",
	}
	ctKeyNames = map[expr.CtKey]string{
		expr.CtKeySTATE: "state", expr.CtKeyDIRECTION: "direction", expr.CtKeySTATUS: "status",
		expr.CtKeyMARK: "mark", expr.CtKeySECMARK: "secmark", expr.CtKeyEXPIRATION: "expiration",
		expr.CtKeyHELPER: "helper", expr.CtKeyL3PROTOCOL: "l3protocol", expr.CtKeySRC: "src",
		expr.CtKeyDST: "dst", expr.CtKeyPROTOCOL: "protocol", expr.CtKeyPROTOSRC: "proto-src",
		expr.CtKeyPROTODST: "proto-dst", expr.CtKeyLABELS: "labels", expr.CtKeyPKTS: "packets",
		expr.CtKeyBYTES: "bytes", expr.CtKeyAVGPKT: "avgpkt", expr.CtKeyZONE: "zone",
		19: "src_ip", 20: "dst_ip", 21: "src_ip6", 22: "dst_ip6", 23: "id",
	}
	cmpOpNames = map[expr.CmpOp]string{
		expr.CmpOpEq: "eq", expr.CmpOpNeq: "neq", expr.CmpOpLt: "lt", expr.CmpOpLte: "lte",
		expr.CmpOpGt: "gt", expr.CmpOpGte: "gte",
	}
	verdictNames = map[expr.VerdictKind]string{
		expr.VerdictAccept: "accept", expr.VerdictDrop: "drop", expr.VerdictReturn: "return",
		expr.VerdictJump: "jump", expr.VerdictGoto: "goto", expr.VerdictContinue: "continue",
		expr.VerdictQueue: "queue", expr.VerdictBreak: "break", expr.VerdictStolen: "stolen",
	}
	baseNames = map[expr.PayloadBase]string{
		expr.PayloadBaseLLHeader: "link", expr.PayloadBaseNetworkHeader: "network",
		expr.PayloadBaseTransportHeader: "transport",
	}
)

// dumpExpr prints an expression as its kind and its non-zero fields
// (bytes in hex, enums by name).
func dumpExpr(e expr.Any) string {
	v := reflect.ValueOf(e)
	name := strings.ToLower(v.Elem().Type().Name())
	if s := dumpValue(v); s != "" {
		return name + " " + s
	}
	return name
}

func dumpValue(v reflect.Value) string {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return "nil"
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return fmt.Sprint(v.Interface())
	}
	var parts []string
	for i := 0; i < v.NumField(); i++ {
		f, ft := v.Field(i), v.Type().Field(i)
		if !ft.IsExported() {
			continue
		}
		switch f.Interface().(type) {
		case expr.MetaKey, expr.CtKey, expr.CmpOp, expr.PayloadBase, expr.VerdictKind:
			// enums: printed even when zero (ct state, cmp eq, drop)
		default:
			if f.IsZero() {
				continue
			}
		}
		var s string
		switch x := f.Interface().(type) {
		case []byte:
			s = fmt.Sprintf("%x", x)
		case expr.MetaKey:
			s = enumName(metaKeyNames, x)
		case expr.CtKey:
			s = enumName(ctKeyNames, x)
		case expr.CmpOp:
			s = enumName(cmpOpNames, x)
		case expr.PayloadBase:
			s = enumName(baseNames, x)
		case expr.VerdictKind:
			s = enumName(verdictNames, x)
		case []expr.Any:
			var subs []string
			for _, e := range x {
				subs = append(subs, "[ "+dumpExpr(e)+" ]")
			}
			s = "{ " + strings.Join(subs, " ") + " }"
		case *nftables.Table:
			s = x.Name
		default:
			if f.Kind() == reflect.Pointer || f.Kind() == reflect.Interface || f.Kind() == reflect.Struct {
				s = "{" + dumpValue(f) + "}"
			} else {
				s = fmt.Sprint(x)
			}
		}
		if ft.Name == "SetID" || ft.Name == "ID" {
			continue // numbered per process
		}
		parts = append(parts, ft.Name+"="+s)
	}
	return strings.Join(parts, " ")
}

func enumName[K comparable](names map[K]string, k K) string {
	if n, ok := names[k]; ok {
		return n
	}
	return fmt.Sprint(k)
}
