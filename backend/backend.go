// Package backend is the seam between xt2nft's commands and the firewalls
// they change: one interface that the netlink backend (backend/nft) and the
// iptables-restore backend (backend/ipt) implement, the errors they return,
// and a Fake that keeps a ruleset in memory, so that the sequence that puts a
// ruleset live (package live: lock, snapshot, apply, confirm or roll back)
// is written once and tested without root.
//
// A Backend works in one network namespace. Its five verbs are those of a
// careful administrator:
//
//	Check     would the kernel take this ruleset? (tried where nothing is live)
//	Plan      what would change: the live tables and the new ones, as listed
//	Snapshot  save what Apply will replace, in a form known to restore
//	Apply     replace those tables, refusing if they changed since the snapshot
//	Restore   put a snapshot back, saying what another tool changed meanwhile
//
// A Ruleset is what one backend puts live (nft's lowered program, or
// iptables-save dumps); each backend accepts only its own kind, and a
// Ruleset says which tables it replaces, so that a caller can lock, save and
// report without knowing the backend. A migration is a sequence of steps,
// each a Backend and a Ruleset, applied in order and restored in reverse
// (xt2nft migrate: the xt_recent lists kept, the nft tables, the legacy
// tables emptied); a re-apply that sends only what changed (issue 14) is a Ruleset
// whose backend compares it with what is live.
//
// Errors are classified by kind, never by message: errors.Is(err,
// ErrPermission), ErrChanged, ErrForeign, ErrUnrestorable, ErrRefused, and
// errors.As for the types that carry details (*ForeignError,
// *ChangedError, *UnrestorableError).
package backend

import (
	"context"
	"encoding"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/xt2nft/xt2nft/internal/progress"
)

// Table names one table: Family is nft's ("ip", "ip6", "inet", ...) for the
// netlink backend and "ipv4" or "ipv6" for iptables; Name is the table's.
type Table struct {
	Family, Name string
}

func (t Table) String() string { return t.Family + " " + t.Name }

// Ruleset is what a backend puts live.
type Ruleset interface {
	// Replaces lists the tables applying the ruleset replaces, in order.
	// A backend touches no other table.
	Replaces() []Table
	// Summary says in a few words what the ruleset holds ("2 tables, 120
	// rules, 3 sets"), for messages.
	Summary() string
}

// Backend puts rulesets live in one network namespace.
type Backend interface {
	// Kind names the backend ("nft", "iptables"); a journal records it so
	// that a later run can restore a snapshot with the same backend.
	Kind() string
	// Check has the kernel validate rs without changing anything live (in
	// a throwaway namespace). A refusal is an ErrRefused error that names
	// the source rule where the backend can tell.
	Check(ctx context.Context, rs Ruleset) error
	// Plan checks rs like Check and returns the live tables it would
	// replace and the new ones as the kernel lists them there.
	Plan(ctx context.Context, rs Ruleset, opt ApplyOptions) (*Plan, error)
	// Snapshot saves the tables rs replaces as they are now, in a form the
	// backend has proven it can restore (it fails with ErrUnrestorable when
	// it cannot, and then nothing must be applied that relies on it).
	Snapshot(ctx context.Context, rs Ruleset) (Snapshot, error)
	// Apply replaces the tables of rs. With a base snapshot it refuses
	// (ErrChanged) when the live tables changed after base was taken, so
	// that a later Restore of base does not undo another tool's change
	// unseen. A table the ruleset would replace that xt2nft did not create
	// is refused (ErrForeign) unless opt.ReplaceForeign. On error nothing
	// changed.
	Apply(ctx context.Context, rs Ruleset, base Snapshot, opt ApplyOptions) (*Result, error)
	// Restore puts the snapshot's tables back as they were (set elements
	// with the time they had left, counters included). since is the Mark of
	// the Apply that followed the snapshot, or nil when it is not known;
	// with it Restore can tell what another tool changed after the apply,
	// and says so in the result. Restore never deletes or replaces a table
	// that another tool created after the apply; restoring a snapshot
	// twice, or one that was never applied, changes nothing.
	Restore(ctx context.Context, s Snapshot, since Mark) (*Restored, error)
	// Unmarshal decodes a snapshot saved with its MarshalBinary, as a
	// journal keeps it.
	Unmarshal(data []byte) (Snapshot, error)
}

// Snapshot is the state of the tables a ruleset replaces, before it went
// live.
type Snapshot interface {
	// Tables are the tables saved, present or absent at the time.
	Tables() []Table
	encoding.BinaryMarshaler
}

