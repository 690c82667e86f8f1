package main

// xt2nft migrate: a live iptables-legacy host switched to native nft in
// one reversible run (see the README's "migrate: the switch, step by
// step" for why the steps come in this order).
//
// The run is three live.Steps, built holding the namespace's lock (after
// a run that died was rolled back), snapshotted before anything changes,
// applied back to back and, unless confirmed, restored last first:
//
//  0. xt_recent (recent.Kept): nothing changes; its restore, the last of a
//     rollback, writes back a list that came back empty.
//  1. nft: the translation of the legacy tables (their counters carried,
//     the ipsets' elements in their sets) in one batch, which ends with the
//     xt_recent lists' entries, read as the batch is sent (recent.Elements).
//     From its commit on, both firewalls are live.
//  2. iptables: the legacy tables emptied one by one, mangle first and
//     filter last, each keeping the xt_recent lists its rules named (see
//     ipt.KeepChain); then the entries the legacy rules changed during the
//     switch are loaded again into the sets (recent.Legacy.CatchUp).
//
// Once confirmed, the tables are emptied again without the lists, and
// --persist writes what is live.

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/nftables"
	"github.com/spf13/pflag"

	"github.com/xt2nft/xt2nft/backend"
	"github.com/xt2nft/xt2nft/backend/ipt"
	"github.com/xt2nft/xt2nft/backend/live"
	"github.com/xt2nft/xt2nft/backend/netns"
	"github.com/xt2nft/xt2nft/backend/nft"
	"github.com/xt2nft/xt2nft/backend/recent"
	"github.com/xt2nft/xt2nft/internal/progress"
	"github.com/xt2nft/xt2nft/ipset"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
)

// migrateProcDir, when set (by tests), is where migrate reads the
// xt_recent lists instead of the namespace's /proc.
var migrateProcDir string

// migrateFlags are migrate's own flags.
type migrateFlags struct {
	netns, persist  *string
	confirm         *time.Duration
	dryRun, foreign *bool
}

// notForMigrate are translation flags that make no sense for a live host.
var notForMigrate = []string{"script", "family", "ipsets", "allow-partial", "counters"}

func migrateFlagSet(stderr io.Writer) (*pflag.FlagSet, *translateFlags, migrateFlags) {
	fs := newFlagSet("xt2nft migrate", stderr)
	tf := addTranslateFlags(fs)
	for _, n := range notForMigrate {
		fs.MarkHidden(n)
	}
	mf := migrateFlags{
		netns:   fs.String("netns", "", "work in this named network namespace (ip netns) instead of the current one"),
		confirm: fs.Duration("confirm", 0, "wait `DURATION` (e.g. 120s) for xt2nft confirm or Enter, then switch back"),
		dryRun:  fs.Bool("dry-run", false, "show what would happen (the nft tables, the lists and sets carried, the legacy tables emptied); change nothing"),
		persist: fs.String("persist", "", "once the switch is confirmed, write the live nft tables to `PATH` (atomically, checked with nft -c) and report what would restore legacy rules at boot"),
		foreign: fs.Bool("replace-foreign", false, "replace tables of the same name that xt2nft did not create (iptables-nft's, with --layout iptables)"),
	}
	return fs, tf, mf
}

