package nft

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/nftables"
	"golang.org/x/sys/unix"
)

// ApplyOptions tune Apply.
type ApplyOptions struct {
	// ResetSets drops the runtime contents of the dynamic sets (recent
	// lists, hashlimit meters); by default a re-apply carries them over.
	ResetSets bool
}

// ApplyResult says what an apply did.
type ApplyResult struct {
	Rules       int
	Sets        int
	CarriedSets int // sets whose live elements were carried over
	CarriedElem int
}

// elemChunk bounds the elements per netlink message.
const elemChunk = 1024

// Apply sends p to the namespace as one batch: each table is created,
// deleted and declared again with all its objects, so the kernel swaps it
// atomically and touches no other table. Unless opt.ResetSets, the live
// dynamic sets' elements are carried into the new sets. If the kernel
// refuses the batch nothing changed; the refusal names the iptables rule
// (from the kernel's error for that message, else by replaying the program
// on a scratch namespace).
func Apply(ns *NS, p *Program, opt ApplyOptions) (*ApplyResult, error) {
	c, err := ns.Conn(p.messages())
	if err != nil {
		return nil, permission(err)
	}
	res := &ApplyResult{}
	carried := map[*SetProgram][]nftables.SetElement{}
	if !opt.ResetSets {
		for _, tp := range p.Tables {
			n, err := carrySets(c, tp, carried)
			if err != nil {
				return nil, permission(err)
			}
			res.CarriedSets += n
		}
		for _, els := range carried {
			res.CarriedElem += len(els)
		}
	}
	bio := newBatchIO(ns, p, res.CarriedElem)
	w, err := bio.conn()
	if err != nil {
		return nil, err
	}
	for _, tp := range p.Tables {
		if err := queueTable(w, tp, true, carried); err != nil {
			return nil, err
		}
		if err := queueRules(w, tp.Rules); err != nil {
			return nil, err
		}
		res.Rules += len(tp.Rules)
		res.Sets += len(tp.Sets)
	}
	if err := w.Flush(); err != nil {
		if len(bio.failures) > 0 {
			err = bio.failures[0].err
		}
		if isPermission(err) {
			return nil, permission(err)
		}
		if len(bio.failures) > 0 && bio.failures[0].msgType == unix.NFT_MSG_NEWRULE {
			if r := p.rule(bio.failures[0].index); r != nil {
				return nil, &Error{Pos: r.Origin, Msg: "kernel rejected rule: " + err.Error()}
			}
		}
		return nil, locate(p, err)
	}
	return res, nil
}

// newBatchIO sizes the batch writer for p (plus carried elements) and
// gives it the user data google/nftables cannot send.
func newBatchIO(ns *NS, p *Program, carried int) *batchIO {
	bio := &batchIO{ns: ns, msgs: p.messages() + carried/elemChunk, elems: carried}
	for _, t := range p.Tables {
		for _, s := range t.Sets {
			bio.elems += len(s.Elems)
			if s.udata != nil {
				if bio.udata == nil {
					bio.udata = map[string][]byte{}
				}
				bio.udata[udataKey(byte(t.Table.Family), t.Table.Name, s.Set.Name)] = s.udata
			}
		}
		for _, r := range t.Rules {
			for _, a := range r.Anon {
				bio.elems += len(a.Elems)
			}
		}
	}
	return bio
}

// rule returns the k-th rule of the batch.
func (p *Program) rule(k int) *RuleProgram {
	for _, t := range p.Tables {
		if k < len(t.Rules) {
			return t.Rules[k]
		}
		k -= len(t.Rules)
	}
	return nil
}

// Check sends p to a scratch namespace: the kernel validates every object
// and rule, nothing live is touched. A refusal names the source rule.
func Check(p *Program) error {
	scratch, err := Throwaway()
	if err != nil {
		return err
	}
	defer scratch.Close()
	_, err = Apply(scratch, p, ApplyOptions{ResetSets: true})
	return err
}

// queueTable queues the table swap and its sets, objects and chains.
func queueTable(c *nftables.Conn, tp *TableProgram, replace bool, carried map[*SetProgram][]nftables.SetElement) error {
	c.AddTable(tp.Table)
	if replace {
		c.DelTable(tp.Table)
		c.AddTable(tp.Table)
	}
	for _, o := range tp.Objs {
		c.AddObj(o)
	}
	// Chains before sets: a verdict map's elements jump to chains.
	for _, ch := range tp.Chains {
		c.AddChain(ch)
	}
	for _, sp := range tp.Sets {
		els := append(append([]nftables.SetElement(nil), sp.Elems...), carried[sp]...)
		first := els
		if len(first) > elemChunk {
			first = first[:elemChunk]
		}
		if err := c.AddSet(sp.Set, first); err != nil {
			return fmt.Errorf("set %s: %w", sp.Set.Name, err)
		}
		for i := len(first); i < len(els); i += elemChunk {
			j := min(i+elemChunk, len(els))
			if err := c.SetAddElements(sp.Set, els[i:j]); err != nil {
				return fmt.Errorf("set %s: %w", sp.Set.Name, err)
			}
		}
	}
	return nil
}

