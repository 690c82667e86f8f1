package translate

// -m time: iptables-extensions(8) "time"; nft "meta time / hour / day".
//
// Dates and times of day are emitted as numbers (epoch seconds, seconds
// since midnight) rather than strings: nft converts date and hour strings
// from the local time zone of the machine that loads the rules, while
// iptables means UTC (libxt_time parses with TZ=UTC; xt_time compares in UTC
// unless --kerneltz). Numbers are taken as UTC, so these are exact. A time
// range crossing midnight (--timestart 22:00 --timestop 06:00) becomes
// "meta hour != 21601-79199", as xt_time wraps it.
//
// Approximate:
//   - --weekdays: nft's meta day uses the kernel time zone (sys_tz), xt_time
//     UTC (without --kerneltz).
//   - --kerneltz: xt_time shifts times of day by the kernel time zone; nft's
//     meta hour is UTC in the kernel, so the hours are emitted as strings for
//     nft to convert from the loading machine's time zone.
//   - --datestop is compared in whole seconds by xt_time: the last second of
//     the range is only matched at its start by nft.
// --monthdays has no nft equivalent and is reported.

import (
	"strconv"
	"strings"
	"time"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

const secondsPerDay = 24 * 60 * 60

func matchTime(c *ctx, m *parser.Match) error {
	if o := m.Opt("monthdays"); o != nil {
		return c.unsupported(o.Pos, "--monthdays has no nft equivalent (meta day is the day of the week)")
	}
	kerneltz := m.Opt("kerneltz") != nil || m.Opt("localtz") != nil
	if kerneltz && m.Opt("utc") != nil {
		return c.unsupported(m.Pos, "--utc and --kerneltz cannot be combined")
	}
	// dates
	ds, de := m.Opt("datestart"), m.Opt("datestop")
	if ds != nil || de != nil {
		var start, stop int64 = 0, 1<<31 - 1
		var err error
		if ds != nil {
			if start, err = timeDate(c, ds); err != nil {
				return err
			}
		}
		if de != nil {
			if stop, err = timeDate(c, de); err != nil {
				return err
			}
		}
		if start > stop {
			return c.unsupported(m.Pos, "--datestart is after --datestop: the rule never matches")
		}
		c.match(&Meta{Key: desc.MetaTime}, OpEq, &Range{Lo: &Int{V: uint64(start)}, Hi: &Int{V: uint64(stop)}})
	}
	// times of day
	ts, te := m.Opt("timestart"), m.Opt("timestop")
	start, stop := 0, secondsPerDay-1
	if ts != nil || te != nil {
		var err error
		if ts != nil {
			if start, err = timeOfDay(c, ts); err != nil {
				return err
			}
		}
		if te != nil {
			if stop, err = timeOfDay(c, te); err != nil {
				return err
			}
		}
		hour := func(s int) Expr {
			if kerneltz {
				return &Clock{Secs: uint32(s)}
			}
			return &Int{V: uint64(s)}
		}
		switch {
		case start < stop:
			c.match(&Meta{Key: desc.MetaHour}, OpEq, &Range{Lo: hour(start), Hi: hour(stop)})
		case start > stop:
			// wraps around midnight: t >= start or t <= stop, which is
			// t outside stop+1..start-1 (nft would turn the crossing range
			// "22:00"-"06:00" into != "06:00"-"22:00", losing both ends)
			if stop+1 <= start-1 {
				c.match(&Meta{Key: desc.MetaHour}, OpNe, &Range{Lo: hour(stop + 1), Hi: hour(start - 1)})
			}
		}
		if kerneltz {
			c.approx(m.Pos, "--kerneltz: nft converts the times of day from the time zone of the machine that loads the rules (xt_time uses the kernel's time zone)")
		}
	}
	if o := m.Opt("contiguous"); o != nil && m.Opt("weekdays") != nil && start > stop {
		return c.unsupported(o.Pos, "--contiguous with --weekdays (the day of a period crossing midnight is the day it started) has no nft equivalent")
	}
	if o := m.Opt("weekdays"); o != nil {
		days, err := weekdays(c, o)
		if err != nil {
			return err
		}
		var elems []Expr
		for d := 1; d <= 7; d++ {
			if days[d] != o.Negated {
				elems = append(elems, &Int{V: uint64(d % 7)})
			}
		}
		switch len(elems) {
		case 0:
			return c.unsupported(o.Pos, "--weekdays selects no day: the rule never matches")
		case 7:
		case 1:
			c.match(&Meta{Key: desc.MetaDay}, OpEq, elems[0])
		default:
			c.match(&Meta{Key: desc.MetaDay}, OpEq, &SetLit{Elems: elems})
		}
		if !kerneltz && len(elems) < 7 {
			c.approx(o.Pos, "nft's meta day uses the kernel time zone; iptables compares week days in UTC (no --kerneltz)")
		}
	}
	return nil
}

// timeDate parses YYYY[-MM[-DD[Thh[:mm[:ss]]]]] as UTC.
func timeDate(c *ctx, o *parser.Option) (int64, error) {
	s := o.Arg(0)
	parts := []int{0, 1, 1, 0, 0, 0}
	max := []int{2038, 12, 31, 23, 59, 59}
	seps := []byte{'-', '-', 'T', ':', ':'}
	rest := s
	for i := range parts {
		d := leadingDigits(rest)
		n, _ := strconv.Atoi(d) // strtoul: no digits is 0
		if n > max[i] || (i == 0 && n < 1970) {
			return 0, c.badValue(o, "date (YYYY[-MM[-DD[Thh[:mm[:ss]]]]])")
		}
		parts[i] = n
		rest = rest[len(d):]
		if rest == "" {
			break
		}
		if i == len(parts)-1 || rest[0] != seps[i] {
			return 0, c.badValue(o, "date (YYYY[-MM[-DD[Thh[:mm[:ss]]]]])")
		}
		rest = rest[1:]
	}
	t := time.Date(parts[0], time.Month(parts[1]), parts[2], parts[3], parts[4], parts[5], 0, time.UTC)
	return t.Unix(), nil
}

// timeOfDay parses hh:mm[:ss].
func timeOfDay(c *ctx, o *parser.Option) (int, error) {
	f := strings.Split(o.Arg(0), ":")
	if len(f) < 2 || len(f) > 3 {
		return 0, c.badValue(o, "time (hh:mm[:ss])")
	}
	max := []int{23, 59, 59}
	v := 0
	for i, x := range f {
		n, err := strconv.Atoi(x)
		if err != nil || n < 0 || n > max[i] {
			return 0, c.badValue(o, "time (hh:mm[:ss])")
		}
		v = v*60 + n
	}
	if len(f) == 2 {
		v *= 60
	}
	return v, nil
}

// weekdays parses "Mon,Tue" or "1,2" (1 = Monday ... 7 = Sunday).
func weekdays(c *ctx, o *parser.Option) ([8]bool, error) {
	var days [8]bool
	names := []string{"", "Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"}
	for _, d := range strings.Split(o.Arg(0), ",") {
		if n, err := strconv.Atoi(d); err == nil {
			if n < 1 || n > 7 {
				return days, c.badValue(o, "week day (1 = Monday ... 7 = Sunday)")
			}
			days[n] = true
			continue
		}
		ok := false
		for i := 1; i <= 7; i++ {
			if len(d) >= 2 && d[:2] == names[i] {
				days[i], ok = true, true
			}
		}
		if !ok {
			return days, c.badValue(o, "week day")
		}
	}
	return days, nil
}
