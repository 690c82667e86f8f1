package nft

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/xt2nft/xt2nft/translate"
)

// hostLittle: registers hold host-order integers little-endian on the
// machines this runs on (binary.NativeEndian decides).
var hostLittle = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// loaded describes what a load left in the register: its type, width in
// bytes, and the shift of the field inside it (sub-byte header fields).
type loaded struct {
	dt    *dtype
	size  int
	shift uint
	// parts are the components of a concatenation (each in its own
	// 32-bit-aligned register slot).
	parts []loaded
}

// constant encodes e as a value of type d, size bytes wide (0: the type's
// width), shifted left by shift bits.
func constant(d *dtype, e translate.Expr, shift uint) ([]byte, error) {
	return constantN(d, e, shift, 0)
}

func constantN(d *dtype, e translate.Expr, shift uint, size int) ([]byte, error) {
	if size == 0 {
		size = d.bytes()
	}
	switch v := e.(type) {
	case *translate.Int:
		if d == tLabel {
			// ct label N: bit N of the 128-bit label bitmap
			if v.V >= 128 {
				return nil, fmt.Errorf("ct label %d out of range", v.V)
			}
			b := make([]byte, 16)
			b[v.V/8] |= 1 << (v.V % 8)
			return b, nil
		}
		if d == tTimeNS {
			v := &translate.Int{V: v.V * 1e9} // meta time N: seconds since the epoch
			return intBytes(v.V, size, true), nil
		}
		return intBytes(v.V<<shift, size, d.host), nil
	case *translate.Sym:
		n, err := symbol(d, v.Name)
		if err != nil {
			return nil, err
		}
		return intBytes(n<<shift, size, d.host), nil
	case *translate.Flags:
		var n uint64
		for _, f := range v.Names {
			x, err := symbol(d, f)
			if err != nil {
				return nil, err
			}
			n |= x
		}
		return intBytes(n<<shift, size, d.host), nil
	case *translate.Str:
		if d == tHour || d == tTimeNS {
			return timeValue(d, v.V, size)
		}
		if !d.str {
			return nil, fmt.Errorf("string %q where %s is expected", v.V, d.name)
		}
		b := make([]byte, size)
		copy(b, v.V)
		return b, nil
	case *translate.Addr:
		a := v.Prefix.Masked().Addr().AsSlice()
		if len(a)*8 != d.bits && d != tInteger32 {
			return nil, fmt.Errorf("address %s where %s is expected", v.Prefix, d.name)
		}
		return a, nil
	case *translate.MAC:
		return v.V[:], nil
	case *translate.Time:
		return timeValue(d, v.V, size)
	}
	return nil, fmt.Errorf("%s is not a constant of type %s", translate.RenderExpr(e), d.name)
}

// symbol resolves a symbolic constant (or a number written as one).
func symbol(d *dtype, name string) (uint64, error) {
	if n, ok := d.syms[name]; ok {
		return n, nil
	}
	if maj, minor, ok := strings.Cut(name, ":"); ok && d == tPriority {
		// tc handle MAJOR:MINOR, both hexadecimal
		a, err1 := strconv.ParseUint(maj, 16, 16)
		b, err2 := strconv.ParseUint(minor, 16, 16)
		if err1 == nil && err2 == nil {
			return a<<16 | b, nil
		}
	}
	if n, err := strconv.ParseUint(name, 0, 64); err == nil {
		return n, nil
	}
	return 0, fmt.Errorf("%q is not a %s value", name, d.name)
}

// intBytes lays out n in size bytes, in host or network order.
func intBytes(n uint64, size int, host bool) []byte {
	b := make([]byte, size)
	if host && hostLittle {
		for i := 0; i < size; i++ {
			b[i] = byte(n >> (8 * i))
		}
		return b
	}
	for i := size - 1; i >= 0; i-- {
		b[i] = byte(n)
		n >>= 8
	}
	return b
}

// timeValue parses a meta hour/time constant: "HH:MM[:SS]" (seconds of
// the day, as nft stores hours: UTC) or a duration.
func timeValue(d *dtype, s string, size int) ([]byte, error) {
	s = strings.Trim(s, `"`)
	if d == tHour {
		parts := strings.Split(s, ":")
		if len(parts) < 2 || len(parts) > 3 {
			return nil, fmt.Errorf("bad time of day %q", s)
		}
		var secs uint64
		mult := []uint64{3600, 60, 1}
		for i, p := range parts {
			n, err := strconv.ParseUint(p, 10, 32)
			if err != nil {
				return nil, fmt.Errorf("bad time of day %q", s)
			}
			secs += n * mult[i]
		}
		// nft reads a time of day in the local time zone and stores UTC.
		_, off := time.Now().Zone()
		secs = uint64((int64(secs) - int64(off) + 86400) % 86400)
		return intBytes(secs, size, true), nil
	}
	if d == tCTExpiration {
		// ct expiration 10s, 20999ms, 1h30m: milliseconds
		if dur, err := time.ParseDuration(s); err == nil && dur >= 0 {
			return intBytes(uint64(dur.Milliseconds()), size, true), nil
		}
	}
	if d == tTimeNS {
		// meta time "2024-01-01 00:00:00": local time, as nft reads it.
		for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"} {
			if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
				return intBytes(uint64(t.UnixNano()), size, true), nil
			}
		}
	}
	return nil, fmt.Errorf("time constant %q not supported by the netlink backend", s)
}
