package nft

import (
	"errors"
	"fmt"
	"time"

	"github.com/google/nftables"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/xt2nft/xt2nft/backend"
	"github.com/xt2nft/xt2nft/backend/netns"
	"github.com/xt2nft/xt2nft/backend/nft/nlraw"
)

// ApplyOptions tune Apply (see backend.ApplyOptions).
type ApplyOptions = backend.ApplyOptions

// ApplyResult says what an apply did.
type ApplyResult struct {
	Rules       int
	Sets        int
	CarriedSets int // sets whose live elements were carried over
	CarriedElem int
	LateElem    int // elements Program.Late added
	// Gen is the ruleset generation right after the apply's commit.
	Gen uint32
}

// Apply sends p to the namespace as one batch: each table is created,
// deleted and declared again with all its objects (and xt2nft's mark, see
// mark.go), so the kernel swaps it atomically and touches no other table.
// Unless opt.ResetSets, the live dynamic sets' elements are carried into
// the new sets. A live table of the same name without xt2nft's mark is
// refused (*backend.ForeignError) unless opt.ReplaceForeign.
//
// The batch is conditioned on the generation in which the live tables were
// read: if another program commits a change in between, the kernel refuses
// it and Apply reads again (a few times) rather than overwrite that change
// with what it read before. If the kernel refuses the batch nothing
// changed; the refusal names the iptables rule (from the kernel's error for
// that message, else by replaying the program on a scratch namespace).
func Apply(ns *NS, p *Program, opt ApplyOptions) (*ApplyResult, error) {
	return applyRetry(ns, p, opt, false)
}

// applyRetry is Apply; late says whether to ask p.Late for its elements
// (only an apply to the live namespace does).
func applyRetry(ns *NS, p *Program, opt ApplyOptions, late bool) (*ApplyResult, error) {
	for attempt := 0; ; attempt++ {
		res, err := apply(ns, p, opt, 0, late)
		if errors.Is(err, backend.ErrChanged) && attempt < 4 {
			continue
		}
		return res, err
	}
}

// apply is one attempt of Apply, conditioned on generation base (0: the
// generation of its own reads). With a base, a change since base is a
// *backend.ChangedError. With late, p.Late's elements end the batch.
func apply(ns *NS, p *Program, opt ApplyOptions, base uint32, late bool) (*ApplyResult, error) {
	c, err := dial(ns)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	gen := base
	if gen == 0 {
		if gen, err = generation(c); err != nil {
			return nil, err
		}
	}
	if !opt.ReplaceForeign {
		if err := checkForeign(c, p); err != nil {
			return nil, err
		}
	}
	res := &ApplyResult{}
	carried := map[*SetProgram][]nftables.SetElement{}
	if !opt.ResetSets {
		rc, err := readConn(ns)
		if err != nil {
			return nil, classify(err)
		}
		for _, tp := range p.Tables {
			n, err := carrySets(rc, tp, carried)
			if err != nil {
				return nil, classify(err)
			}
			res.CarriedSets += n
		}
		for _, els := range carried {
			res.CarriedElem += len(els)
		}
	}
	if base == 0 {
		// The reads must all belong to the generation the batch names.
		if now, err := generation(c); err != nil {
			return nil, err
		} else if now != gen {
			return nil, &backend.ChangedError{Op: "apply"}
		}
	}
	b := &batch{}
	objsEnd := make([]int, len(p.Tables))
	for i, tp := range p.Tables {
		if err := queueTable(b, tp, true, carried); err != nil {
			return nil, err
		}
		objsEnd[i] = len(b.msgs)
		if err := queueRules(b, tp.Rules); err != nil {
			return nil, err
		}
		res.Rules += len(tp.Rules)
		res.Sets += len(tp.Sets)
	}
	if late && p.Late != nil {
		els, err := p.Late()
		if err != nil {
			return nil, err
		}
		// Each table's elements go right after its sets and chains, before
		// its rules: the kernel starts an element's timeout when it reads
		// the element, and reads the batch in order, so that at the start
		// the timeouts do not wait for the kernel to get through the rules
		// (a second for 20,000), while they are asked for only now.
		for i := len(p.Tables) - 1; i >= 0; i-- {
			eb := &batch{}
			for _, sp := range p.Tables[i].Sets {
				if len(els[sp]) == 0 {
					continue
				}
				if err := eb.elements(sp.Set, els[sp]); err != nil {
					return nil, err
				}
				res.LateElem += len(els[sp])
			}
			b.insert(objsEnd[i], eb)
		}
	}
	if err := b.send(ns, gen); err != nil {
		return nil, refusal(p, b, err)
	}
	if late {
		p.Committed = time.Now()
	}
	res.Gen = genAfter(gen)
	return res, nil
}