func runMigrate(argv []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs, tf, mf := migrateFlagSet(stderr)
	if code, done := parseFlags(fs, argv, func(w io.Writer) { manual().CommandHelp(w, "migrate") }, stdout, stderr); done {
		if code == exitUsage {
			return exitError
		}
		return code
	}
	for _, n := range notForMigrate {
		if fs.Changed(n) {
			fmt.Fprintf(stderr, "xt2nft migrate: --%s does not apply: migrate reads the live legacy tables, ipsets and recent lists (and always carries the counters)\n", n)
			return exitError
		}
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "xt2nft migrate: unexpected argument %q: migrate reads the live legacy tables, not files\n", fs.Arg(0))
		return exitError
	}
	if *mf.confirm < 0 {
		fmt.Fprintln(stderr, "xt2nft migrate: --confirm must be positive")
		return exitError
	}
	_, topt, ok := tf.options(stderr)
	if !ok {
		return exitError
	}
	topt.Counters = true
	topt.Check = nft.OversizeRules
	if os.Geteuid() != 0 {
		fmt.Fprintln(stderr, "xt2nft migrate: reading and changing the firewall needs root (CAP_NET_ADMIN); nothing was changed")
		return exitError
	}
	ctx := context.Background()
	if !*mf.dryRun {
		// From here on nothing may stand between the switch and its
		// rollback (see runLive).
		var stop func()
		ctx, stop = live.SignalContext(ctx)
		defer stop()
	}
	meter := progress.New(stderr, "xt2nft migrate")
	log := live.NewLog(meter.Out(stderr))
	defer log.Close(5 * time.Second)
	defer meter.Close()
	ns, err := netns.Open(*mf.netns)
	if err != nil {
		log.Printf("xt2nft migrate: %v", err)
		return exitError
	}
	defer ns.Close()
	m := &migration{ns: ns, log: log, topt: topt, dry: *mf.dryRun, persist: *mf.persist, start: time.Now(), meter: meter}
	m.legacy = &recent.Legacy{NS: ns, Dir: migrateProcDir}
	cfg := liveConfig(ns, *mf.netns, log)
	bopt := backend.ApplyOptions{ReplaceForeign: *mf.foreign, ResetSets: true, Progress: meter}
	if m.dry {
		return m.dryRun(ctx, cfg, bopt, stdout)
	}
	aopt := live.ApplyOptions{ApplyOptions: bopt, Confirm: *mf.confirm, Command: "migrate", Kept: m.kept}
	if f, ok := stdin.(*os.File); ok && progress.IsTerminal(f) {
		aopt.TTY = f
	}
	outcome, err := live.ApplyWith(ctx, cfg, m.build, aopt)
	m.report()
	if err != nil {
		if outcome != nil && outcome.Confirmed {
			log.Printf("xt2nft migrate: the switch is done and confirmed, but: %v", err)
		} else {
			log.Printf("xt2nft migrate: %v", err)
		}
		return exitError
	}
	if outcome.RolledBack {
		log.Printf("xt2nft migrate: switched back: the legacy tables are live again with their counters, the xt_recent lists with their entries, and the nft tables are gone")
		return exitError
	}
	if m.nothing {
		return exitOK
	}
	log.Printf("xt2nft migrate: done: the host runs the nft tables (%s); the legacy tables are empty", m.prog.Summary())
	return exitOK
}

// migration is one run of xt2nft migrate.
type migration struct {
	ns      *netns.NS
	log     *live.Log
	legacy  *recent.Legacy
	topt    translate.Options
	dry     bool
	persist string
	start   time.Time

	nothing bool
	state   *legacyState
	prog    *nft.Program
	ipsets  *ipset.Save
	// The lists as read for the batch, what they carried, and the times
	// of the switch.
	read      *recent.Read
	carried   []recent.Carried
	lateAt    time.Time // the lists read, the batch about to be sent
	liveAt    time.Time // the nft batch committed: both firewalls live
	emptiedAt time.Time // the last legacy table emptied
	caughtUp  int
	caughtAt  time.Time
	// phases are the build's steps and when each ended.
	phases []phase
	// meter is the progress line (nil when stderr is not a terminal).
	meter *progress.Meter
}

type phase struct {
	what string
	at   time.Time
}

// done records the end of a phase of the build.
func (m *migration) done(what string) { m.phases = append(m.phases, phase{what, time.Now()}) }

// The order in which the legacy tables are emptied (see the README):
// mangle first, since both mangle tables at once apply a packet's marks
// twice; filter last, since both filter tables at once only ever drop more.
var emptyOrder = []string{"mangle", "raw", "nat", "security", "filter"}

