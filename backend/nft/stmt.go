package nft

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"

	"github.com/xt2nft/xt2nft/translate"
	"github.com/xt2nft/xt2nft/translate/desc"
)

func (l *lowerer) stmt(st translate.Stmt) error {
	switch s := st.(type) {
	case *translate.Match:
		if err := l.match(s); err != nil {
			return err
		}
		l.noteContext(s)
		return nil
	case *translate.Counter:
		if s.Name != "" {
			l.emit(&expr.Objref{Type: unix.NFT_OBJECT_COUNTER, Name: s.Name})
			return nil
		}
		l.emit(put(&l.arena().counters, expr.Counter{Packets: s.Packets, Bytes: s.Bytes}))
		return nil
	case *translate.Verdict:
		return l.verdict(s)
	case *translate.VMap:
		if _, err := l.load(s.Key, 1); err != nil {
			return err
		}
		_, err := l.mapLookup(s.Map, 1, 0) // register 0: the verdict
		return err
	case *translate.Log:
		return l.log(s)
	case *translate.Limit:
		lim, err := limit(s)
		if err != nil {
			return err
		}
		l.emit(lim)
		return nil
	case *translate.Reject:
		return l.reject(s)
	case *translate.NAT:
		return l.nat(s)
	case *translate.Assign:
		return l.assign(s)
	case *translate.Notrack:
		l.emit(&expr.Notrack{})
		return nil
	case *translate.SetStmt:
		return l.setStmt(s)
	case *translate.Queue:
		return l.queue(s)
	case *translate.Quota:
		l.emit(&expr.Quota{Bytes: s.Bytes, Over: s.Over})
		return nil
	case *translate.ObjRef:
		types := map[translate.ObjKind]int{translate.ObjCounter: unix.NFT_OBJECT_COUNTER, translate.ObjQuota: unix.NFT_OBJECT_QUOTA,
			translate.ObjCTHelper: unix.NFT_OBJECT_CT_HELPER, translate.ObjLimit: unix.NFT_OBJECT_LIMIT}
		t, ok := types[s.Kind]
		if !ok {
			return fmt.Errorf("%s objects not supported by the netlink backend", s.Kind)
		}
		l.emit(&expr.Objref{Type: t, Name: s.Name})
		return nil
	case *translate.Tproxy:
		return l.tproxy(s)
	case *translate.Dup:
		return l.dup(s)
	case *translate.Synproxy:
		sp := &expr.SynProxy{}
		if s.MSS != nil {
			sp.Mss, sp.MssValueSet = *s.MSS, true
		}
		if s.Wscale != nil {
			sp.Wscale, sp.WscaleValueSet = *s.Wscale, true
		}
		for _, f := range s.Flags {
			switch f {
			case "timestamp":
				sp.Timestamp = true
			case "sack-perm":
				sp.SackPerm = true
			default:
				return fmt.Errorf("synproxy flag %s not supported", f)
			}
		}
		l.emit(sp)
		return nil
	case *translate.CtCount:
		var flags uint32
		if s.Over {
			flags = 1 // NFT_CONNLIMIT_F_INV
		}
		l.emit(&expr.Connlimit{Count: uint32(s.N), Flags: flags})
		return nil
	}
	return fmt.Errorf("statement %T not supported by the netlink backend", st)
}

var verdictKinds = map[translate.VerdictKind]expr.VerdictKind{
	translate.VerdictAccept: expr.VerdictAccept, translate.VerdictDrop: expr.VerdictDrop,
	translate.VerdictReturn: expr.VerdictReturn, translate.VerdictJump: expr.VerdictJump,
	translate.VerdictGoto: expr.VerdictGoto, translate.VerdictContinue: expr.VerdictContinue,
	translate.VerdictQueue: expr.VerdictQueue,
}

func (l *lowerer) verdict(v *translate.Verdict) error {
	k, ok := verdictKinds[v.Kind]
	if !ok {
		return fmt.Errorf("verdict %s not supported", v.Kind)
	}
	l.emit(put(&l.arena().verdicts, expr.Verdict{Kind: k, Chain: v.Chain}))
	return nil
}

