package nft

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"

	"github.com/xt2nft/xt2nft/translate"
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
		l.emit(&expr.Counter{Packets: s.Packets, Bytes: s.Bytes})
		return nil
	case *translate.Verdict:
		return l.verdict(s)
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
		types := map[string]int{"counter": unix.NFT_OBJECT_COUNTER, "quota": unix.NFT_OBJECT_QUOTA,
			"ct helper": unix.NFT_OBJECT_CT_HELPER, "limit": unix.NFT_OBJECT_LIMIT}
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

func (l *lowerer) verdict(v *translate.Verdict) error {
	kinds := map[translate.VerdictKind]expr.VerdictKind{
		translate.VerdictAccept: expr.VerdictAccept, translate.VerdictDrop: expr.VerdictDrop,
		translate.VerdictReturn: expr.VerdictReturn, translate.VerdictJump: expr.VerdictJump,
		translate.VerdictGoto: expr.VerdictGoto, translate.VerdictContinue: expr.VerdictContinue,
		translate.VerdictQueue: expr.VerdictQueue,
	}
	k, ok := kinds[v.Kind]
	if !ok {
		return fmt.Errorf("verdict %s not supported", v.Kind)
	}
	l.emit(&expr.Verdict{Kind: k, Chain: v.Chain})
	return nil
}

var logLevels = map[string]expr.LogLevel{
	"emerg": expr.LogLevelEmerg, "alert": expr.LogLevelAlert, "crit": expr.LogLevelCrit, "err": expr.LogLevelErr,
	"warn": expr.LogLevelWarning, "notice": expr.LogLevelNotice, "info": expr.LogLevelInfo,
	"debug": expr.LogLevelDebug, "audit": expr.LogLevelAudit,
}

var logFlags = map[string]expr.LogFlags{
	"tcp sequence": expr.LogFlagsTCPSeq, "tcp options": expr.LogFlagsTCPOpt, "ip options": expr.LogFlagsIPOpt,
	"skuid": expr.LogFlagsUID, "ether": expr.LogFlagsMACDecode, "all": expr.LogFlagsMask,
	"tcp sequence,options": expr.LogFlagsTCPSeq | expr.LogFlagsTCPOpt,
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
	if s.Level != "" {
		lv, ok := logLevels[s.Level]
		if !ok {
			return fmt.Errorf("log level %s", s.Level)
		}
		lg.Key |= 1 << unix.NFTA_LOG_LEVEL
		lg.Level = lv
	}
	for _, f := range s.Flags {
		fl, ok := logFlags[f]
		if !ok {
			return fmt.Errorf("log flags %s not supported", f)
		}
		lg.Key |= 1 << unix.NFTA_LOG_FLAGS
		lg.Flags |= fl
	}
	l.emit(lg)
	return nil
}

var limitUnits = map[string]expr.LimitTime{
	"second": expr.LimitTimeSecond, "minute": expr.LimitTimeMinute, "hour": expr.LimitTimeHour,
	"day": expr.LimitTimeDay, "week": expr.LimitTime(7 * 86400),
}

var byteUnits = map[string]uint64{"bytes": 1, "kbytes": 1024, "mbytes": 1024 * 1024}

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
	switch s.Type {
	case "":
		switch l.fam {
		case translate.FamilyIP:
			r.Type, r.Code = unix.NFT_REJECT_ICMP_UNREACH, 3
		case translate.FamilyIP6:
			r.Type, r.Code = unix.NFT_REJECT_ICMP_UNREACH, 4
		default:
			r.Type, r.Code = unix.NFT_REJECT_ICMPX_UNREACH, 1
		}
	case "tcp reset":
		if err := l.dependency("tcp", expr.PayloadBaseTransportHeader); err != nil {
			return err
		}
		r.Type = unix.NFT_REJECT_TCP_RST
	case "icmp", "icmpv6", "icmpx", "icmp type", "icmpv6 type", "icmpx type":
		typ := strings.TrimSuffix(s.Type, " type")
		d := map[string]*dtype{"icmp": tICMPCode, "icmpv6": tICMP6Code, "icmpx": tICMPXCode}[typ]
		r.Type = unix.NFT_REJECT_ICMP_UNREACH
		if typ == "icmpx" {
			r.Type = unix.NFT_REJECT_ICMPX_UNREACH
		}
		n, err := symbol(d, s.Code)
		if err != nil {
			return err
		}
		r.Code = uint8(n)
	default:
		return fmt.Errorf("reject with %s", s.Type)
	}
	l.emit(r)
	return nil
}

// immediate loads constant e (of type d) into reg.
func (l *lowerer) immediate(d *dtype, e translate.Expr, reg uint32) error {
	v, err := constant(d, e, 0)
	if err != nil {
		return err
	}
	l.emit(&expr.Immediate{Register: reg, Data: v})
	return nil
}