// legacyState is what iptables-legacy-save and ip6tables-legacy-save
// listed.
type legacyState struct {
	// save is each family's listing; sections its tables.
	save     map[int][]byte
	sections map[int]map[string][]byte
	// busy are the tables with rules (or non-ACCEPT policies, or user
	// chains), kept those that hold a migration's KeepChain.
	busy, kept map[int][]string
	// lists are the xt_recent lists each busy table's rules name.
	lists map[int]map[string][]string
	dumps map[int]*parser.Dump
	rules map[int]map[string]int
	// src is each family's busy tables as one dump (what is translated).
	src map[int][]byte
}

var familyFile = map[int]string{4: "iptables-legacy-save", 6: "ip6tables-legacy-save"}

// readLegacy lists both families' legacy tables.
func (m *migration) readLegacy() (*legacyState, error) {
	st := &legacyState{save: map[int][]byte{}, sections: map[int]map[string][]byte{}, busy: map[int][]string{},
		kept: map[int][]string{}, lists: map[int]map[string][]string{}, dumps: map[int]*parser.Dump{},
		rules: map[int]map[string]int{}, src: map[int][]byte{}}
	for _, fam := range []int{4, 6} {
		out, err := (&ipt.Backend{Family: fam, Variant: ipt.Legacy, NS: m.ns}).Save(nil)
		if err != nil {
			return nil, fmt.Errorf("reading the legacy tables: %w", err)
		}
		st.save[fam] = out
		secs := ipt.Sections(out)
		st.sections[fam] = secs
		var src []byte
		for _, name := range ipt.Tables(out) {
			e := ipt.TableEmptiness(secs[name])
			if e.Kept {
				st.kept[fam] = append(st.kept[fam], name)
			}
			if !e.Empty {
				st.busy[fam] = append(st.busy[fam], name)
				src = append(src, secs[name]...)
			}
		}
		if len(src) == 0 {
			continue
		}
		st.src[fam] = src
		pf := parser.IPv4
		if fam == 6 {
			pf = parser.IPv6
		}
		d, warns, err := parser.Parse(familyFile[fam], src, parser.Options{Family: pf})
		for _, w := range warns {
			m.log.Printf("%v", w)
		}
		if err != nil {
			return nil, fmt.Errorf("%v\nreading the legacy tables: %s lists rules xt2nft cannot read", err, familyFile[fam])
		}
		st.dumps[fam] = d
		st.lists[fam] = map[string][]string{}
		st.rules[fam] = map[string]int{}
		for _, t := range d.Tables {
			for _, c := range t.Chains {
				st.rules[fam][t.Name] += len(c.Rules)
				for _, r := range c.Rules {
					for _, mt := range r.Matches {
						if mt.Name != "recent" {
							continue
						}
						name := "DEFAULT"
						if o := mt.Opt("name"); o != nil {
							name = o.Arg(0)
						}
						if !slices.Contains(st.lists[fam][t.Name], name) {
							st.lists[fam][t.Name] = append(st.lists[fam][t.Name], name)
						}
					}
				}
			}
		}
	}
	return st, nil
}

// usesIPSets reports whether a rule matches or writes an ipset.
func (st *legacyState) usesIPSets() bool {
	for _, d := range st.dumps {
		for _, t := range d.Tables {
			for _, c := range t.Chains {
				for _, r := range c.Rules {
					if r.Target != nil && r.Target.Name == "SET" {
						return true
					}
					for _, mt := range r.Matches {
						if mt.Name == "set" {
							return true
						}
					}
				}
			}
		}
	}
	return false
}

// empty reports whether no legacy table holds anything.
func (st *legacyState) empty() bool { return len(st.busy[4])+len(st.busy[6]) == 0 }

// order is the busy tables in the order they are emptied.
func (st *legacyState) order() (out []struct {
	fam  int
	name string
}) {
	for _, name := range emptyOrder {
		for _, fam := range []int{4, 6} {
			if slices.Contains(st.busy[fam], name) {
				out = append(out, struct {
					fam  int
					name string
				}{fam, name})
			}
		}
	}
	return out
}