var logLevels = map[translate.LogLevel]expr.LogLevel{
	translate.LogEmerg: expr.LogLevelEmerg, translate.LogAlert: expr.LogLevelAlert, translate.LogCrit: expr.LogLevelCrit,
	translate.LogErr: expr.LogLevelErr, translate.LogWarn: expr.LogLevelWarning, translate.LogNotice: expr.LogLevelNotice,
	translate.LogInfo: expr.LogLevelInfo, translate.LogDebug: expr.LogLevelDebug, translate.LogAudit: expr.LogLevelAudit,
}

var logFlags = []struct {
	ir translate.LogFlags
	nl expr.LogFlags
}{
	{translate.LogTCPSequence, expr.LogFlagsTCPSeq}, {translate.LogTCPOptions, expr.LogFlagsTCPOpt},
	{translate.LogIPOptions, expr.LogFlagsIPOpt}, {translate.LogSkuid, expr.LogFlagsUID}, {translate.LogEther, expr.LogFlagsMACDecode},
}

func (l *lowerer) log(s *translate.Log) error {
	lg := &expr.Log{}
	if s.Prefix != nil {
		lg.Key |= 1 << unix.NFTA_LOG_PREFIX
		lg.Data = []byte(*s.Prefix)
	}
	if s.Group != nil {
		lg.Key |= 1 << unix.NFTA_LOG_GROUP
		lg.Group = *s.Group
	}
	if s.Snaplen != nil {
		lg.Key |= 1 << unix.NFTA_LOG_SNAPLEN
		lg.Snaplen = *s.Snaplen
	}
	if s.QThreshold != nil {
		lg.Key |= 1 << unix.NFTA_LOG_QTHRESHOLD
		lg.QThreshold = *s.QThreshold
	}
	if s.Level != translate.LogDefault {
		lv, ok := logLevels[s.Level]
		if !ok {
			return fmt.Errorf("log level %s", s.Level)
		}
		lg.Key |= 1 << unix.NFTA_LOG_LEVEL
		lg.Level = lv
	}
	if s.Flags == translate.LogAll {
		lg.Key |= 1 << unix.NFTA_LOG_FLAGS
		lg.Flags = expr.LogFlagsMask
	} else {
		for _, f := range logFlags {
			if s.Flags&f.ir != 0 {
				lg.Key |= 1 << unix.NFTA_LOG_FLAGS
				lg.Flags |= f.nl
			}
		}
	}
	l.emit(lg)
	return nil
}

var limitUnits = map[translate.TimeUnit]expr.LimitTime{
	"second": expr.LimitTimeSecond, "minute": expr.LimitTimeMinute, "hour": expr.LimitTimeHour,
	"day": expr.LimitTimeDay, "week": expr.LimitTime(7 * 86400),
}

var byteUnits = map[translate.ByteUnit]uint64{"bytes": 1, "kbytes": 1024, "mbytes": 1024 * 1024}

// limit: packet limits default to a burst of 5, byte limits to 0 (nft).
func limit(s *translate.Limit) (*expr.Limit, error) {
	u, ok := limitUnits[s.Unit]
	if !ok {
		return nil, fmt.Errorf("limit unit %s", s.Unit)
	}
	lim := &expr.Limit{Type: expr.LimitTypePkts, Rate: s.Rate, Over: s.Over, Unit: u, Burst: uint32(s.Burst)}
	if s.Bytes {
		lim.Type = expr.LimitTypePktBytes
		lim.Rate = s.Rate * byteUnits[s.BytesUnit]
		if s.Burst > 0 {
			lim.Burst = uint32(s.Burst * byteUnits[s.BurstUnit])
		}
	} else if s.Burst == 0 {
		lim.Burst = 5
	}
	return lim, nil
}

