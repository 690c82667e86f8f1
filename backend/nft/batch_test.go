package nft

import (
	"bytes"
	"encoding/binary"
	"slices"
	"testing"

	"github.com/google/nftables"
	"github.com/google/nftables/userdata"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/xt2nft/xt2nft/golden"
)

// googleBatch builds the messages google/nftables would send for p (the
// way xt2nft sent them before it had its own writer), captured through
// google/nftables' test hook.
func googleBatch(t *testing.T, p *Program) []netlink.Message {
	t.Helper()
	var got []netlink.Message
	c, err := nftables.New(nftables.WithTestDial(func(req []netlink.Message) ([]netlink.Message, error) {
		got = append(got, req...)
		return nil, nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	for _, tp := range p.Tables {
		c.AddTable(tp.Table)
		c.DelTable(tp.Table)
		c.AddTable(tp.Table)
		for _, o := range tp.Objs {
			c.AddObj(o)
		}
		// chains before sets, as queueTable sends them (verdict maps jump)
		for _, ch := range tp.Chains {
			c.AddChain(ch)
		}
		for _, sp := range tp.Sets {
			first := sp.Elems
			if len(first) > elemChunk {
				first = first[:elemChunk]
			}
			if err := c.AddSet(sp.Set, first); err != nil {
				t.Fatal(err)
			}
			for i := len(first); i < len(sp.Elems); i += elemChunk {
				if err := c.SetAddElements(sp.Set, sp.Elems[i:min(i+elemChunk, len(sp.Elems))]); err != nil {
					t.Fatal(err)
				}
			}
		}
		for _, r := range tp.Rules {
			for _, a := range r.Anon {
				if err := c.AddSet(a.Set, a.Elems); err != nil {
					t.Fatal(err)
				}
			}
			c.AddRule(r.Rule)
		}
	}
	_ = c.Flush() // the hook answers nothing; only the messages matter
	if len(got) < 2 {
		t.Fatalf("google/nftables sent %d messages", len(got))
	}
	return got[1 : len(got)-1] // without the batch begin and end
}

// TestBatchMatchesGoogleNftables: for every golden case, the batch writer
// encodes each message as google/nftables did, byte for byte, except for
// what the writer adds on purpose: xt2nft's table mark, a typeof set's
// user data, the direction of a ct key google/nftables cannot send
// (ctdir.go) (and header flags: one ack per batch, no echo).
func TestBatchMatchesGoogleNftables(t *testing.T) {
	cases, err := golden.Cases()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range cases {
		out := c.Run()
		if out.Ruleset == nil || out.Failed {
			continue
		}
		p, err := Lower(out.Ruleset)
		if err != nil {
			continue // refused by the lowering: nothing to send
		}
		t.Run(c.Name, func(t *testing.T) {
			want := googleBatch(t, p)
			b := &batch{}
			for _, tp := range p.Tables {
				if err := queueTable(b, tp, true, nil); err != nil {
					t.Fatal(err)
				}
				if err := queueRules(b, tp.Rules, nil, nil); err != nil {
					t.Fatal(err)
				}
			}
			if b.len() != len(want) {
				t.Fatalf("%d messages, google/nftables %d", b.len(), len(want))
			}
			for i := range b.len() {
				w := want[i]
				typ, _ := b.header(i)
				if typ != w.Header.Type {
					t.Fatalf("message %d: type %#x, want %#x", i, typ, w.Header.Type)
				}
				got := b.data(i)
				switch uint16(typ) & 0xff {
				case unix.NFT_MSG_NEWTABLE:
					if ud := get(got[4:], nftaTableUserdata); ud != nil {
						if !isMark(ud) {
							t.Errorf("message %d: table user data %q is not the mark", i, ud)
						}
						got = append(got[:4:4], without(got[4:], nftaTableUserdata)...)
					} else if i != 0 && b.origins[i-1].msgType == unix.NFT_MSG_DELTABLE {
						t.Errorf("message %d: the table is created again without xt2nft's mark", i)
					}
				case unix.NFT_MSG_NEWRULE:
					w.Data = append(w.Data[:4:4], withCtDirections(w.Data[4:])...)
					// xt2nft's digest ends the user data (digest.go).
					ud := get(got[4:], unix.NFTA_RULE_USERDATA)
					if _, ok := digestIn(ud); !ok || len(ud) < 2+digestLen {
						t.Fatalf("message %d: rule without a digest", i)
					}
					got = append(got[:4:4], without(got[4:], unix.NFTA_RULE_USERDATA)...)
					if rest := ud[:len(ud)-2-digestLen]; len(rest) > 0 {
						got = appendAttr(got, unix.NFTA_RULE_USERDATA, rest)
					}
					got = append(got[:4:4], withoutMasqPortFlags(t, i, got[4:])...)
				case unix.NFT_MSG_NEWSET:
					gu, wu := get(got[4:], unix.NFTA_SET_USERDATA), get(w.Data[4:], unix.NFTA_SET_USERDATA)
					// A host-order key's byte order is written as nft
					// writes it, host (1), where google/nftables writes
					// big endian (2) for every anonymous, constant or
					// interval set (batch.go; TestPrivilegedGoldenNetlink
					// holds it to nft -f's listing).
					host, big := userdata.AppendUint32(nil, userdata.NFTNL_UDATA_SET_KEYBYTEORDER, 1), userdata.AppendUint32(nil, userdata.NFTNL_UDATA_SET_KEYBYTEORDER, 2)
					if bytes.HasPrefix(gu, host) && bytes.HasPrefix(wu, big) {
						wu = append(slices.Clone(host), wu[len(big):]...)
					}
					if !bytes.HasPrefix(gu, wu) {
						t.Errorf("message %d: set user data %x does not extend google/nftables' %x", i, gu, wu)
					}
					if !bytes.Equal(gu, get(w.Data[4:], unix.NFTA_SET_USERDATA)) {
						got = append(got[:4:4], without(got[4:], unix.NFTA_SET_USERDATA)...)
						w.Data = append(w.Data[:4:4], without(w.Data[4:], unix.NFTA_SET_USERDATA)...)
					}
					// a counter on every element: the writer sends the
					// expression's name alone, google/nftables adds a
					// stray empty attribute after it
					if ge := get(got[4:], nftaSetExpr); ge != nil {
						if want := []byte("\x0c\x00\x01\x00counter\x00"); !bytes.Equal(ge, want) {
							t.Errorf("message %d: set expression %x, want the counter's name alone", i, ge)
						}
						got = append(got[:4:4], without(got[4:], nftaSetExpr)...)
						w.Data = append(w.Data[:4:4], without(w.Data[4:], nftaSetExpr)...)
					}
				}
				if !bytes.Equal(got, w.Data) {
					t.Fatalf("message %d (type %#x) differs:\n got %x\nwant %x", i, typ, got, w.Data)
				}
			}
			n++
		})
	}
	if n < 50 {
		t.Errorf("only %d golden cases compared", n)
	}
}

// withoutMasqPortFlags drops the flags of every masq with ports of a
// NEWRULE message's attributes, after checking they say the ports are
// given: google/nftables writes none there (exprenc.go), nft and xt2nft
// write NF_NAT_RANGE_PROTO_SPECIFIED and the random flags.
func withoutMasqPortFlags(t *testing.T, msg int, b []byte) []byte {
	return rewriteAttrs(b, func(typ uint16, v []byte) []byte {
		if typ&0x3fff != unix.NFTA_RULE_EXPRESSIONS {
			return v
		}
		return rewriteAttrs(v, func(_ uint16, elem []byte) []byte {
			data := get(elem, unix.NFTA_EXPR_DATA)
			if getString(elem, unix.NFTA_EXPR_NAME) != "masq" || get(data, unix.NFTA_MASQ_REG_PROTO_MIN) == nil {
				return elem
			}
			if f := get(data, unix.NFTA_MASQ_FLAGS); len(f) != 4 || binary.BigEndian.Uint32(f)&unix.NF_NAT_RANGE_PROTO_SPECIFIED == 0 {
				t.Errorf("message %d: masq with ports without NF_NAT_RANGE_PROTO_SPECIFIED (flags %x)", msg, f)
			}
			return rewriteAttrs(elem, func(typ uint16, v []byte) []byte {
				if typ&0x3fff == unix.NFTA_EXPR_DATA {
					return without(v, unix.NFTA_MASQ_FLAGS)
				}
				return v
			})
		})
	})
}

// withCtDirections applies ctDirection to the marked ct expressions of a
// NEWRULE message's attributes, as the batch writer does.
func withCtDirections(b []byte) []byte {
	return rewriteAttrs(b, func(t uint16, v []byte) []byte {
		if t&0x3fff != unix.NFTA_RULE_EXPRESSIONS {
			return v
		}
		return rewriteAttrs(v, func(_ uint16, elem []byte) []byte { return ctDirection(elem) })
	})
}