// Mark is what a backend recorded right after an apply (for the netlink
// backend: the ruleset generation and a digest of the tables it created),
// opaque to everyone else. A journal keeps it next to the snapshot.
type Mark []byte

// ApplyOptions tune Plan and Apply.
type ApplyOptions struct {
	// ResetSets drops the runtime contents of the dynamic sets (recent
	// lists, hashlimit meters); by default a re-apply carries them over.
	ResetSets bool
	// ReplaceForeign lets Apply replace a table that xt2nft did not create
	// (iptables-nft's own `table ip filter`, say).
	ReplaceForeign bool
	// Whole swaps every table whole (deleted and created again) instead of
	// changing xt2nft's own tables in place.
	Whole bool
	// Progress shows the steps on a terminal (nil: nowhere).
	Progress *progress.Meter
}

// Plan is what Backend.Plan found.
type Plan struct {
	// Live and New are the tables before and after, as the backend lists
	// them (set contents and counters left out); the caller diffs them.
	Live, New string
	// LiveTables and NewTables are the same listings in parts.
	LiveTables, NewTables []ListedTable
	// Carried names the sets whose contents apply would carry over
	// ("ip xt2nft ssh").
	Carried []string
	// Notes are remarks for the user (a foreign table apply would refuse).
	Notes []string
}

// Result says what an Apply did.
type Result struct {
	// Summary says what went live, for messages.
	Summary string
	// Mark is what Restore needs to tell another tool's later change.
	Mark Mark
	// Pending, when set, gives the Mark (instead of Mark): the backend
	// reads back what it applied while its caller goes on (a migration
	// empties the legacy tables meanwhile). Only a backend that can tell
	// another program's change made meanwhile (nft: the generation) may do
	// this; the caller asks for it (Taken) before it changes the tables
	// applied itself.
	Pending func() Mark
}

// Taken is the Result's Mark, waiting for it while it is pending (once:
// then it is the Mark).
func (r *Result) Taken() Mark {
	if r.Pending != nil {
		r.Mark, r.Pending = r.Pending(), nil
	}
	return r.Mark
}

// Restored says what a Restore did about changes it did not make.
type Restored struct {
	// Changed are tables another tool changed after the apply; the restore
	// undid those changes along with the apply.
	Changed []Table
	// Left are tables another tool deleted and created again after the
	// apply: they are its tables now and were left as they are.
	Left []Table
	// Elsewhere reports that the ruleset changed outside the restored
	// tables after the apply (the restore did not touch that).
	Elsewhere bool
	// Unknown reports that the backend could not tell another tool's
	// changes from the apply's (no Mark).
	Unknown bool
	// Nothing reports that the live tables already were the snapshot's
	// (the apply never went live, or was already undone): nothing was sent.
	Nothing bool
	// Notes say what the restore could not put back exactly as it was, in
	// the backend's words (an xt_recent list written back through /proc
	// restarts its stamps).
	Notes []string
}

// The kinds of failure. Each error a backend returns for one of these
// reasons satisfies errors.Is with it.
var (
	// ErrPermission: the caller lacks CAP_NET_ADMIN. Such errors also
	// satisfy errors.Is(err, fs.ErrPermission).
	ErrPermission = errors.New("changing the firewall needs root (CAP_NET_ADMIN)")
	// ErrChanged: another program changed the ruleset between a read and
	// the write that depended on it; the write was refused.
	ErrChanged = errors.New("the ruleset changed since it was read")
	// ErrForeign: the ruleset would replace a table xt2nft did not create.
	ErrForeign = errors.New("table not created by xt2nft")
	// ErrUnrestorable: a snapshot could not be proven to restore.
	ErrUnrestorable = errors.New("cannot guarantee a rollback")
	// ErrRefused: the kernel refused the ruleset.
	ErrRefused = errors.New("the kernel refused the ruleset")
	// ErrWrongRuleset: a Ruleset (or Snapshot) of another backend.
	ErrWrongRuleset = errors.New("ruleset of another backend")
)

// PermissionError is a refusal for lack of privileges.
type PermissionError struct {
	Err error // the system's error (EPERM, EACCES)
}

func (e *PermissionError) Error() string {
	return fmt.Sprintf("%v: %v", e.Err, ErrPermission)
}

// Is makes errors.Is(err, ErrPermission) and errors.Is(err,
// fs.ErrPermission) true.
func (e *PermissionError) Is(target error) bool {
	return target == ErrPermission || target == fs.ErrPermission
}