func (l *lowerer) reject(s *translate.Reject) error {
	r := &expr.Reject{}
	var codes *desc.Type
	switch s.Kind {
	case translate.RejectDefault:
		// Port unreachable of the family: the table's, or in an inet
		// table the one the rule has established (ip saddr, meta nfproto),
		// as nft's evaluator picks it; else icmpx, whichever the packet's.
		switch {
		case l.fam == translate.FamilyIP || l.fam == translate.FamilyInet && l.l3 == unix.NFPROTO_IPV4:
			r.Type, r.Code = unix.NFT_REJECT_ICMP_UNREACH, 3
		case l.fam == translate.FamilyIP6 || l.fam == translate.FamilyInet && l.l3 == unix.NFPROTO_IPV6:
			r.Type, r.Code = unix.NFT_REJECT_ICMP_UNREACH, 4
		default:
			r.Type, r.Code = unix.NFT_REJECT_ICMPX_UNREACH, 1
		}
		l.emit(r)
		return nil
	case translate.RejectTCPReset:
		l.dependency(desc.TCP)
		r.Type = unix.NFT_REJECT_TCP_RST
		l.emit(r)
		return nil
	case translate.RejectICMP:
		r.Type, codes = unix.NFT_REJECT_ICMP_UNREACH, desc.ICMPCode
	case translate.RejectICMPv6:
		r.Type, codes = unix.NFT_REJECT_ICMP_UNREACH, desc.ICMP6Code
	case translate.RejectICMPX:
		r.Type, codes = unix.NFT_REJECT_ICMPX_UNREACH, desc.ICMPXCode
	default:
		return fmt.Errorf("reject with %s", s.Kind)
	}
	n, ok := codes.Symbol(s.Code)
	if !ok {
		return fmt.Errorf("%q is not a %s value", s.Code, codes.Name)
	}
	r.Code = uint8(n)
	l.emit(r)
	return nil
}

// immediate loads constant e (of type d) into reg.
func (l *lowerer) immediate(d *desc.Type, e translate.Expr, reg uint32) error {
	v, err := constant(d, e, 0)
	if err != nil {
		return err
	}
	l.emit(&expr.Immediate{Register: reg, Data: v})
	return nil
}

// value loads e into reg: a constant as an immediate, anything else
// through load.
func (l *lowerer) value(d *desc.Type, e translate.Expr, reg uint32) error {
	switch e.(type) {
	case *translate.Int, *translate.Sym, *translate.Str, *translate.Addr, *translate.Flags, *translate.MAC:
		return l.immediate(d, e, reg)
	}
	in, err := l.load(e, reg)
	if err != nil {
		return err
	}
	if in.dt != nil && in.dt.Host != d.Host && in.size > 1 {
		op := expr.ByteorderHton
		if d.Host {
			op = expr.ByteorderNtoh
		}
		l.emit(&expr.Byteorder{SourceRegister: reg, DestRegister: reg, Op: op, Len: uint32(in.size), Size: uint32(in.size)})
	}
	return nil
}

