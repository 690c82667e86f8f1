package nft

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/nftables"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/xt2nft/xt2nft/backend"
	"github.com/xt2nft/xt2nft/backend/netns"
	"github.com/xt2nft/xt2nft/backend/nft/nlraw"
	"github.com/xt2nft/xt2nft/internal/par"
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
	// InPlace counts the tables changed in place, Changed says what was
	// changed in them.
	InPlace int
	Changed IncrementalStats
	// InPlaceRefused is the kernel's refusal of an in-place edit whose
	// program then went live swapped whole (a fault of the edit script,
	// never of the program: a program the kernel refuses fails).
	InPlaceRefused error
	// Recorded counts the tables whose live rules were taken from the
	// record of the last commit instead of the kernel (rulecache.go).
	Recorded int
	// Retired are xt2nft's tables of the other layout the batch deleted
	// (retire.go).
	Retired []tableRef
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
	if late && p.Late != nil {
		// Late elements go into sets this batch declares (a migration's:
		// the tables are new, or left by a run that died), never into
		// sets an in-place edit keeps with what they hold.
		opt.Whole = true
	}
	if res.Retired, err = liveRetired(c, p); err != nil {
		return nil, err
	}
	// Each table xt2nft has applied before is changed in place (see
	// incremental.go); any other is swapped whole.
	changes := map[*TableProgram]*tableChanges{}
	if !opt.Whole {
		var cached map[string]map[string][]cachedRule
		if rc := loadCache(ns, gen); rc != nil {
			cached = rc.Tables
		}
		for _, tp := range p.Tables {
			rec := cached[cacheKey(byte(tp.Table.Family), tp.Table.Name)]
			lp, err := readLiveParts(c, byte(tp.Table.Family), tp.Table.Name, rec)
			if err != nil {
				return nil, err
			}
			if lp == nil || lp.flags != tp.Table.Flags || !isMark(lp.udata) {
				continue
			}
			if changes[tp], err = compareTable(tp, lp); err != nil {
				return nil, err
			}
			if rec != nil {
				res.Recorded++
			}
		}
	}
	carried := map[*SetProgram][]nftables.SetElement{}
	// The sets to carry: all of a table swapped whole, those recreated of
	// one changed in place (most often none: nothing to read).
	var carry []*TableProgram
	for _, tp := range p.Tables {
		if tc := changes[tp]; !opt.ResetSets && (tc == nil || len(tc.recreated) > 0) {
			carry = append(carry, tp)
		}
	}
	if len(carry) > 0 {
		rc, err := readConn(ns)
		if err != nil {
			return nil, classify(err)
		}
		for _, tp := range carry {
			only := func(*SetProgram) bool { return true }
			if tc := changes[tp]; tc != nil {
				only = func(sp *SetProgram) bool { return tc.recreated[sp.Set.Name] }
			}
			n, err := carrySets(rc, tp, carried, only)
			if err != nil {
				return nil, classify(err)
			}
			res.CarriedSets += n
		}
		for _, els := range carried {
			res.CarriedElem += len(els)
		}
	}
	digests, err := ruleDigests(p)
	if err != nil {
		return nil, err
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
	for _, r := range res.Retired {
		b.delTable(&nftables.Table{Family: nftables.TableFamily(r.family), Name: r.name})
	}
	objsEnd := make([]int, len(p.Tables))
	// handles[i][k] will be the handle of p.Tables[i].Rules[k]: a kept
	// rule's from the live table, a sent one's echoed by the kernel.
	handles := make([][]uint64, len(p.Tables))
	for i, tp := range p.Tables {
		res.Rules += len(tp.Rules)
		res.Sets += len(tp.Sets)
		handles[i] = make([]uint64, len(tp.Rules))
		if tc := changes[tp]; tc != nil {
			b.inPlace = true
			if err := tc.queue(b, digests[i], handles[i], carried, opt.ResetSets); err != nil {
				return nil, err
			}
			res.InPlace++
			res.Changed.add(tc.stats)
			objsEnd[i] = b.len()
			continue
		}
		if err := queueTable(b, tp, true, carried); err != nil {
			return nil, err
		}
		objsEnd[i] = b.len()
		first := b.rules
		if err := queueRules(b, tp.Rules, digests[i], handles[i]); err != nil {
			return nil, err
		}
		predictHandles(b, tp, handles[i], first)
	}
	b.echo = res.Rules >= cacheMinRules // the handles for the record (rulecache.go)
	if breakInPlace && b.inPlace {
		b.delChain(&nftables.Table{Family: p.Tables[0].Table.Family, Name: p.Tables[0].Table.Name}, "xt2nft test: no such chain")
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
		refused := refusal(p, b, err)
		if b.inPlace && isRefusal(refused) {
			// The refused batch changed nothing, so the generation is
			// the one the reads belong to: swap the tables whole, and
			// say why. If the kernel refuses that too, the program is
			// at fault, and that refusal is the answer.
			opt.Whole = true
			whole, werr := apply(ns, p, opt, gen, late)
			if werr != nil {
				return nil, werr
			}
			whole.InPlaceRefused = refused
			return whole, nil
		}
		return nil, refused
	}
	if late {
		p.Committed = time.Now()
	}
	res.Gen = genAfter(gen)
	if b.echo {
		if rc := cacheFor(p, digests, handles, res.Gen); rc != nil && !b.mispredicted {
			saveCache(ns, rc)
		} else {
			dropCache(ns)
		}
	}
	return res, nil
}