// build reads the live legacy state under the lock and returns the
// migration's steps (none when there is nothing to migrate).
func (m *migration) build(ctx context.Context) ([]live.Step, error) {
	m.done("lock")
	m.meter.Start("reading the legacy tables", 0, "")
	st, err := m.readLegacy()
	if err != nil {
		return nil, err
	}
	m.state = st
	m.done("legacy tables read")
	if st.empty() {
		m.nothing = true
		return nil, m.finishEarlier()
	}
	for _, fam := range []int{4, 6} {
		for _, name := range st.busy[fam] {
			if !slices.Contains(emptyOrder, name) {
				return nil, fmt.Errorf("legacy table %s %s: xt2nft migrate does not know this table", famName(fam), name)
			}
		}
	}
	if st.usesIPSets() {
		m.meter.Start("reading the ipsets", 0, "")
		out, err := m.ns.Command("ipset", "save").Output()
		if err != nil {
			return nil, fmt.Errorf("the rules use ipsets, and `ipset save` failed: %w", err)
		}
		if m.ipsets, err = ipset.Parse("ipset save", out); err != nil {
			return nil, err
		}
		m.topt.IPSets = m.ipsets
		m.done("ipsets read")
	}
	m.meter.Start("translating", 0, "")
	if err := m.translate(); err != nil {
		return nil, err
	}
	m.done("translated")
	m.meter.Start("reading the recent lists", 0, "")
	lists, err := m.legacy.ReadAll()
	if err != nil {
		return nil, err
	}
	m.done("recent lists read")
	m.describe(lists)
	m.warnTwice()
	nftStep := live.Step{Backend: nft.New(m.ns), Ruleset: m.prog}
	if m.dry {
		_, m.carried, err = recent.Elements(m.prog, lists)
		if err != nil {
			return nil, err
		}
		return []live.Step{nftStep}, nil
	}
	m.prog.Late = func() (map[*nft.SetProgram][]nftables.SetElement, error) {
		r, err := m.legacy.ReadAll()
		if err != nil {
			return nil, err
		}
		els, carried, err := recent.Elements(m.prog, r)
		m.read, m.carried, m.lateAt = r, carried, time.Now()
		return els, err
	}
	var dumps ipt.Dumps
	for _, tbl := range st.order() {
		src, err := ipt.EmptyTable(tbl.name, st.lists[tbl.fam][tbl.name])
		if err != nil {
			return nil, err
		}
		dumps = append(dumps, ipt.Dump{Name: fmt.Sprintf("%s (%s %s emptied)", familyFile[tbl.fam], famName(tbl.fam), tbl.name), Src: src, Family: tbl.fam})
	}
	emptier := &ipt.Namespace{NS: m.ns, Variant: ipt.Legacy}
	legacyStep := live.Step{Backend: emptier, Ruleset: dumps,
		Then: func(ctx context.Context) error {
			m.liveAt, m.emptiedAt = m.prog.Committed, emptier.Loaded
			if m.read == nil {
				return nil
			}
			after, err := m.legacy.ReadAll()
			if err != nil {
				return err
			}
			n, err := m.legacy.CatchUp(ctx, m.read, m.prog.Committed, after)
			m.caughtUp, m.caughtAt = n, time.Now()
			return err
		}}
	steps := []live.Step{nftStep, legacyStep}
	if names := lists.Names(); len(names) > 0 {
		steps = append([]live.Step{{Backend: &recent.Kept{Legacy: *m.legacy}, Ruleset: recent.KeptLists(names)}}, steps...)
	}
	return steps, nil
}

func famName(fam int) string {
	if fam == 6 {
		return "ipv6"
	}
	return "ipv4"
}