func (l *lowerer) nat(s *translate.NAT) error {
	switch s.Kind {
	case translate.Masquerade, translate.Redirect:
		var pmin, pmax uint32
		if s.Port != nil {
			var err error
			if pmin, pmax, err = l.natRange(desc.InetService, s.Port, 1); err != nil {
				return err
			}
		}
		flags, err := natFlags(s.Flags)
		if err != nil {
			return err
		}
		if s.Kind == translate.Masquerade {
			m := &expr.Masq{RegProtoMin: pmin, RegProtoMax: pmax, ToPorts: pmin != 0}
			m.Random = flags&unix.NF_NAT_RANGE_PROTO_RANDOM != 0
			m.FullyRandom = flags&unix.NF_NAT_RANGE_PROTO_RANDOM_FULLY != 0
			m.Persistent = flags&unix.NF_NAT_RANGE_PERSISTENT != 0
			l.emit(m)
			return nil
		}
		if pmin != 0 {
			flags |= unix.NF_NAT_RANGE_PROTO_SPECIFIED
		}
		l.emit(&expr.Redir{RegisterProtoMin: pmin, RegisterProtoMax: pmax, Flags: flags})
		return nil
	}
	n := &expr.NAT{Type: expr.NATTypeSourceNAT}
	if s.Kind == translate.DNAT {
		n.Type = expr.NATTypeDestNAT
	}
	fam := l.fam
	if s.Family != "" {
		fam = s.Family
	}
	addrType := desc.IPv4Addr
	n.Family = unix.NFPROTO_IPV4
	if fam == translate.FamilyIP6 {
		addrType, n.Family = desc.IPv6Addr, unix.NFPROTO_IPV6
	}
	reg := uint32(1)
	if s.Addr != nil {
		if s.Prefix {
			a, ok := s.Addr.(*translate.Addr)
			if !ok {
				return fmt.Errorf("prefix NAT needs a prefix")
			}
			lo, hi, err := bounds(loaded{dt: addrType, size: addrType.Bytes()}, a)
			if err != nil {
				return err
			}
			l.emit(&expr.Immediate{Register: 1, Data: lo}, &expr.Immediate{Register: 2, Data: hi})
			n.RegAddrMin, n.RegAddrMax, reg = 1, 2, 3
			n.Prefix = true
		} else {
			min, max, err := l.natRange(addrType, s.Addr, reg)
			if err != nil {
				return err
			}
			n.RegAddrMin, n.RegAddrMax = min, max
			reg = 2
			if max != 0 {
				reg = 3
			}
			if m, ok := s.Addr.(*translate.MapLookup); ok && s.Port == nil && l.mapGivesPort(m) {
				// address . port from one map: the port is the second
				// 32-bit word of the value (nft: proto_min reg 9).
				n.RegProtoMin, n.Specified = 9, true
			}
		}
	}
	if s.Port != nil {
		min, max, err := l.natRange(desc.InetService, s.Port, reg)
		if err != nil {
			return err
		}
		n.RegProtoMin, n.RegProtoMax = min, max
		n.Specified = true
	}
	flags, err := natFlags(s.Flags)
	if err != nil {
		return err
	}
	n.Random = flags&unix.NF_NAT_RANGE_PROTO_RANDOM != 0
	n.FullyRandom = flags&unix.NF_NAT_RANGE_PROTO_RANDOM_FULLY != 0
	n.Persistent = flags&unix.NF_NAT_RANGE_PERSISTENT != 0
	l.emit(n)
	return nil
}

// mapGivesPort reports whether a NAT map's values are address . port.
func (l *lowerer) mapGivesPort(m *translate.MapLookup) bool {
	ref, ok := m.Map.(*translate.SetRef)
	if !ok {
		return false
	}
	sp := l.sets[ref.Name]
	return sp != nil && len(sp.data) == 2
}

// natRange loads a NAT address or port (or range) into reg (and reg+1).
func (l *lowerer) natRange(d *desc.Type, e translate.Expr, reg uint32) (min, max uint32, err error) {
	if r, ok := e.(*translate.Range); ok {
		if err := l.immediate(d, r.Lo, reg); err != nil {
			return 0, 0, err
		}
		if err := l.immediate(d, r.Hi, reg+1); err != nil {
			return 0, 0, err
		}
		return reg, reg + 1, nil
	}
	if err := l.value(d, e, reg); err != nil {
		return 0, 0, err
	}
	return reg, 0, nil
}

func natFlags(fs []translate.NATFlag) (uint32, error) {
	var f uint32
	for _, s := range fs {
		switch s {
		case "random":
			f |= unix.NF_NAT_RANGE_PROTO_RANDOM
		case "fully-random":
			f |= unix.NF_NAT_RANGE_PROTO_RANDOM_FULLY
		case "persistent":
			f |= unix.NF_NAT_RANGE_PERSISTENT
		default:
			return 0, fmt.Errorf("nat flag %s not supported", s)
		}
	}
	return f, nil
}

