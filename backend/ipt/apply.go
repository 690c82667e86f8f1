package ipt

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// builtin lists the built-in chains of each table (the same for IPv4 and
// IPv6), in iptables-save order.
var builtin = map[string][]string{
	"filter":   {"INPUT", "FORWARD", "OUTPUT"},
	"nat":      {"PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"},
	"mangle":   {"PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"},
	"raw":      {"PREROUTING", "OUTPUT"},
	"security": {"INPUT", "FORWARD", "OUTPUT"},
}

// Snapshot is the state of the tables a dump touched, taken by Apply before
// it loaded the dump.
type Snapshot struct {
	t      *tools
	tables []string          // the tables the dump declares, in order
	saved  map[string][]byte // iptables-save sections (with counters) of those that existed
}

// Apply loads dump, replacing each table it declares (iptables-restore
// without --noflush; tables it does not declare are left alone; counters
// in the dump are ignored, so the new rules count from zero).
//
// It first snapshots those tables (Save) and runs Check. iptables-restore
// commits table by table, so when loading fails part-way the earlier
// tables are live: Apply then puts the snapshot back (see
// Snapshot.Restore), so that the ruleset lists as before apart from
// counters, and returns the load error, positioned as NAME:LINE, with a
// note on what was rolled back. On success the Snapshot can roll back.
func (b *Backend) Apply(name string, dump []byte) (*Snapshot, error) {
	t, err := b.resolve()
	if err != nil {
		return nil, err
	}
	s, err := t.snapshot(Tables(dump))
	if err != nil {
		return nil, fmt.Errorf("%s: snapshot before loading: %w", name, err)
	}
	if len(s.tables) == 0 {
		return s, nil
	}
	if err := t.restoreDump(name, dump, "--test"); err != nil {
		return nil, err
	}
	loadErr := t.restoreDump(name, dump)
	if loadErr == nil {
		return s, nil
	}
	changed, err := s.changed()
	if err != nil {
		return nil, errors.Join(loadErr, fmt.Errorf("%s: cannot tell whether the failed load changed anything: %w", name, err))
	}
	if len(changed) == 0 {
		return nil, loadErr
	}
	if err := s.Restore(); err != nil {
		return nil, errors.Join(loadErr, fmt.Errorf("%s: rolling back tables %s: %w", name, strings.Join(changed, ", "), err))
	}
	if still, err := s.changed(); err != nil {
		return nil, errors.Join(loadErr, fmt.Errorf("%s: checking the rollback: %w", name, err))
	} else if len(still) > 0 {
		return nil, errors.Join(loadErr, fmt.Errorf("%s: rollback incomplete: table(s) %s still differ from the snapshot", name, strings.Join(still, ", ")))
	}
	what := "table " + changed[0] + " had been committed and was rolled back"
	if len(changed) > 1 {
		what = "tables " + strings.Join(changed, ", ") + " had been committed and were rolled back"
	}
	return nil, fmt.Errorf("%w (%s)", loadErr, what)
}

// snapshot saves the given tables as they are now.
func (t *tools) snapshot(tables []string) (*Snapshot, error) {
	out, err := t.saveTables(nil)
	if err != nil {
		return nil, err
	}
	all := sections(out)
	s := &Snapshot{t: t, tables: tables, saved: map[string][]byte{}}
	for _, name := range tables {
		if sec, ok := all[name]; ok {
			s.saved[name] = sec
		}
	}
	return s, nil
}

// changed returns the snapshotted tables that now list differently
// (counters and comments aside), including tables that appeared.
func (s *Snapshot) changed() ([]string, error) {
	now, err := s.t.snapshot(s.tables)
	if err != nil {
		return nil, err
	}
	var diff []string
	for _, name := range s.tables {
		was, had := s.saved[name]
		is, has := now.saved[name]
		if had != has || normalize(was) != normalize(is) {
			diff = append(diff, name)
		}
	}
	return diff, nil
}

// Restore puts the snapshotted tables back as they were, counters included
// (a nil Snapshot restores nothing).
// A table that did not exist at the snapshot is deleted when the variant
// allows it (nft, with the nft program installed) and otherwise flushed to
// its empty built-in chains with ACCEPT policies (legacy tables cannot be
// deleted from user space).
func (s *Snapshot) Restore() error {
	if s == nil || len(s.tables) == 0 {
		return nil
	}
	var dump bytes.Buffer
	var absent []string
	for _, name := range s.tables {
		if sec, ok := s.saved[name]; ok {
			dump.Write(sec)
			continue
		}
		chains, ok := builtin[name]
		if !ok {
			return fmt.Errorf("ipt: cannot restore unknown table %q to empty", name)
		}
		absent = append(absent, name)
		fmt.Fprintf(&dump, "*%s\n", name)
		for _, c := range chains {
			fmt.Fprintf(&dump, ":%s ACCEPT [0:0]\n", c)
		}
		dump.WriteString("COMMIT\n")
	}
	if err := s.t.restoreDump("snapshot", dump.Bytes(), "--counters"); err != nil {
		return err
	}
	if s.t.b.Variant != NFT || len(absent) == 0 {
		return nil
	}
	if _, err := lookPath("nft", "nftables"); err != nil {
		return nil // flushed to empty is the best we can do
	}
	family := "ip"
	if s.t.b.Family == 6 {
		family = "ip6"
	}
	for _, name := range absent {
		if _, err := s.t.run(nil, "nft", "delete", "table", family, name); err != nil {
			return fmt.Errorf("deleting table %s %s (absent before): %w", family, name, err)
		}
	}
	return nil
}
