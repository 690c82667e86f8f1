package nft

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/xt2nft/xt2nft/translate"
	"github.com/xt2nft/xt2nft/translate/desc"
)

// hostLittle: registers hold host-order integers little-endian on the
// machines this runs on (binary.NativeEndian decides).
var hostLittle = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// loaded describes what a load left in the register: its type, width in
// bytes, and the shift of the field inside it (sub-byte header fields).
type loaded struct {
	dt    *desc.Type
	size  int
	shift uint
	// parts are the components of a concatenation (each in its own
	// 32-bit-aligned register slot).
	parts []loaded
	// keyBytes, when set, is the width of the value as a set key (an
	// integer field of a typeof key keeps its own width).
	keyBytes uint32
}

// constant encodes e as a value of type d, size bytes wide (0: the type's
// width), shifted left by shift bits.
func constant(d *desc.Type, e translate.Expr, shift uint) ([]byte, error) {
	return constantN(d, e, shift, 0)
}

func constantN(d *desc.Type, e translate.Expr, shift uint, size int) ([]byte, error) {
	if size == 0 {
		size = d.Bytes()
	}
	switch v := e.(type) {
	case *translate.Int:
		if d == desc.CTLabelType {
			// ct label N: bit N of the 128-bit label bitmap
			if v.V >= 128 {
				return nil, fmt.Errorf("ct label %d out of range", v.V)
			}
			b := make([]byte, 16)
			b[v.V/8] |= 1 << (v.V % 8)
			return b, nil
		}
		if d == desc.TimeNS {
			v := &translate.Int{V: v.V * 1e9} // meta time N: seconds since the epoch
			return intBytes(v.V, size, true), nil
		}
		return intBytes(v.V<<shift, size, d.Host), nil
	case *translate.Sym:
		n, err := symbol(d, v.Name)
		if err != nil {
			return nil, err
		}
		return intBytes(n<<shift, size, d.Host), nil
	case *translate.Flags:
		var n uint64
		for _, f := range v.Names {
			x, err := symbol(d, f)
			if err != nil {
				return nil, err
			}
			n |= x
		}
		return intBytes(n<<shift, size, d.Host), nil
	case *translate.Str:
		if !d.Str {
			return nil, fmt.Errorf("string %q where %s is expected", v.V, d.Name)
		}
		b := make([]byte, size)
		copy(b, v.V)
		return b, nil
	case *translate.Addr:
		a := v.Prefix.Masked().Addr().AsSlice()
		if len(a)*8 != d.Bits && d != desc.Integer32 {
			return nil, fmt.Errorf("address %s where %s is expected", v.Prefix, d.Name)
		}
		return a, nil
	case *translate.MAC:
		return v.V[:], nil
	case *translate.Time:
		if d != desc.CTExpirationType || v.D < 0 {
			return nil, fmt.Errorf("duration %s where %s is expected", v.D, d.Name)
		}
		return intBytes(uint64(v.D.Milliseconds()), size, true), nil // ms
	case *translate.Clock:
		if d != desc.Hour {
			return nil, fmt.Errorf("time of day where %s is expected", d.Name)
		}
		// nft reads a time of day in the local time zone and stores UTC.
		_, off := time.Now().Zone()
		secs := (int64(v.Secs) - int64(off) + 86400) % 86400
		return intBytes(uint64(secs), size, true), nil
	}
	return nil, fmt.Errorf("%s is not a constant of type %s", translate.RenderExpr(e), d.Name)
}

// symbol resolves a symbolic constant (or a number written as one).
func symbol(d *desc.Type, name string) (uint64, error) {
	if n, ok := d.Symbol(name); ok {
		return n, nil
	}
	return 0, fmt.Errorf("%q is not a %s value", name, d.Name)
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
