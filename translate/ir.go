package translate

import (
	"net/netip"
	"strconv"
	"time"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

// The IR is structured data. Its leaves point at the descriptors of
// package desc (a header field, a meta or ct key, a fib result), so the
// renderer prints their names and backend/nft reads their offsets and key
// numbers: neither looks anything up by name, and nothing in the IR is a
// fragment of nft syntax to be parsed again. Constants are typed values;
// a Sym is a symbolic constant of the type of the expression it is
// compared with (desc.Type.Syms).

// Family is an nftables table family.
type Family string

// Table families.
const (
	FamilyIP   Family = "ip"
	FamilyIP6  Family = "ip6"
	FamilyInet Family = "inet"
)

// ChainType is the type of a base chain.
type ChainType string

// Base chain types.
const (
	TypeFilter ChainType = "filter"
	TypeNAT    ChainType = "nat"
	TypeRoute  ChainType = "route"
)

// Hook is a netfilter hook.
type Hook string

// Hooks.
const (
	HookPrerouting  Hook = "prerouting"
	HookInput       Hook = "input"
	HookForward     Hook = "forward"
	HookOutput      Hook = "output"
	HookPostrouting Hook = "postrouting"
)

// Ruleset is a whole translation: the tables xt2nft owns. Its rules may
// share expressions and statements that are equal and that nothing
// changes in place (a rule's zero counter, a payload or meta expression, an
// interface name): change one of those by making a changed copy. A Match,
// a Verdict and an Int are their rule's own (the optimizer and verify's
// mutants change them in place).
type Ruleset struct {
	Tables []*Table
	// Layout and Name are the layout and the table name (Options.Table)
	// the tables are named by: apply deletes xt2nft's tables of the other
	// layouts, which would filter every packet a second time ("": the
	// xt2nft layout, each table's own name).
	Layout Layout
	Name   string
}

// Table is an nft table.
type Table struct {
	Family  Family
	Name    string
	Comment string
	Sets    []*Set
	Objects []*Object
	Chains  []*Chain
}

// Chain is a base chain (Base != nil) or a regular chain.
type Chain struct {
	Name  string
	Base  *BaseChain
	Rules []*Rule
	// Comment explains a chain xt2nft made up; it is printed as a script
	// comment above the chain's rules and never reaches the kernel.
	Comment string
	// ahead is the chain rendered ahead, its Rules gone
	// (Options.RenderAhead); nil otherwise.
	ahead *rendered
}

// BaseChain holds a base chain's hook attachment.
type BaseChain struct {
	Type     ChainType
	Hook     Hook
	Priority int
	Policy   string // "accept" or "drop"
}

// Set is a named set (or map) in a table.
type Set struct {
	Name   string
	Typeof []Expr       // key as typeof expressions (concatenated when several)
	Type   []*desc.Type // key as nft data types (ipv4_addr, ...), when Typeof is nil
	// Data makes the set a map: the types of its values (concatenated when
	// several; desc.Verdict for a verdict map).
	Data  []*desc.Type
	Flags []SetFlag
	// Counter gives every element a counter of its own (nft: "counter" in
	// the declaration); the optimizer's folds keep each iptables rule's
	// counter this way.
	Counter bool
	Timeout time.Duration
	Size    int
	Comment string
	// Elems are the elements: constants, or *Elem for an element with a
	// map value, a counter, a comment or an origin.
	Elems  []Expr
	Origin parser.Pos
}

// Elem is a set or map element with what belongs to it (nft: KEY
// [timeout T] [counter packets P bytes B] [comment "C"] [: VALUE]).
type Elem struct {
	Key Expr
	// Timeout is the time the element has left, written as its timeout
	// (it expires at the same moment; a refresh from the packet path uses
	// the statement's or the set's timeout, never the element's).
	Timeout time.Duration
	Counter *Counter // initial counter values (nil: zero)
	Comment string
	// Value is a map element's value (a *Verdict in a verdict map); nil in
	// a set.
	Value Expr
	// Origin is the iptables rule the element stands for (folded rules).
	Origin parser.Pos
}

// simplest is the element itself when it has attributes, else its key.
func (e *Elem) simplest() Expr {
	if e.Timeout == 0 && e.Comment == "" && e.Value == nil && e.Counter == nil {
		return e.Key
	}
	return e
}

// SetFlag is a flag of a named set.
type SetFlag string

// Set flags.
const (
	SetConstant SetFlag = "constant"
	SetInterval SetFlag = "interval"
	SetTimeout  SetFlag = "timeout"
	SetDynamic  SetFlag = "dynamic"
)

// Object is a stateful named object (counter, quota, ct helper, ...).
type Object struct {
	Kind   ObjKind
	Name   string
	Fields []ObjField
	Origin parser.Pos
}

// ObjKind is the kind of a stateful object, as nft writes it.
type ObjKind string

// Object kinds.
const (
	ObjCounter  ObjKind = "counter"
	ObjQuota    ObjKind = "quota"
	ObjLimit    ObjKind = "limit"
	ObjCTHelper ObjKind = "ct helper"
)

// ObjField is one "key value" line of an object.
type ObjField struct {
	Key   string
	Value Expr
}

// Rule is one nft rule. Origin is the iptables rule it came from.
type Rule struct {
	Origin parser.Pos
	// Origins are all the iptables rules the rule stands for, in their
	// order, when it stands for more than one (the optimizer folded them
	// into one rule); nil means Origin alone. Origin is always Origins[0].
	Origins []parser.Pos
	Stmts   []Stmt
	Comment string
	// Disabled, when set, is the reason the rule could not be translated;
	// the rule is then printed as a comment holding the original iptables
	// rule (Source) and never loaded (--allow-partial).
	Disabled string
	Source   string
}

// AllOrigins returns the iptables rules r stands for: Origins, or Origin.
func (r *Rule) AllOrigins() []parser.Pos {
	if len(r.Origins) > 0 {
		return r.Origins
	}
	return []parser.Pos{r.Origin}
}

// Stmt is a statement of a rule.
type Stmt interface{ stmt() }

// Expr is an expression: something loaded from the packet, or a value.
type Expr interface{ expr() }

// Op is a relational operator.
type Op string

// Relational operators. OpEq is printed as nothing.
const (
	OpEq      Op = "=="
	OpNe      Op = "!="
	OpLt      Op = "<"
	OpGt      Op = ">"
	OpLe      Op = "<="
	OpGe      Op = ">="
	OpNot     Op = "!"       // none of the flags: ct state ! new,related
	OpExists  Op = "exists"  // unary: tcp option / exthdr present
	OpMissing Op = "missing" // unary: absent
)

// ---- statements ----

// Match compares Left with Right.
type Match struct {
	Left  Expr
	Op    Op
	Right Expr
}

// Counter counts packets and bytes; the initial values carry iptables' counters.
type Counter struct {
	Packets, Bytes uint64
	Name           string // a named counter object, when set
	// Rule marks the counter of the iptables rule itself: it stands where
	// all of the rule's matches have matched, so it counts what
	// iptables' counter of the rule counts. A rule split over several
	// nft rules has other counters too (on the way into its sub-chains);
	// verify compares this one with iptables'.
	Rule bool
}

// VerdictKind is accept, drop, ...
type VerdictKind string

// Verdicts.
const (
	VerdictAccept   VerdictKind = "accept"
	VerdictDrop     VerdictKind = "drop"
	VerdictReturn   VerdictKind = "return"
	VerdictJump     VerdictKind = "jump"
	VerdictGoto     VerdictKind = "goto"
	VerdictContinue VerdictKind = "continue"
	VerdictQueue    VerdictKind = "queue"
)

// Verdict ends (or redirects) rule evaluation. It is also the value of a
// verdict map's element.
type Verdict struct {
	Kind  VerdictKind
	Chain string
}

// VMap looks Key up in a verdict map (a *SetRef, or a *SetLit of *Elem)
// and applies the verdict found; a packet whose key is not there goes on
// to the next rule (nft: KEY vmap MAP).
type VMap struct {
	Key Expr
	Map Expr
}

// Log logs the packet.
type Log struct {
	Prefix     *string
	Level      LogLevel
	Flags      LogFlags
	Group      *uint16
	Snaplen    *uint32
	QThreshold *uint16
}

// LogLevel is a syslog level of the log statement.
type LogLevel string

// Log levels; LogDefault is nft's default (warn).
const (
	LogDefault LogLevel = ""
	LogEmerg   LogLevel = "emerg"
	LogAlert   LogLevel = "alert"
	LogCrit    LogLevel = "crit"
	LogErr     LogLevel = "err"
	LogWarn    LogLevel = "warn"
	LogNotice  LogLevel = "notice"
	LogInfo    LogLevel = "info"
	LogDebug   LogLevel = "debug"
	LogAudit   LogLevel = "audit"
)

// LogFlags say what the log statement adds to its line.
type LogFlags uint8

// Log flags (nft: flags tcp sequence,options / ip options / skuid / ether;
// all of them: flags all).
const (
	LogTCPSequence LogFlags = 1 << iota
	LogTCPOptions
	LogIPOptions
	LogSkuid
	LogEther
	LogAll = LogTCPSequence | LogTCPOptions | LogIPOptions | LogSkuid | LogEther
)

// Limit is a token bucket rate limit.
type Limit struct {
	Rate  uint64
	Unit  TimeUnit
	Burst uint64 // 0: default
	Bytes bool   // rate/burst count bytes (Rate is in BytesUnit per Unit)
	Over  bool
	// BytesUnit and BurstUnit are the units of Rate and Burst when Bytes.
	BytesUnit ByteUnit
	BurstUnit ByteUnit
}

// TimeUnit is the period of a rate: second, minute, hour, day, week.
type TimeUnit string

// ByteUnit is a unit of a byte rate: bytes, kbytes, mbytes.
type ByteUnit string

// Reject rejects the packet.
type Reject struct {
	Kind RejectKind
	// Code is the ICMP code (a symbol of icmp_code, icmpv6_code or
	// icmpx_code) of the ICMP kinds.
	Code string
}

// RejectKind is what a reject sends.
type RejectKind string

// Reject kinds; RejectDefault is port unreachable in the table's family.
const (
	RejectDefault  RejectKind = ""
	RejectTCPReset RejectKind = "tcp reset"
	RejectICMP     RejectKind = "icmp"
	RejectICMPv6   RejectKind = "icmpv6"
	RejectICMPX    RejectKind = "icmpx"
)

// NATKind is snat, dnat, masquerade or redirect.
type NATKind string

// NAT kinds.
const (
	SNAT       NATKind = "snat"
	DNAT       NATKind = "dnat"
	Masquerade NATKind = "masquerade"
	Redirect   NATKind = "redirect"
)

// NAT rewrites addresses and ports.
type NAT struct {
	Kind   NATKind
	Family Family // ip/ip6 qualifier needed in inet tables; "" otherwise
	Addr   Expr   // nil: none
	Port   Expr   // nil: none
	Prefix bool   // NETMAP-style "prefix to"
	Flags  []NATFlag
}

// NATFlag is a flag of a NAT statement: random, fully-random, persistent.
type NATFlag string

// Assign sets a packet or connection field: meta mark set ..., ct mark set ...
type Assign struct {
	Left  Expr
	Value Expr
}

// Notrack exempts the packet from connection tracking.
type Notrack struct{}

// SetOp is add, update or delete.
type SetOp string

// Set statement operations.
const (
	SetAdd    SetOp = "add"
	SetUpdate SetOp = "update"
	SetDelete SetOp = "delete"
)

// SetStmt adds/updates/deletes an element of a named set from the packet path,
// optionally with per-element statements (limit, ct count, counter).
type SetStmt struct {
	Op      SetOp
	Set     string
	Key     Expr
	Timeout time.Duration
	Stmts   []Stmt
}

// Queue passes the packet to userspace.
type Queue struct {
	Num   Expr // nil: queue 0
	Flags []QueueFlag
}

// QueueFlag is a flag of the queue statement: bypass, fanout.
type QueueFlag string

// Dup duplicates the packet (TEE).
type Dup struct {
	Addr Expr
	Dev  Expr
}

// Tproxy redirects to a local socket.
type Tproxy struct {
	Family Family
	Addr   Expr
	Port   Expr
}

// Synproxy is the SYNPROXY target.
type Synproxy struct {
	MSS    *uint16
	Wscale *uint8
	Flags  []SynproxyFlag
}

// SynproxyFlag is a flag of the synproxy statement: timestamp, sack-perm.
type SynproxyFlag string

// Quota matches until (or after) a byte budget.
type Quota struct {
	Bytes uint64
	Over  bool
}

// ObjRef assigns a named stateful object: ct helper set "ftp", ct timeout set ...
type ObjRef struct {
	Kind ObjKind
	Name string
}

// CtCount is the "ct count [over] N" statement (nft_connlimit), used inside
// a set statement for connlimit.
type CtCount struct {
	N    uint64
	Over bool
}

func (*CtCount) stmt() {}

func (s *CtCount) nft() string {
	if s.Over {
		return "ct count over " + strconv.FormatUint(s.N, 10)
	}
	return "ct count " + strconv.FormatUint(s.N, 10)
}

func (*Match) stmt()    {}
func (*Counter) stmt()  {}
func (*Verdict) stmt()  {}
func (*Log) stmt()      {}
func (*Limit) stmt()    {}
func (*Reject) stmt()   {}
func (*NAT) stmt()      {}
func (*Assign) stmt()   {}
func (*Notrack) stmt()  {}
func (*SetStmt) stmt()  {}
func (*Queue) stmt()    {}
func (*Dup) stmt()      {}
func (*Tproxy) stmt()   {}
func (*Synproxy) stmt() {}
func (*Quota) stmt()    {}
func (*ObjRef) stmt()   {}
func (*VMap) stmt()     {}

// ---- expressions ----

// Payload is a header field: ip saddr, tcp dport, frag id (IPv6
// extension headers), tcp option maxseg size, sctp chunk data flags.
type Payload struct{ Field *desc.Field }

// Meta is a meta expression: meta mark, iifname, meta l4proto, ...
type Meta struct{ Key *desc.MetaKey }

// CT is a conntrack expression: ct state, ct original saddr, ...
type CT struct {
	Key *desc.CTKey
	Dir desc.Direction
}

// Fib is a fib lookup: fib daddr . iif type.
type Fib struct {
	Flags  []*desc.FibFlag // in the order they are written
	Result *desc.FibResult
}

// Exthdr is the presence of a header found by walking the packet: an IPv6
// extension header (exthdr frag), a TCP option (tcp option maxseg) or an
// SCTP chunk (sctp chunk init), compared with OpExists or OpMissing.
type Exthdr struct{ Hdr *desc.Proto }

// Socket is a socket lookup: socket transparent, socket mark, socket
// cgroupv2 level 2.
type Socket struct {
	Key   *desc.SocketKey
	Level uint32 // cgroupv2 only
}

// Rt is a routing expression: rt mtu, rt ipsec, rt classid.
type Rt struct{ Key *desc.RtKey }

// IpsecDir is the direction of an ipsec expression.
type IpsecDir string

// Ipsec directions.
const (
	IpsecIn  IpsecDir = "in"
	IpsecOut IpsecDir = "out"
)

// Ipsec is nft's ipsec (xfrm) expression: ipsec in reqid, ipsec out ip saddr.
type Ipsec struct {
	Dir IpsecDir
	Key *desc.IpsecKey
}

// Raw is a raw payload load of Len bits at bit Offset from a payload base:
// @nh,8,8.
type Raw struct {
	Base        desc.Base
	Offset, Len uint32
}

// Numgen is a number generator: numgen random mod 2.
type Numgen struct {
	Mode   string // random, inc
	Mod    uint32
	Offset uint32
}

// Hash is jhash/symhash.
type Hash struct {
	Kind   string // jhash, symhash
	Expr   Expr
	Mod    uint32
	Seed   *uint32
	Offset uint32
}

// Binop is a bitwise operation: Left & Right, |, ^, >>, <<.
type Binop struct {
	Op    string // "&", "|", "^", ">>", "<<"
	Left  Expr
	Right Expr
}

// Concat is a concatenation a . b.
type Concat struct{ Exprs []Expr }

// Int is an integer constant. Hex prints it as 0x...
type Int struct {
	V   uint64
	Hex bool
}

// Str is a quoted string constant (interface names, comments, helper names).
type Str struct{ V string }

// Addr is an address or prefix (a prefix prints with /len).
type Addr struct {
	Prefix netip.Prefix
}

// Sym is a symbolic constant of the type of the expression it is compared
// with: established, tcp, echo-request, local, host, ...
type Sym struct{ Name string }

// Flags is a combination of symbolic flags: established,related / syn,ack.
type Flags struct{ Names []string }

// MAC is an Ethernet address.
type MAC struct{ V [6]byte }

// Range is lo-hi.
type Range struct{ Lo, Hi Expr }

// SetLit is an anonymous set { a, b }.
type SetLit struct{ Elems []Expr }

// SetRef is a reference to a named set: @name.
type SetRef struct{ Name string }

// MapLookup is the value Key maps to in Map (a *SetRef, or a *SetLit of
// *Elem): nft's KEY map MAP. A packet whose key is not in the map ends the
// rule there, as a failed match does.
type MapLookup struct {
	Key Expr
	Map Expr
}

// Bitmask is the "value / mask" form used for tcp flags: syn / fin,syn,rst,ack.
type Bitmask struct{ Value, Mask Expr }

// Time is a duration constant (ct expiration 3s).
type Time struct{ D time.Duration }

// Clock is a time of day in the local time zone, as nft reads one
// (meta hour "08:00:00"); Secs counts from midnight.
type Clock struct{ Secs uint32 }

func (*Payload) expr()   {}
func (*Meta) expr()      {}
func (*CT) expr()        {}
func (*Fib) expr()       {}
func (*Exthdr) expr()    {}
func (*Socket) expr()    {}
func (*Numgen) expr()    {}
func (*Hash) expr()      {}
func (*Rt) expr()        {}
func (*Ipsec) expr()     {}
func (*Raw) expr()       {}
func (*Binop) expr()     {}
func (*Concat) expr()    {}
func (*Int) expr()       {}
func (*Str) expr()       {}
func (*Addr) expr()      {}
func (*Sym) expr()       {}
func (*Flags) expr()     {}
func (*MAC) expr()       {}
func (*Range) expr()     {}
func (*SetLit) expr()    {}
func (*SetRef) expr()    {}
func (*Bitmask) expr()   {}
func (*Time) expr()      {}
func (*Clock) expr()     {}
func (*Elem) expr()      {}
func (*MapLookup) expr() {}
func (*Verdict) expr()   {}