// checkForeign refuses to replace live tables without xt2nft's mark.
func checkForeign(c *netlink.Conn, p *Program) error {
	var foreign []backend.Table
	for _, tp := range p.Tables {
		d, err := readTableOnly(c, byte(tp.Table.Family), tp.Table.Name)
		if err != nil {
			return err
		}
		if d.Table != nil && !d.marked() {
			foreign = append(foreign, backend.Table{Family: familyName(byte(tp.Table.Family)), Name: tp.Table.Name})
		}
	}
	if len(foreign) > 0 {
		return &backend.ForeignError{Tables: foreign}
	}
	return nil
}

// refusal explains a batch the kernel refused.
func refusal(p *Program, b *batch, err error) error {
	var be *batchError
	if !errors.As(err, &be) {
		return classify(err)
	}
	if be.batch == unix.ERESTART {
		return &backend.ChangedError{Op: "apply", Err: be.batch}
	}
	e := be.Unwrap()
	if errors.Is(e, unix.EPERM) || errors.Is(e, unix.EACCES) {
		return &backend.PermissionError{Err: e}
	}
	if be.batch == 0 && be.failures[0].msgType == unix.NFT_MSG_NEWRULE {
		if r := p.rule(be.failures[0].rule); r != nil {
			return &backend.RefusedError{Err: &Error{Pos: r.Origin, Msg: "kernel rejected rule: " + e.Error()}}
		}
	}
	return &backend.RefusedError{Err: locate(p, e)}
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
	scratch, err := netns.Throwaway()
	if err != nil {
		return err
	}
	defer scratch.Close()
	_, err = Apply(scratch, p, ApplyOptions{ResetSets: true})
	return err
}

// queueTable queues the table swap (or, without replace, its creation)
// and its objects, sets and chains.
func queueTable(b *batch, tp *TableProgram, replace bool, carried map[*SetProgram][]nftables.SetElement) error {
	if replace {
		// Created if absent (without user data: the kernel does not change
		// that of an existing table), deleted, created again whole.
		b.table(tp.Table, nil)
		b.delTable(tp.Table)
	}
	b.table(tp.Table, markUdata())
	for _, o := range tp.Objs {
		no, ok := o.(*nftables.NamedObj)
		if !ok {
			return fmt.Errorf("table %s: object of type %T not supported", tp.Table.Name, o)
		}
		if err := b.obj(no); err != nil {
			return err
		}
	}
	for _, sp := range tp.Sets {
		els := append(append([]nftables.SetElement(nil), sp.Elems...), carried[sp]...)
		if err := b.set(sp.Set, sp.udata, els); err != nil {
			return err
		}
	}
	for _, ch := range tp.Chains {
		b.chain(ch)
	}
	return nil
}

func queueRules(b *batch, rules []*RuleProgram) error {
	for _, r := range rules {
		for _, a := range r.Anon {
			if err := b.set(a.Set, a.udata, a.Elems); err != nil {
				return &Error{Pos: r.Origin, Msg: err.Error()}
			}
		}
		if err := b.rule(r.Rule); err != nil {
			return &Error{Pos: r.Origin, Msg: err.Error()}
		}
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
		if !ok || !carriable(old, sp) {
			continue
		}
		read, err := nlraw.ReadSet(c.NetNS, old) // every element, or an error
		if err != nil {
			return n, err
		}
		var keep []nftables.SetElement
		for _, e := range read.Elems {
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
	scratch, err := netns.Throwaway()
	if err != nil {
		return fmt.Errorf("kernel rejected the ruleset: %w", batchErr)
	}
	defer scratch.Close()
	for _, tp := range p.Tables {
		b := &batch{}
		_ = queueTable(b, tp, false, nil)
		if err := b.send(scratch, 0); err != nil {
			return fmt.Errorf("table %s: kernel rejected its sets, objects or chains: %w", tp.Table.Name, errors.Unwrap(err))
		}
		// Rules in chunks, then one by one inside the failing chunk.
		const chunk = 256
		for i := 0; i < len(tp.Rules); i += chunk {
			rules := tp.Rules[i:min(i+chunk, len(tp.Rules))]
			b := &batch{}
			_ = queueRules(b, rules)
			if b.send(scratch, 0) == nil {
				continue
			}
			for _, r := range rules {
				b := &batch{}
				_ = queueRules(b, []*RuleProgram{r})
				if err := b.send(scratch, 0); err != nil {
					return &Error{Pos: r.Origin, Msg: "kernel rejected rule: " + errors.Unwrap(err).Error()}
				}
			}
		}
	}
	return fmt.Errorf("kernel rejected the ruleset: %w", batchErr)
}