func queueRules(c *nftables.Conn, rules []*RuleProgram) error {
	for _, r := range rules {
		for _, a := range r.Anon {
			if err := c.AddSet(a.Set, a.Elems); err != nil {
				return &Error{Pos: r.Origin, Msg: err.Error()}
			}
		}
		c.AddRule(r.Rule)
	}
	return nil
}

// carrySets reads the live table's dynamic sets and returns, for each set
// of the new program with the same name, key and flags, the live elements
// with their remaining time as their timeout.
func carrySets(c *nftables.Conn, tp *TableProgram, out map[*SetProgram][]nftables.SetElement) (int, error) {
	live, err := c.ListTableOfFamily(tp.Table.Name, tp.Table.Family)
	if err != nil || live == nil {
		return 0, nil // no such table yet
	}
	sets, err := c.GetSets(tp.Table)
	if err != nil {
		return 0, err
	}
	byName := map[string]*nftables.Set{}
	for _, s := range sets {
		byName[s.Name] = s
	}
	n := 0
	for _, sp := range tp.Sets {
		old, ok := byName[sp.Set.Name]
		if !ok || !sp.Set.Dynamic || old.KeyType.Name != sp.Set.KeyType.Name || old.Interval != sp.Set.Interval ||
			old.HasTimeout != sp.Set.HasTimeout || old.Dynamic != sp.Set.Dynamic {
			continue
		}
		els, err := c.GetSetElements(old)
		if err != nil {
			return n, fmt.Errorf("reading set %s: %w", old.Name, err)
		}
		var keep []nftables.SetElement
		for _, e := range els {
			ne := nftables.SetElement{Key: e.Key}
			if sp.Set.HasTimeout {
				if e.Expires <= 0 {
					continue // expired, or about to
				}
				ne.Timeout = e.Expires.Round(time.Millisecond)
			}
			keep = append(keep, ne)
		}
		if sp.Set.Size > 0 && uint32(len(keep)) > sp.Set.Size {
			keep = keep[:sp.Set.Size]
		}
		if len(keep) > 0 {
			out[sp] = keep
			n++
		}
	}
	return n, nil
}

// locate finds which object or rule the kernel refused, by replaying the
// program on a scratch namespace piece by piece.
func locate(p *Program, batchErr error) error {
	scratch, err := Throwaway()
	if err != nil {
		return fmt.Errorf("kernel rejected the ruleset: %w", batchErr)
	}
	defer scratch.Close()
	c, err := scratch.Conn(p.messages())
	if err != nil {
		return fmt.Errorf("kernel rejected the ruleset: %w", batchErr)
	}
	for _, tp := range p.Tables {
		_ = queueTable(c, tp, false, nil)
		if err := c.Flush(); err != nil {
			return fmt.Errorf("table %s: kernel rejected its sets, objects or chains: %w", tp.Table.Name, err)
		}
		// Rules in chunks, then one by one inside the failing chunk.
		const chunk = 256
		for i := 0; i < len(tp.Rules); i += chunk {
			rules := tp.Rules[i:min(i+chunk, len(tp.Rules))]
			_ = queueRules(c, rules)
			if c.Flush() == nil {
				continue
			}
			for _, r := range rules {
				_ = queueRules(c, []*RuleProgram{r})
				if err := c.Flush(); err != nil {
					return &Error{Pos: r.Origin, Msg: "kernel rejected rule: " + kernelMessage(err)}
				}
			}
		}
	}
	return fmt.Errorf("kernel rejected the ruleset: %w", batchErr)
}

// kernelMessage shortens google/nftables' wrapping of a netlink error.
func kernelMessage(err error) string {
	s := err.Error()
	s = strings.TrimPrefix(s, "conn.Receive: ")
	s = strings.TrimPrefix(s, "netlink receive: ")
	return s
}

func isPermission(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "operation not permitted") || errors.Is(err, errPerm))
}

var errPerm = errors.New("operation not permitted")

func permission(err error) error {
	if isPermission(err) {
		return fmt.Errorf("%w: changing the firewall needs root (CAP_NET_ADMIN)", err)
	}
	return err
}

// messages estimates the netlink messages of the program's batch.
func (p *Program) messages() int {
	n := 0
	for _, t := range p.Tables {
		n += 3 + len(t.Objs) + len(t.Chains) + len(t.Rules)
		for _, s := range t.Sets {
			n += 1 + len(s.Elems)/elemChunk
		}
		for _, r := range t.Rules {
			n += len(r.Anon)
		}
	}
	return n
}
