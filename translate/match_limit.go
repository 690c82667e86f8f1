package translate

// -m limit: iptables-extensions(8) "limit"; nft "limit rate N/unit burst B
// packets". Defaults are iptables': 3/hour, burst 5 (printed explicitly).
// nft's packet-mode bucket holds "burst" packets as xt_limit's does.
// --limit-burst 0 is rejected by the kernel (xt_limit checkentry), so it
// is reported rather than translated as nft's default burst.

import (
	"strconv"
	"strings"

	"github.com/xt2nft/xt2nft/parser"
)

func matchLimit(c *ctx, m *parser.Match) error {
	l := &Limit{Rate: 3, Unit: "hour", Burst: 5}
	period := xtPeriod(3, "hour", limitScale)
	rateOpt := m.Opt("limit")
	if o := rateOpt; o != nil {
		v, ok, err := c.kernelRate(o, limitScale)
		if !ok {
			return c.badValue(o, "rate")
		}
		if err != nil {
			return err
		}
		l.Rate, l.Unit, period = v.rate, TimeUnit(v.unit), v.period
	}
	if o := m.Opt("limit-burst"); o != nil {
		b, ok := parseNum(o.Arg(0), 32)
		if !ok || b > 10000 {
			return c.badValue(o, "burst (0-10000)")
		}
		if b == 0 {
			return c.unsupported(o.Pos, "--limit-burst 0: the kernel rejects this rule (xt_limit needs a burst of at least 1)")
		}
		l.Burst = b
	}
	if limitOverflows(period, l.Burst) {
		pos := m.Pos
		if rateOpt != nil {
			pos = rateOpt.Pos
		}
		return c.unsupported(pos, "the kernel rejects this rule: a period of %d (1/10000 s) times a burst of %d overflows xt_limit's credits (\"Overflow, try lower\", ERANGE)", period, l.Burst)
	}
	c.add(l)
	return nil
}

// parseRate parses iptables' "N[/second|minute|hour|day]" (unit
// abbreviations allowed, case-insensitive; seconds by default).
func parseRate(s string) (uint64, string, bool) {
	num, unit, hasUnit := strings.Cut(s, "/")
	u := "second"
	if hasUnit {
		unit = strings.ToLower(unit)
		if unit == "" {
			return 0, "", false
		}
		u = ""
		for _, n := range []string{"second", "minute", "hour", "day"} {
			if strings.HasPrefix(n, unit) {
				u = n
				break
			}
		}
		if u == "" {
			return 0, "", false
		}
	}
	r, err := strconv.ParseUint(leadingDigits(num), 10, 32)
	if err != nil || r == 0 {
		return 0, "", false
	}
	return r, u, true
}

// leadingDigits mimics atoi: the decimal digits at the start of s.
func leadingDigits(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}