// translate translates the busy legacy tables; an untranslatable rule is
// an error that names it and shows it.
func (m *migration) translate() error {
	var ds []*parser.Dump
	for _, fam := range []int{4, 6} {
		if d := m.state.dumps[fam]; d != nil {
			ds = append(ds, d)
		}
	}
	res := translate.Translate(parser.Merge(ds...), m.topt)
	if res.Err() == nil && m.topt.Check != nil {
		res.Diags = append(res.Diags, m.topt.Check(res.Ruleset)...)
	}
	bad := 0
	for _, d := range res.Diags {
		m.log.Printf("%v", d)
		if d.Severity == parser.SevError {
			bad++
			if line := m.sourceLine(d.Pos); line != "" {
				m.log.Printf("\t%s", line)
			}
		}
	}
	if bad > 0 {
		return fmt.Errorf("%d of the live legacy rules cannot be translated (above, with the rule as iptables-legacy-save lists it)", bad)
	}
	prog, err := nft.Lower(res.Ruleset)
	if err != nil {
		return err
	}
	m.prog = prog
	return nil
}

// sourceLine is the line of the legacy listing a diagnostic points to.
func (m *migration) sourceLine(p parser.Pos) string {
	for fam, name := range familyFile {
		if p.File != name {
			continue
		}
		lines := strings.Split(string(m.state.src[fam]), "\n")
		if p.Line >= 1 && p.Line <= len(lines) {
			return lines[p.Line-1]
		}
	}
	return ""
}

// describe says what the migration reads and will do.
func (m *migration) describe(lists *recent.Read) {
	st := m.state
	verb := map[bool]string{true: "would be", false: "are"}[m.dry]
	var tables []string
	for _, t := range st.order() {
		s := fmt.Sprintf("%s %s (%d rules)", famName(t.fam), t.name, st.rules[t.fam][t.name])
		if l := st.lists[t.fam][t.name]; len(l) > 0 {
			s += fmt.Sprintf(" keeping the xt_recent lists %s until the switch is confirmed", strings.Join(l, ", "))
		}
		tables = append(tables, s)
	}
	m.log.Printf("xt2nft migrate: the legacy tables %s emptied in this order, each left with ACCEPT policies and no rules: %s", verb, strings.Join(tables, "; "))
	m.log.Printf("xt2nft migrate: the nft tables: %s (counters carried)", m.prog.Summary())
	if m.ipsets != nil {
		for _, s := range m.ipsets.Sets {
			used := false
			for _, tp := range m.prog.Tables {
				for _, sp := range tp.Sets {
					used = used || strings.HasPrefix(sp.Set.Comment, "ipset "+strings.ReplaceAll(s.Name, `"`, "'")+" ")
				}
			}
			if used {
				m.log.Printf("xt2nft migrate: ipset %s (%s): %d elements carried into its nft set; the ipset itself stays in the kernel (no rule uses it after the switch)", s.Name, s.Kind.Name, len(s.Entries))
			}
		}
	}
	if n := lists.Names(); len(n) > 0 {
		m.log.Printf("xt2nft migrate: xt_recent lists: %d (%d entries), read again as the nft batch is sent", len(n), lists.Entries())
	}
}