// value loads e into reg: a constant as an immediate, anything else
// through load.
func (l *lowerer) value(d *dtype, e translate.Expr, reg uint32) error {
	switch e.(type) {
	case *translate.Int, *translate.Sym, *translate.Str, *translate.Addr, *translate.Flags, *translate.MAC:
		return l.immediate(d, e, reg)
	}
	in, err := l.load(e, reg)
	if err != nil {
		return err
	}
	if in.dt != nil && in.dt.host != d.host && in.size > 1 {
		op := expr.ByteorderHton
		if d.host {
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
			if pmin, pmax, err = l.natRange(tService, s.Port, 1); err != nil {
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
	addrType := tIPv4
	n.Family = unix.NFPROTO_IPV4
	if fam == translate.FamilyIP6 {
		addrType, n.Family = tIPv6, unix.NFPROTO_IPV6
	}
	reg := uint32(1)
	if s.Addr != nil {
		if s.Prefix {
			a, ok := s.Addr.(*translate.Addr)
			if !ok {
				return fmt.Errorf("prefix NAT needs a prefix")
			}
			lo, hi, err := bounds(loaded{dt: addrType, size: addrType.bytes()}, a)
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
		}
	}
	if s.Port != nil {
		min, max, err := l.natRange(tService, s.Port, reg)
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

// natRange loads a NAT address or port (or range) into reg (and reg+1).
func (l *lowerer) natRange(d *dtype, e translate.Expr, reg uint32) (min, max uint32, err error) {
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

func natFlags(fs []string) (uint32, error) {
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
		k, ok := metaKeys[left.Key]
		if !ok {
			return fmt.Errorf("meta %s set not supported", left.Key)
		}
		if err := l.value(k.dt, s.Value, 1); err != nil {
			return err
		}
		l.emit(&expr.Meta{Key: k.key, SourceRegister: true, Register: 1})
		return nil
	case *translate.CT:
		if left.Dir != "" {
			return fmt.Errorf("ct %s %s set not supported", left.Dir, left.Key)
		}
		k, ok := ctKeys[left.Key]
		if !ok {
			return fmt.Errorf("ct %s set not supported", left.Key)
		}
		if left.Key == "label" {
			n, ok := s.Value.(*translate.Int)
			if !ok || n.V >= 128 {
				return fmt.Errorf("ct label set needs a bit number")
			}
			b := make([]byte, 16)
			b[n.V/8] |= 1 << (n.V % 8)
			l.emit(&expr.Immediate{Register: 1, Data: b})
		} else if err := l.value(k.dt, s.Value, 1); err != nil {
			return err
		}
		l.emit(&expr.Ct{Key: k.key, SourceRegister: true, Register: 1})
		return nil
	case *translate.Payload:
		return l.payloadWrite(left, s.Value)
	case *translate.Exthdr:
		if left.Hdr != "tcp option" {
			return fmt.Errorf("%s set not supported", left.Hdr)
		}
		opt, ok := tcpOptions[left.Name]
		if !ok {
			return fmt.Errorf("tcp option %s", left.Name)
		}
		f, ok := opt.fields[left.Field]
		if !ok {
			return fmt.Errorf("tcp option %s %s", left.Name, left.Field)
		}
		if err := l.dependency("tcp", expr.PayloadBaseTransportHeader); err != nil {
			return err
		}
		if err := l.value(f.dt, s.Value, 1); err != nil {
			return err
		}
		l.emit(&expr.Exthdr{SourceRegister: 1, Type: opt.kind, Offset: f.off, Len: f.len, Op: expr.ExthdrOpTcpopt})
		return nil
	}
	return fmt.Errorf("%s set not supported", translate.RenderExpr(s.Left))
}

// payloadWrite sets a header field, fixing the IPv4 header checksum; a
// sub-byte field is merged into the bytes around it.
func (l *lowerer) payloadWrite(p *translate.Payload, value translate.Expr) error {
	fields, ok := payloadFields[p.Proto]
	if !ok {
		return fmt.Errorf("protocol %s not supported", p.Proto)
	}
	f, ok := fields[p.Field]
	if !ok {
		return fmt.Errorf("%s %s not supported", p.Proto, p.Field)
	}
	if err := l.dependency(p.Proto, f.base); err != nil {
		return err
	}
	// nft writes whole 16-bit words so the checksum update is word-aligned.
	start := f.off / 8
	end := (f.off + f.len + 7) / 8
	if start%2 == 1 {
		start--
	}
	if (end-start)%2 == 1 {
		end++
	}
	size := end - start
	shift := uint(size*8 - (f.off - start*8) - f.len)
	pw := &expr.Payload{OperationType: expr.PayloadWrite, SourceRegister: 1, Base: f.base, Offset: start, Len: size}
	if p.Proto == "ip" {
		pw.CsumType, pw.CsumOffset = expr.CsumTypeInet, 10
	}
	if size*8 == f.len && f.off%8 == 0 {
		if err := l.value(f.dt, value, 1); err != nil {
			return err
		}
		l.emit(pw)
		return nil
	}
	v, err := constantN(f.dt, value, shift, int(size))
	if err != nil {
		return err
	}
	fieldMask := intBytes(((uint64(1)<<f.len)-1)<<shift, int(size), false)
	keep := make([]byte, size)
	for i := range keep {
		keep[i] = ^fieldMask[i]
	}
	l.emit(&expr.Payload{DestRegister: 1, Base: f.base, Offset: start, Len: size},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: size, Mask: keep, Xor: v}, pw)
	return nil
}

func (l *lowerer) setStmt(s *translate.SetStmt) error {
	sp, err := l.namedSet(s.Set)
	if err != nil {
		return err
	}
	in, err := l.load(s.Key, 1)
	if err != nil {
		return err
	}
	_ = in
	ops := map[translate.SetOp]uint32{translate.SetAdd: unix.NFT_DYNSET_OP_ADD, translate.SetUpdate: unix.NFT_DYNSET_OP_UPDATE, translate.SetDelete: 2}
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
	addr := tIPv4
	if fam == translate.FamilyIP6 {
		t.Family, addr = byte(unix.NFPROTO_IPV6), tIPv6
	}
	if l.fam != translate.FamilyInet {
		t.Family = byte(families[l.fam])
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
		if err := l.immediate(tService, s.Port, reg); err != nil {
			return err
		}
		t.RegPort = reg
	}
	l.emit(t)
	return nil
}

func (l *lowerer) dup(s *translate.Dup) error {
	addr := tIPv4
	if l.fam == translate.FamilyIP6 {
		addr = tIPv6
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