// assign lowers "meta mark set ...", "ct mark set ...", header writes.
func (l *lowerer) assign(s *translate.Assign) error {
	switch left := s.Left.(type) {
	case *translate.Meta:
		if err := l.value(left.Key.Type, s.Value, 1); err != nil {
			return err
		}
		l.emit(&expr.Meta{Key: expr.MetaKey(left.Key.Key), SourceRegister: true, Register: 1})
		return nil
	case *translate.CT:
		if left.Dir != desc.CTAnyDir {
			return fmt.Errorf("ct %s %s set not supported", left.Dir, left.Key.Name)
		}
		if left.Key == desc.CTLabel {
			n, ok := s.Value.(*translate.Int)
			if !ok || n.V >= 128 {
				return fmt.Errorf("ct label set needs a bit number")
			}
			b := make([]byte, 16)
			b[n.V/8] |= 1 << (n.V % 8)
			l.emit(&expr.Immediate{Register: 1, Data: b})
		} else if err := l.value(left.Key.Type, s.Value, 1); err != nil {
			return err
		}
		l.emit(&expr.Ct{Key: expr.CtKey(left.Key.Key), SourceRegister: true, Register: 1})
		return nil
	case *translate.Payload:
		return l.payloadWrite(left.Field, s.Value)
	}
	return fmt.Errorf("%s set not supported", translate.RenderExpr(s.Left))
}

// payloadWrite sets a header field, fixing the IPv4 header checksum; a
// sub-byte field is merged into the bytes around it. A TCP option field is
// written in place (tcp option maxseg size set ...).
func (l *lowerer) payloadWrite(f *desc.Field, value translate.Expr) error {
	p := f.Proto
	switch p.Kind {
	case desc.TCPOption:
		l.dependency(p.Parent)
		if err := l.value(f.Type, value, 1); err != nil {
			return err
		}
		l.emit(&expr.Exthdr{SourceRegister: 1, Type: p.Number, Offset: f.Offset / 8, Len: f.Len / 8, Op: expr.ExthdrOpTcpopt})
		return nil
	case desc.Payload:
	default:
		return fmt.Errorf("%s set not supported", f)
	}
	l.dependency(p)
	base := payloadBases[p.Base]
	// nft writes whole 16-bit words so the checksum update is word-aligned.
	start := f.Offset / 8
	end := (f.Offset + f.Len + 7) / 8
	if start%2 == 1 {
		start--
	}
	if (end-start)%2 == 1 {
		end++
	}
	size := end - start
	shift := uint(size*8 - (f.Offset - start*8) - f.Len)
	pw := &expr.Payload{OperationType: expr.PayloadWrite, SourceRegister: 1, Base: base, Offset: start, Len: size}
	if p == desc.IP {
		pw.CsumType, pw.CsumOffset = expr.CsumTypeInet, 10
	}
	if size*8 == f.Len && f.Offset%8 == 0 {
		if err := l.value(f.Type, value, 1); err != nil {
			return err
		}
		l.emit(pw)
		return nil
	}
	v, err := constantN(f.Type, value, shift, int(size))
	if err != nil {
		return err
	}
	fieldMask := intBytes(((uint64(1)<<f.Len)-1)<<shift, int(size), false)
	keep := make([]byte, size)
	for i := range keep {
		keep[i] = ^fieldMask[i]
	}
	l.emit(&expr.Payload{DestRegister: 1, Base: base, Offset: start, Len: size},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: size, Mask: keep, Xor: v}, pw)
	return nil
}

func (l *lowerer) setStmt(s *translate.SetStmt) error {
	sp, err := l.namedSet(s.Set)
	if err != nil {
		return err
	}
	if _, err := l.load(s.Key, 1); err != nil {
		return err
	}
	ops := map[translate.SetOp]uint32{translate.SetAdd: unix.NFT_DYNSET_OP_ADD, translate.SetUpdate: unix.NFT_DYNSET_OP_UPDATE,
		translate.SetDelete: nftDynsetOpDelete}
	d := &expr.Dynset{SrcRegKey: 1, SetName: sp.Set.Name, SetID: sp.Set.ID, Operation: ops[s.Op], Timeout: s.Timeout}
	for _, st := range s.Stmts {
		sub := &lowerer{fam: l.fam, table: l.table, sets: l.sets}
		if err := sub.stmt(st); err != nil {
			return err
		}
		d.Exprs = append(d.Exprs, sub.out...)
	}
	l.emit(d)
	return nil
}

