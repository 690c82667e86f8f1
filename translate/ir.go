package translate

import (
	"net/netip"
	"strconv"
	"time"

	"github.com/xt2nft/xt2nft/parser"
)

// The IR is structured data: every value is typed, and nothing in it is a
// fragment of nft syntax. render.go prints it as nft text; backend/nft lowers
// the same values to netlink expressions.

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

// Ruleset is a whole translation: the tables xt2nft owns.
type Ruleset struct {
	Tables []*Table
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
	Name    string
	Typeof  []Expr   // key as typeof expressions (concatenated when several)
	Type    []string // key as nft data types (ipv4_addr, ...), when Typeof is nil
	Flags   []string // constant, interval, timeout, dynamic
	Timeout time.Duration
	Size    int
	Comment string
	Elems   []Expr
	Origin  parser.Pos
}

// Object is a stateful named object (counter, quota, ct helper, ...).
type Object struct {
	Kind   string // "counter", "quota", "ct helper", "ct timeout"
	Name   string
	Fields []ObjField
	Origin parser.Pos
}

// ObjField is one "key value" line of an object.
type ObjField struct {
	Key   string
	Value Expr
}

// Rule is one nft rule. Origin is the iptables rule it came from.
type Rule struct {
	Origin  parser.Pos
	Stmts   []Stmt
	Comment string
	// Disabled, when set, is the reason the rule could not be translated;
	// the rule is then printed as a comment holding the original iptables
	// rule (Source) and never loaded (--allow-partial).
	Disabled string
	Source   string
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

// Verdict ends (or redirects) rule evaluation.
type Verdict struct {
	Kind  VerdictKind
	Chain string
}

// Log logs the packet.
type Log struct {
	Prefix     *string
	Level      string // emerg ... debug, audit; "" for the default (warn)
	Flags      []string
	Group      *uint16
	Snaplen    *uint32
	QThreshold *uint16
}

// Limit is a token bucket rate limit.
type Limit struct {
	Rate  uint64
	Unit  string // second, minute, hour, day, week
	Burst uint64 // 0: default
	Bytes bool   // rate/burst count bytes (Rate is in BytesUnit per Unit)
	Over  bool
	// BytesUnit is "bytes", "kbytes" or "mbytes" when Bytes.
	BytesUnit string
	BurstUnit string
}

// Reject rejects the packet.
type Reject struct {
	Type string // "", "icmp", "icmpv6", "icmpx", "tcp reset"
	Code string // e.g. port-unreachable
}

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
	Flags  []string
}

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
	Flags []string
}

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
	Flags  []string
}

// Quota matches until (or after) a byte budget.
type Quota struct {
	Bytes uint64
	Over  bool
}

// ObjRef assigns a named stateful object: ct helper set "ftp", ct timeout set ...
type ObjRef struct {
	Kind string // "ct helper", "ct timeout", "ct expectation", "counter", "quota"
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

// ---- expressions ----

// Payload is a header field: ip saddr, tcp dport, ip6 nexthdr, ah spi, ...
type Payload struct {
	Proto string
	Field string
}

// Meta is a meta expression: meta mark, iifname, meta l4proto, ...
type Meta struct{ Key string }

// CT is a conntrack expression: ct state, ct original saddr, ...
type CT struct {
	Key string
	Dir string // "", "original", "reply"
}

// Fib is a fib lookup: fib daddr . iif type.
type Fib struct {
	Flags  []string // saddr/daddr, mark, iif/oif
	Result string   // type, oif, oifname
}

// Exthdr is an extension header or TCP option: "tcp option 23", "exthdr frag", "rt0 addr[1]".
type Exthdr struct {
	Hdr   string // "tcp option", "exthdr", or a header name
	Name  string // option or header name/number
	Field string // "" for presence checks
}

// Socket is a socket lookup: socket transparent, socket mark.
type Socket struct{ Key string }

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

// Osf, Rt, Ipsec and other rarely used loads use Named.

// Named is a load expression spelled as keywords with no special rendering
// (rt classid, ipsec in reqid, time hour, meta cpu ...). Words are the
// expression's keywords in order.
type Named struct{ Words []string }

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

// Bitmask is the "value / mask" form used for tcp flags: syn / fin,syn,rst,ack.
type Bitmask struct{ Value, Mask Expr }

// Time is a duration or time of day constant used by meta time/hour.
type Time struct{ V string }

func (*Payload) expr() {}
func (*Meta) expr()    {}
func (*CT) expr()      {}
func (*Fib) expr()     {}
func (*Exthdr) expr()  {}
func (*Socket) expr()  {}
func (*Numgen) expr()  {}
func (*Hash) expr()    {}
func (*Named) expr()   {}
func (*Binop) expr()   {}
func (*Concat) expr()  {}
func (*Int) expr()     {}
func (*Str) expr()     {}
func (*Addr) expr()    {}
func (*Sym) expr()     {}
func (*Flags) expr()   {}
func (*MAC) expr()     {}
func (*Range) expr()   {}
func (*SetLit) expr()  {}
func (*SetRef) expr()  {}
func (*Bitmask) expr() {}
func (*Time) expr()    {}