func (e *PermissionError) Unwrap() error { return e.Err }

// ChangedError is a write refused because the ruleset changed after the
// read it depended on (nft: the kernel's generation check, ERESTART).
type ChangedError struct {
	// What was being done ("apply", "rollback").
	Op string
	// Detail says what changed, when known.
	Detail string
	Err    error // the system's error, if any
}

func (e *ChangedError) Error() string {
	s := ErrChanged.Error()
	if e.Detail != "" {
		s += ": " + e.Detail
	} else {
		s += ": another program changed the ruleset after xt2nft read it"
	}
	return s
}

// Is makes errors.Is(err, ErrChanged) true.
func (e *ChangedError) Is(target error) bool { return target == ErrChanged }

func (e *ChangedError) Unwrap() error { return e.Err }

// ForeignError is an apply refused because it would replace tables that
// xt2nft did not create.
type ForeignError struct {
	Tables []Table
}

func (e *ForeignError) Error() string {
	names := make([]string, len(e.Tables))
	for i, t := range e.Tables {
		names[i] = "table " + t.String()
	}
	verb := "exists"
	if len(names) > 1 {
		verb = "exist"
	}
	return fmt.Sprintf("%s %s and %s not created by xt2nft apply (no xt2nft mark: another tool made it, or nft -f, or an xt2nft older than the mark): apply would replace %s; --replace-foreign allows it",
		strings.Join(names, ", "), verb, map[bool]string{true: "were", false: "was"}[len(names) > 1],
		map[bool]string{true: "them", false: "it"}[len(names) > 1])
}

// Is makes errors.Is(err, ErrForeign) true.
func (e *ForeignError) Is(target error) bool { return target == ErrForeign }

// UnrestorableError is a snapshot that could not be proven to restore.
type UnrestorableError struct {
	Table  Table
	Reason string
}

func (e *UnrestorableError) Error() string {
	return fmt.Sprintf("%s: table %s could not be saved in a form known to restore: %s", ErrUnrestorable, e.Table, e.Reason)
}

// Is makes errors.Is(err, ErrUnrestorable) true.
func (e *UnrestorableError) Is(target error) bool { return target == ErrUnrestorable }

// RefusedError is a ruleset the kernel refused; its message is the
// backend's (it names the source rule where it can).
type RefusedError struct {
	Err error
}

func (e *RefusedError) Error() string { return e.Err.Error() }

// Is makes errors.Is(err, ErrRefused) true.
func (e *RefusedError) Is(target error) bool { return target == ErrRefused }

func (e *RefusedError) Unwrap() error { return e.Err }

// Fate is what a restore does with one table, by the rules of
// Backend.Restore; Decide gives it, for every backend alike.
type Fate int

// The fates of a table in a restore.
const (
	Keep       Fate = iota // as it was at the snapshot already: nothing to do
	Put                    // put back as it was
	PutChanged             // put back; another tool had changed it after the apply
	PutUnknown             // put back; whether another tool changed it is not known
	Leave                  // another tool's table now: left as it is
)

// TableState is one table as a restore sees it.
type TableState struct {
	Present bool
	Ours    bool   // it carries xt2nft's mark
	Digest  []byte // its definition's fingerprint (runtime state left out)
}

// Decide is the fate of one table: saved is the table at the snapshot,
// cur the table now, and applied its digest right after the apply (nil
// when the apply's mark is not known, or holds none for it). The caller
// handles the case where nothing committed since the apply (every table
// is then put back as it is, without being read).
func Decide(saved, cur TableState, applied []byte, markKnown bool) Fate {
	same := cur.Present == saved.Present && string(cur.Digest) == string(saved.Digest)
	switch {
	case !cur.Present:
		if !saved.Present {
			return Keep
		}
		if markKnown {
			return PutChanged // deleted by another tool
		}
		return Put
	case !cur.Ours:
		// The table from before (never replaced, or already restored), or
		// another tool's, created after the apply's was deleted.
		if same {
			return Keep
		}
		return Leave
	case same:
		return Keep // restored before, by us or by another
	case applied == nil:
		return PutUnknown
	case string(applied) != string(cur.Digest):
		return PutChanged
	}
	return Put
}

// Note records a table's fate in the result.
func (r *Restored) Note(t Table, f Fate) {
	switch f {
	case PutChanged:
		r.Changed = append(r.Changed, t)
	case PutUnknown:
		r.Unknown = true
	case Leave:
		r.Left = append(r.Left, t)
	}
}
