package translate

// -j LOG, -j NFLOG, -j ULOG and -j AUDIT.
// iptables-extensions(8) LOG/NFLOG/ULOG/AUDIT; nft(8) LOG STATEMENT.
//
// LOG becomes "log [prefix P] [level L] [flags ...]": both go through the
// kernel's nf_log_syslog with the same prefix, level and NF_LOG_* flags
// (--log-tcp-sequence, --log-tcp-options, --log-ip-options, --log-uid,
// --log-macdecode become "flags tcp sequence,options", "flags ip options",
// "flags skuid", "flags ether"; all five print as "flags all"). Level 4
// (warning) is nft's default and is omitted. NFLOG becomes
// "log group N [prefix P] [snaplen S] [queue-threshold T]" (nfnetlink_log
// with the same fields; --nflog-range never had an effect in the kernel, as
// its man page says, and is dropped). AUDIT becomes "log level audit": since
// Linux 4.12 both emit the same AUDIT_NETFILTER_PKT record and --type is
// ignored by the kernel. ULOG (ipt_ULOG) was removed from Linux 3.17 and
// is refused. All are non-terminal in both worlds.
// Approximate: a prefix holding a double quote (nft strings cannot) gets
// single quotes instead.

import (
	"strconv"
	"strings"

	"github.com/xt2nft/xt2nft/parser"
)

// tgLogLevels maps xtables' syslog level words and numbers (xtoptions.c
// xtopt_parse_sysloglevel) to nft level names; "" is the default (warn).
var tgLogLevels = map[string]LogLevel{
	"0": LogEmerg, "1": LogAlert, "2": LogCrit, "3": LogErr, "4": LogDefault, "5": LogNotice, "6": LogInfo, "7": LogDebug,
	"emerg": LogEmerg, "panic": LogEmerg, "alert": LogAlert, "crit": LogCrit, "error": LogErr,
	"warning": LogDefault, "notice": LogNotice, "info": LogInfo, "debug": LogDebug,
}

func tgLogPrefix(c *ctx, o *parser.Option, max int) (*string, error) {
	s := o.Arg(0)
	if s == "" || strings.Contains(s, "\n") {
		return nil, c.badValue(o, "prefix")
	}
	if len(s) > max {
		// iptables copies at most max bytes into the kernel's structure.
		s = s[:max]
		c.note(o.Pos, "--%s truncated to %d bytes, as iptables stores it", o.Name, max)
	}
	if strings.Contains(s, `"`) {
		s = strings.ReplaceAll(s, `"`, `'`)
		c.approx(o.Pos, "double quotes in the log prefix became single quotes (nft strings cannot contain them)")
	}
	return &s, nil
}

func tgLOG(c *ctx, t *parser.Target) error {
	l := &Log{}
	for _, o := range t.Options {
		switch o.Name {
		case "log-level":
			lv, ok := tgLogLevels[o.Arg(0)]
			if n, isNum := tgUint(o.Arg(0), 7); isNum {
				lv, ok = tgLogLevels[strconv.FormatUint(n, 10)], true
			}
			if !ok {
				return c.badValue(o, "log level")
			}
			l.Level = lv
		case "log-prefix":
			p, err := tgLogPrefix(c, o, 29)
			if err != nil {
				return err
			}
			l.Prefix = p
		case "log-tcp-sequence":
			l.Flags |= LogTCPSequence
		case "log-tcp-options":
			l.Flags |= LogTCPOptions
		case "log-ip-options":
			l.Flags |= LogIPOptions
		case "log-uid":
			l.Flags |= LogSkuid
		case "log-macdecode":
			l.Flags |= LogEther
		}
	}
	c.add(l)
	return nil
}

func tgNFLOG(c *ctx, t *parser.Target) error {
	var group uint16
	l := &Log{Group: &group}
	for _, o := range t.Options {
		switch o.Name {
		case "nflog-group":
			n, err := tgOptUint(c, o, 0xffff, "group")
			if err != nil {
				return err
			}
			group = uint16(n)
		case "nflog-prefix":
			p, err := tgLogPrefix(c, o, 63)
			if err != nil {
				return err
			}
			l.Prefix = p
		case "nflog-range":
			// Sets the copy length without XT_NFLOG_F_COPY_LEN: the kernel
			// ignores it ("This option has never worked").
			if _, err := tgOptUint(c, o, 0xffffffff, "size"); err != nil {
				return err
			}
		case "nflog-size":
			n, err := tgOptUint(c, o, 0xffffffff, "size")
			if err != nil {
				return err
			}
			s := uint32(n)
			l.Snaplen = &s
		case "nflog-threshold":
			n, err := tgOptUint(c, o, 0xffff, "threshold")
			if err != nil {
				return err
			}
			q := uint16(n)
			l.QThreshold = &q
		}
	}
	c.add(l)
	return nil
}

func tgULOG(c *ctx, t *parser.Target) error {
	return c.unsupported(t.Pos, "ULOG (ipt_ULOG) was removed from Linux 3.17 and has no nft form; use NFLOG (nft \"log group N\")")
}

func tgAUDIT(c *ctx, t *parser.Target) error {
	if o := t.Opt("type"); o != nil {
		switch strings.ToLower(o.Arg(0)) {
		case "accept", "drop", "reject":
		default:
			return c.badValue(o, "audit type")
		}
	}
	c.add(&Log{Level: LogAudit})
	return nil
}