// report says what the switch did, with its times (absolute, so that what
// happened meanwhile can be placed in it).
func (m *migration) report() {
	for _, c := range m.carried {
		switch {
		case c.Unused:
			m.log.Printf("xt2nft migrate: xt_recent list %s (%d entries): no legacy rule of the translation names it; not carried", recent.Quote(c.List), c.Entries)
		default:
			m.log.Printf("xt2nft migrate: xt_recent list %s: %d entries carried with their history, %d had expired from every window", recent.Quote(c.List), c.Copied, c.Expired)
		}
		for _, p := range c.Problems {
			m.log.Printf("xt2nft migrate: not carried: %s", p)
		}
	}
	if m.liveAt.IsZero() {
		return
	}
	const stamp = "15:04:05.000000"
	var times []string
	last := m.start
	for _, p := range m.phases {
		times = append(times, fmt.Sprintf("%s %s", p.what, p.at.Sub(last).Round(time.Millisecond)))
		last = p.at
	}
	times = append(times, fmt.Sprintf("snapshots and journal %s", m.lateAt.Sub(last).Round(time.Millisecond)),
		fmt.Sprintf("nft batch %s", m.liveAt.Sub(m.lateAt).Round(time.Millisecond)))
	m.log.Printf("xt2nft migrate: times: %s", strings.Join(times, ", "))
	m.log.Printf("xt2nft migrate: switch: nft tables live at %s (%s after the start; the recent lists read %s before), legacy tables emptied by %s: both firewalls live for %s",
		m.liveAt.Format(stamp), m.liveAt.Sub(m.start).Round(time.Microsecond), m.liveAt.Sub(m.lateAt).Round(time.Microsecond),
		m.emptiedAt.Format(stamp), m.emptiedAt.Sub(m.liveAt).Round(time.Microsecond))
	if !m.caughtAt.IsZero() {
		m.log.Printf("xt2nft migrate: %d xt_recent entries the legacy rules changed during the switch loaded again by %s (%s after the legacy tables were emptied)",
			m.caughtUp, m.caughtAt.Format(stamp), m.caughtAt.Sub(m.emptiedAt).Round(time.Microsecond))
	}
	times = []string{"live " + m.liveAt.Format(time.RFC3339Nano), "emptied " + m.emptiedAt.Format(time.RFC3339Nano)}
	if !m.caughtAt.IsZero() {
		times = append(times, "caught-up "+m.caughtAt.Format(time.RFC3339Nano))
	}
	m.log.Printf("xt2nft migrate: switch times (RFC 3339): %s", strings.Join(times, " "))
}

// finishEarlier finishes a migration whose run ended after its switch was
// confirmed but before the legacy tables let go of the lists, and says
// that there is nothing to migrate.
func (m *migration) finishEarlier() error {
	st := m.state
	if len(st.kept[4])+len(st.kept[6]) > 0 {
		if m.dry {
			m.log.Printf("xt2nft migrate: the legacy tables are empty; a migration left chain %s in them, which migrate would remove", ipt.KeepChain)
			return nil
		}
		if err := m.releaseLists(st.kept); err != nil {
			return err
		}
		m.log.Printf("xt2nft migrate: the legacy tables are empty: an earlier migrate switched this host; removed the chain %s it left in them", ipt.KeepChain)
		return nil
	}
	m.log.Printf("xt2nft migrate: nothing to migrate: the legacy tables hold no rules")
	return nil
}

// releaseLists empties the tables again without KeepChain: the kernel
// frees the xt_recent lists.
func (m *migration) releaseLists(tables map[int][]string) error {
	for _, fam := range []int{4, 6} {
		for _, name := range tables[fam] {
			src, err := ipt.EmptyTable(name, nil)
			if err != nil {
				return err
			}
			if _, err := (&ipt.Backend{Family: fam, Variant: ipt.Legacy, NS: m.ns}).Apply(familyFile[fam], src); err != nil {
				return fmt.Errorf("removing chain %s from %s %s: %w", ipt.KeepChain, famName(fam), name, err)
			}
		}
	}
	return nil
}

// kept runs once the switch is confirmed: the legacy tables let go of the
// lists, and --persist writes what is live.
func (m *migration) kept(ctx context.Context) error {
	held := map[int][]string{}
	for _, t := range m.state.order() {
		if len(m.state.lists[t.fam][t.name]) > 0 {
			held[t.fam] = append(held[t.fam], t.name)
		}
	}
	if err := m.releaseLists(held); err != nil {
		return err
	}
	if m.persist == "" {
		return nil
	}
	if err := persistRuleset(m.ns, m.prog, m.persist); err != nil {
		return err
	}
	m.log.Printf("xt2nft migrate: wrote the live nft tables to %s (checked with nft -c -f)", m.persist)
	for _, l := range bootReport(bootRoot, m.persist) {
		m.log.Printf("xt2nft migrate: at boot: %s", l)
	}
	return nil
}

