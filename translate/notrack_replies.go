package translate

// The reply REJECT sends carries the conntrack of the packet it answers
// (nf_ct_attach): of a packet that was not tracked, "related" with no
// connection. iptables' NOTRACK and CT skip any packet with conntrack
// state (skb->_nfct != 0), so in raw OUTPUT such a reply is left to
// conntrack, which finds no connection for it: INVALID. nft's notrack and
// ct zone set skip only a packet with a connection or one already
// untracked, so they untrack the reply (or give it a zone), and a later
// "ctstate INVALID -j DROP" no longer drops it: the host answers where it
// kept silent. nft cannot test for that state, so a NOTRACK (or CT
// --notrack) rule that such a reply can meet (in the raw table, not in
// PREROUTING, for ICMP or TCP) is warned when the family's ruleset also
// REJECTs. (CT --zone skips the reply too, and nft's zone template leaves
// it INVALID all the same: no difference.)
// TestPrivilegedNotrackReplies measures it (found by a helper on
// DevOpsBroker's desktop firewall).

import "github.com/xt2nft/xt2nft/parser"

// replyFacts are what the check needs, per family: the NOTRACK rules a
// REJECT reply can meet, and the first REJECT.
type replyFacts struct {
	notracks []parser.Pos
	reject   *parser.Pos
}

// noteNotrack records a NOTRACK rule (c is its rule).
func (c *ctx) noteNotrack() {
	if c.table != "raw" || c.chain == "PREROUTING" {
		return
	}
	switch c.proto {
	case "", "icmp", "1", "icmpv6", "ipv6-icmp", "58", "tcp", "6":
	default:
		if !c.protoNeg {
			return
		}
	}
	f := c.tr.replyFacts(c.fam)
	f.notracks = append(f.notracks, c.rule.Pos)
}

// noteReject records a REJECT rule.
func (c *ctx) noteReject() {
	if f := c.tr.replyFacts(c.fam); f.reject == nil {
		pos := c.rule.Pos
		f.reject = &pos
	}
}

func (tr *translator) replyFacts(fam parser.Family) *replyFacts {
	if tr.replies == nil {
		tr.replies = map[parser.Family]*replyFacts{}
	}
	if tr.replies[fam] == nil {
		tr.replies[fam] = &replyFacts{}
	}
	return tr.replies[fam]
}

// checkNotrackReplies warns of the NOTRACK rules a REJECT reply can meet.
func (tr *translator) checkNotrackReplies() {
	for _, f := range tr.replies {
		if f.reject == nil {
			continue
		}
		for _, pos := range f.notracks {
			tr.approxf(pos, "the reply REJECT (%s) sends to a packet that is not tracked carries that packet's conntrack state, which iptables' NOTRACK leaves alone (conntrack then finds the reply INVALID) and nft's notrack does not: the translation untracks the reply", f.reject)
		}
	}
}