// nftDynsetOpDelete is NFT_DYNSET_OP_DELETE (kernel 5.4; not in x/sys/unix v0.28).
const nftDynsetOpDelete = 2

func (l *lowerer) queue(s *translate.Queue) error {
	q := &expr.Queue{}
	for _, f := range s.Flags {
		switch f {
		case "bypass":
			q.Flag |= expr.QueueFlagBypass
		case "fanout":
			q.Flag |= expr.QueueFlagFanout
		default:
			return fmt.Errorf("queue flag %s", f)
		}
	}
	switch n := s.Num.(type) {
	case nil:
	case *translate.Int:
		q.Num = uint16(n.V)
	case *translate.Range:
		lo, ok1 := n.Lo.(*translate.Int)
		hi, ok2 := n.Hi.(*translate.Int)
		if !ok1 || !ok2 {
			return fmt.Errorf("queue range")
		}
		q.Num, q.Total = uint16(lo.V), uint16(hi.V-lo.V+1)
	default:
		return fmt.Errorf("queue to %s not supported", translate.RenderExpr(s.Num))
	}
	l.emit(q)
	return nil
}

func (l *lowerer) tproxy(s *translate.Tproxy) error {
	t := &expr.TProxy{TableFamily: byte(families[l.fam])}
	fam := s.Family
	if fam == "" {
		fam = l.fam
	}
	t.Family = byte(unix.NFPROTO_IPV4)
	addr := desc.IPv4Addr
	if fam == translate.FamilyIP6 {
		t.Family, addr = byte(unix.NFPROTO_IPV6), desc.IPv6Addr
	}
	switch {
	case l.fam != translate.FamilyInet:
		t.Family = byte(families[l.fam])
	case s.Family == "":
		// A port only, in an inet table: for both families, as nft
		// writes "tproxy to :PORT" there.
		t.Family = byte(unix.NFPROTO_UNSPEC)
	}
	reg := uint32(1)
	if s.Addr != nil {
		if err := l.immediate(addr, s.Addr, reg); err != nil {
			return err
		}
		t.RegAddr = reg
		reg++
	}
	if s.Port != nil {
		if err := l.immediate(desc.InetService, s.Port, reg); err != nil {
			return err
		}
		t.RegPort = reg
	}
	l.emit(t)
	return nil
}

func (l *lowerer) dup(s *translate.Dup) error {
	addr := desc.IPv4Addr
	if l.fam == translate.FamilyIP6 {
		addr = desc.IPv6Addr
	}
	if err := l.immediate(addr, s.Addr, 1); err != nil {
		return err
	}
	d := &expr.Dup{RegAddr: 1}
	if s.Dev != nil {
		str, ok := s.Dev.(*translate.Str)
		if !ok {
			return fmt.Errorf("dup device must be a name")
		}
		// nft resolves the device name to its index when the rule is added.
		idx, err := ifIndex(str.V)
		if err != nil {
			return err
		}
		l.emit(&expr.Immediate{Register: 2, Data: intBytes(uint64(idx), 4, true)})
		d.RegDev, d.IsRegDevSet = 2, true
	}
	l.emit(d)
	return nil
}

// ifIndex is replaced in tests; dup device needs the interface to exist.
var ifIndex = func(name string) (int, error) {
	if n, err := strconv.Atoi(strings.TrimSpace(name)); err == nil {
		return n, nil
	}
	return 0, fmt.Errorf("dup to device %q: device names are resolved by nft, not supported by the netlink backend", name)
}