// dryRun shows the plan and changes nothing.
func (m *migration) dryRun(ctx context.Context, cfg live.Config, bopt backend.ApplyOptions, stdout io.Writer) int {
	d, notes, err := live.PlanWith(ctx, cfg, m.build, bopt)
	if err != nil {
		m.log.Printf("xt2nft migrate --dry-run: %v", err)
		return exitError
	}
	if m.nothing {
		return exitOK
	}
	for _, n := range notes {
		m.log.Printf("xt2nft migrate --dry-run: note: %s", n)
	}
	fmt.Fprint(stdout, d)
	m.report()
	if m.persist != "" {
		for _, l := range bootReport(bootRoot, m.persist) {
			m.log.Printf("xt2nft migrate --dry-run: at boot: %s", l)
		}
	}
	m.log.Printf("xt2nft migrate --dry-run: the kernel accepts the nft tables (checked in a throwaway namespace); nothing was changed")
	return exitOK
}

// twice says how a rule's target differs when a packet meets it twice, in
// the legacy table and in its translation, as it does while both firewalls
// are live ("" when applying it twice is applying it once). A mark or TOS
// rewrite x -> (x &^ M) ^ V is idempotent exactly when V has no bit
// outside M; CONNMARK's save (restore) when its nfmask (ctmask) has no bit
// outside its ctmask (nfmask); a TTL or hop-limit step never is.
func twice(r *parser.Rule) string {
	if r.Target == nil {
		return ""
	}
	pair := func(name string) (v, m uint64, ok bool) {
		o := r.Target.Opt(name)
		if o == nil {
			return 0, 0, false
		}
		vs, ms, _ := strings.Cut(o.Arg(0), "/")
		v, err1 := strconv.ParseUint(vs, 0, 32)
		m, err2 := strconv.ParseUint(ms, 0, 32)
		if ms == "" {
			m, err2 = 0xffffffff, nil
		}
		return v, m, err1 == nil && err2 == nil
	}
	mask := func(name string) uint64 {
		if o := r.Target.Opt(name); o != nil {
			if v, err := strconv.ParseUint(o.Arg(0), 0, 32); err == nil {
				return v
			}
		}
		return 0xffffffff
	}
	switch t := r.Target.Name; t {
	case "MARK", "CONNMARK", "TOS":
		for _, opt := range []string{"set-xmark", "set-tos"} {
			if v, m, ok := pair(opt); ok && v&^m != 0 {
				return fmt.Sprintf("-j %s --%s %#x/%#x flips bits outside its mask, so a second application undoes the first", t, opt, v, m)
			}
		}
		nf, ct := mask("nfmask"), mask("ctmask")
		if r.Target.Opt("save-mark") != nil && nf&^ct != 0 {
			return fmt.Sprintf("-j CONNMARK --save-mark --nfmask %#x --ctmask %#x saves bits outside its ctmask, so a second save changes the connection mark again", nf, ct)
		}
		if r.Target.Opt("restore-mark") != nil && ct&^nf != 0 {
			return fmt.Sprintf("-j CONNMARK --restore-mark --nfmask %#x --ctmask %#x restores bits outside its nfmask, so a second restore changes the mark again", nf, ct)
		}
	case "TTL", "HL":
		for _, opt := range []string{"ttl-inc", "ttl-dec", "hl-inc", "hl-dec"} {
			if r.Target.Opt(opt) != nil {
				return fmt.Sprintf("-j %s --%s steps the %s once more", t, opt, map[string]string{"TTL": "TTL", "HL": "hop limit"}[t])
			}
		}
	}
	return ""
}

// warnTwice warns of the rules a packet crossing the switch may get twice.
func (m *migration) warnTwice() {
	for _, fam := range []int{4, 6} {
		d := m.state.dumps[fam]
		if d == nil {
			continue
		}
		for _, t := range d.Tables {
			for _, c := range t.Chains {
				for _, r := range c.Rules {
					if why := twice(r); why != "" {
						m.log.Printf("%s:%d: warning: %s: a packet that crosses the switch while both firewalls are live (from the nft batch until table %s %s is emptied) gets it twice\n\t%s",
							familyFile[fam], r.Pos.Line, why, famName(fam), t.Name, m.sourceLine(r.Pos))
					}
				}
			}
		}
	}
}
