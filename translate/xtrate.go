package translate

// The rates of -m limit and -m hashlimit as the kernel holds them.
// libxt_limit and libxt_hashlimit turn "R/unit" into the period between
// two packets, scale × (seconds of the unit) / R in 1/scale seconds
// (integer division; libxt_limit's scale is 10,000, libxt_hashlimit's
// 1,000,000 since revision 2), and iptables-save prints the period back
// in the largest unit it divides nearly whole (print_rate). A script's
// "900/min" is therefore the kernel's "15/sec", and "9999/sec" its
// "10000/sec": the translation takes the rate the kernel holds, so that a
// script and the dump of what it built translate alike.

import (
	"strings"

	"github.com/xt2nft/xt2nft/parser"
)

// The scales of the period (XT_LIMIT_SCALE, XT_HASHLIMIT_SCALE_v2).
const (
	limitScale     = 10000
	hashlimitScale = 1000000
)

var unitSeconds = map[string]uint64{"second": 1, "minute": 60, "hour": 3600, "day": 86400}

// xtPeriod is the period the kernel stores for r per unit (0: iptables
// refuses the rate, "Rate too fast").
func xtPeriod(r uint64, unit string, scale uint64) uint64 {
	return scale * unitSeconds[unit] / r
}

// xtRate is the rate iptables-save prints for a period: print_rate's
// largest unit u, from day down, of which the period does not leave more
// than u/period as a remainder.
func xtRate(period, scale uint64) (uint64, string) {
	units := []string{"day", "hour", "minute", "second"}
	i := 1
	for ; i < len(units); i++ {
		m := scale * unitSeconds[units[i]]
		if period > m || m/period < m%period {
			break
		}
	}
	return scale * unitSeconds[units[i-1]] / period, units[i-1]
}

// kernelRate is a --limit or --hashlimit-upto rate as the kernel holds it
// (ok false: not a rate): the rate iptables-save prints, the period, and
// the seconds of the unit as written (hashlimit's default expiry). A rate
// iptables refuses ("Rate too fast": the period rounds to 0) is an error.
func (c *ctx) kernelRate(o *parser.Option, scale uint64) (v kernelRateOf, ok bool, err error) {
	r, unit, ok := parseRate(o.Arg(0))
	if !ok {
		return v, false, nil
	}
	v.written = unitSeconds[unit]
	if v.period = xtPeriod(r, unit, scale); v.period == 0 {
		return v, true, c.unsupported(argPos(o), "rate %s: iptables refuses it (\"Rate too fast\": the period between two packets rounds to 0)", strings.TrimSpace(o.Arg(0)))
	}
	v.rate, v.unit = xtRate(v.period, scale)
	return v, true, nil
}

// kernelRateOf is what kernelRate reads.
type kernelRateOf struct {
	rate            uint64
	unit            string
	period, written uint64
}

// limitOverflows is xt_limit's check of avg × burst (limit_mt_check):
// both in u32, avg × burst wrapping, through user2credits at HZ 250 or
// 1000 (32,000 credits a second for both; HZ 100 and 300 differ only for
// products near 2^32). A rule it fails is refused by the kernel
// ("Overflow, try lower", ERANGE).
func limitOverflows(avg, burst uint64) bool {
	const perSecond = 32000 // HZ × CREDITS_PER_JIFFY
	credits := func(user uint32) uint32 {
		if user > 0xFFFFFFFF/perSecond {
			return user / limitScale * perSecond
		}
		return user * perSecond / limitScale
	}
	a := uint32(avg)
	return burst == 0 || credits(a*uint32(burst)) < credits(a)
}

// hashlimitOverflows is xt_hashlimit's check of avg × burst in packet mode
// (hashlimit_mt_check_common, revision 2 and later): u64, through
// user2credits, which multiplies by HZ × CREDITS_PER_JIFFY / scale
// (137,438,953 at HZ 250 and 1000).
func hashlimitOverflows(avg, burst uint64) bool {
	const factor = 137438953
	return burst == 0 || avg*burst*factor < avg*factor
}