// predictHandles fills in the handles of the rules of a table the batch
// creates whole (its first rule the batch's first-th): a new table numbers
// its chains, sets, objects and rules from one, each getting the table's
// next handle in the order the kernel reads them (nf_tables_alloc_handle),
// and queueTable and queueRules send its objects, chains, sets, then each
// rule after its anonymous sets. So these rules need not come back to say
// their handles (echoing 80,000 rules cost the kernel half a second, and
// reading them as much again): they lose their slots, but for the last
// rule of each chain, which comes back to check the count; a batch whose
// check fails records nothing.
func predictHandles(b *batch, tp *TableProgram, handles []uint64, first int) {
	h := uint64(len(tp.Objs) + len(tp.Chains) + len(tp.Sets))
	if b.expect == nil {
		b.expect = map[int]uint64{}
	}
	for k, r := range tp.Rules {
		h += uint64(len(r.Anon)) + 1
		handles[k] = h
		if k == len(tp.Rules)-1 || tp.Rules[k+1].Rule.Chain != r.Rule.Chain {
			b.expect[first+k] = h
		} else {
			b.slots[first+k] = nil
		}
	}
}

// breakInPlace makes every in-place batch fail (tests of the fallback).
var breakInPlace bool

// isRefusal reports whether err is the kernel refusing the batch's content
// (not another transaction, not a permission).
func isRefusal(err error) bool {
	var ce *backend.ChangedError
	var pe *backend.PermissionError
	return !errors.As(err, &ce) && !errors.As(err, &pe)
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
	if be.batch == 0 && be.failures[0].msgType == unix.NFT_MSG_NEWRULE && b.inPlace {
		// The kernel names the message it stopped at, and a batch that
		// edits a table in place sends rules out of the program's order
		// (a loop is refused at the jump that closes it, whichever that
		// is): name the rule the program's order would.
		var le *Error
		if errors.As(locate(p, e), &le) {
			return &backend.RefusedError{Err: le}
		}
	}
	if be.batch == 0 && be.failures[0].msgType == unix.NFT_MSG_NEWRULE && be.failures[0].rule < len(b.progs) {
		if r := b.progs[be.failures[0].rule]; r != nil {
			return &backend.RefusedError{Err: &Error{Pos: r.Origin, Msg: rejected(r, e)}}
		}
	}
	return &backend.RefusedError{Err: locate(p, e)}
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
	// Chains before sets: a verdict map's elements jump to chains.
	for _, ch := range tp.Chains {
		b.chain(ch)
	}
	for _, sp := range tp.Sets {
		els := append(append([]nftables.SetElement(nil), sp.Elems...), carried[sp]...)
		if err := b.set(sp.Set, withDigest(sp.udata, setDigest(sp)), els); err != nil {
			return err
		}
	}
	return nil
}

// queueRules queues the rules in order, each with its digest (digests
// nil: computed here); handles, if not nil, get their echoed handles.
//
// Many rules are encoded in parts, each on a processor of its own into a
// batch of its own (par), and the parts appended in order.
func queueRules(b *batch, rules []*RuleProgram, digests []digest, handles []uint64) error {
	parts := make([]*batch, par.Parts(len(rules), parallelRules))
	err := par.Try(len(rules), parallelRules, func(part, lo, hi int) error {
		// The first part goes into b itself; the others into batches
		// of their own, sized for about 450 bytes a rule (more with
		// anonymous sets).
		pb := b
		if part > 0 {
			pb = &batch{buf: make([]byte, 0, 512*(hi-lo))}
			parts[part] = pb
		} else if len(parts) > 1 {
			b.buf = slices.Grow(b.buf, 512*(hi-lo))
		}
		var d ruleDigester
		for k := lo; k < hi; k++ {
			r := rules[k]
			var dg digest
			if digests != nil {
				dg = digests[k]
			} else {
				var err error
				if dg, err = d.digest(r); err != nil {
					return &Error{Pos: r.Origin, Msg: err.Error()}
				}
			}
			var slot *uint64
			if handles != nil {
				slot = &handles[k]
			}
			if err := queueRule(pb, r, dg, 0, slot); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(parts) > 1 {
		b.append(parts[1:]...)
	}
	return nil
}

// carrySets reads the live table's dynamic sets and returns, for each set
// of the new program with the same name, key and flags, the live elements
// with their remaining time as their timeout.
func carrySets(c *nftables.Conn, tp *TableProgram, out map[*SetProgram][]nftables.SetElement, only func(*SetProgram) bool) (int, error) {
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
		if !ok || !only(sp) || !carriable(old, sp) {
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
			_ = queueRules(b, rules, nil, nil)
			if b.send(scratch, 0) == nil {
				continue
			}
			for _, r := range rules {
				b := &batch{}
				_ = queueRules(b, []*RuleProgram{r}, nil, nil)
				if err := b.send(scratch, 0); err != nil {
					return &Error{Pos: r.Origin, Msg: rejected(r, errors.Unwrap(err))}
				}
			}
		}
	}
	return fmt.Errorf("kernel rejected the ruleset: %w", batchErr)
}

// rejected says why the kernel refused rule r: its error, and, when the
// kernel may not know an expression the rule uses (ENOENT, EOPNOTSUPP),
// the expressions that need a kernel option, as xt2nft check names them.
func rejected(r *RuleProgram, err error) string {
	msg := "kernel rejected rule: " + err.Error()
	if !errors.Is(err, unix.ENOENT) && !errors.Is(err, unix.EOPNOTSUPP) {
		return msg
	}
	var needs []string
	seen := map[string]bool{}
	for _, e := range r.Rule.Exprs {
		if name, config, ok := featureOf(e, r.Rule.Table.Family); ok && config != "" && !seen[name] {
			seen[name] = true
			needs = append(needs, name+" (CONFIG_"+strings.TrimPrefix(config, "CONFIG_")+")")
		}
	}
	if len(needs) == 0 {
		return msg
	}
	return msg + "; the running kernel may lack " + strings.Join(needs, ", ") + ": xt2nft check FILE says what this kernel has"
}
