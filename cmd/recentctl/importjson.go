package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/xt2nft/xt2nft/backend/recent"
)

// maxAge bounds the ages of an import (last_seen_ns, stamps_ns,
// remaining_ns): a stamp older than the longest --seconds (2^32-1 s) can
// never count, so a bigger value is a mistake, not a history.
const maxAge = time.Duration(1<<32-1) * time.Second

// maxStamps bounds an entry's stamps: xt_recent keeps at most 65,536 (a
// --hitcount is at most 65,535).
const maxStamps = 65536

// importedList is one list of an import, checked.
type importedList struct {
	name    string
	pos     string // where it starts ("stdin:LINE:COL")
	entries []recent.Entry
}

// importDecoder reads export's JSON, keeping positions for messages.
type importDecoder struct {
	data []byte
	dec  *json.Decoder
}

// readImport reads and checks a whole import before anything is written:
// a JSON array of {"name", "backend", "entries": [{"addr", "ttl",
// "last_seen_ns", "stamps_ns", "remaining_ns"}]} as export writes it. Any
// other field, a value out of range, an entry without an address or
// anything after the array is refused with its line and column.
func readImport(r io.Reader) ([]importedList, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("reading the import: %w", err)
	}
	d := &importDecoder{data: data, dec: json.NewDecoder(bytes.NewReader(data))}
	d.dec.UseNumber()
	var out []importedList
	if err := d.array(label{}, func(int) error {
		l, err := d.list()
		out = append(out, l)
		return err
	}); err != nil {
		return nil, err
	}
	if at := d.skip(int(d.dec.InputOffset()), " \t\r\n"); at < len(data) {
		word := bytes.Fields(data[at:min(at+32, len(data))])[0]
		return nil, d.errorf(at, "unexpected %s after the import's closing \"]\"", recent.Quote(string(word)))
	}
	return out, nil
}

// next is the offset of the next token (past white space and the
// separators "," and ":").
func (d *importDecoder) next() int { return d.skip(int(d.dec.InputOffset()), " \t\r\n,:") }

func (d *importDecoder) skip(at int, chars string) int {
	for at < len(d.data) && bytes.IndexByte([]byte(chars), d.data[at]) >= 0 {
		at++
	}
	return at
}

// pos is an offset as "stdin:LINE:COL".
func (d *importDecoder) pos(at int) string {
	at = min(at, len(d.data))
	line := 1 + bytes.Count(d.data[:at], []byte("\n"))
	col := at - bytes.LastIndexByte(d.data[:at], '\n')
	return fmt.Sprintf("stdin:%d:%d", line, col)
}

// errorf is an error at an offset.
func (d *importDecoder) errorf(at int, format string, a ...any) error {
	return fmt.Errorf("%s: %s", d.pos(at), fmt.Sprintf(format, a...))
}

// jsonError positions an error of the JSON decoder.
func (d *importDecoder) jsonError(at int, what label, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return d.errorf(int(se.Offset)-1, "%s: bad JSON: %v", what, err)
	case errors.As(err, &te):
		return d.errorf(at, "%s: want a %s, not a JSON %s", what, te.Type, te.Value)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return d.errorf(len(d.data), "%s: the import ends too early", what)
	}
	return d.errorf(at, "%s: %v", what, err)
}

// delim reads one delimiter token.
func (d *importDecoder) delim(want json.Delim, what label) error {
	at := d.next()
	tok, err := d.dec.Token()
	if err != nil {
		return d.jsonError(at, what, err)
	}
	if tok != want {
		return d.errorf(at, "%s: want %q", what, want.String())
	}
	return nil
}

// array reads a JSON array, calling elem for each element.
func (d *importDecoder) array(what label, elem func(i int) error) error {
	if err := d.delim('[', what); err != nil {
		return err
	}
	for i := 0; d.dec.More(); i++ {
		if err := elem(i); err != nil {
			return err
		}
	}
	return d.delim(']', what)
}

// object reads a JSON object, calling field for each key with the offsets
// of the key and of its value; a key twice is refused.
func (d *importDecoder) object(what label, field func(key string, keyAt, at int) error) error {
	if err := d.delim('{', what); err != nil {
		return err
	}
	var seen []string // a few keys: a map per entry would cost more
	for d.dec.More() {
		at := d.next()
		tok, err := d.dec.Token()
		if err != nil {
			return d.jsonError(at, what, err)
		}
		key, _ := tok.(string)
		if slices.Contains(seen, key) {
			return d.errorf(at, "%s: %s given twice", what, recent.Quote(key))
		}
		seen = append(seen, key)
		if err := field(key, at, d.next()); err != nil {
			return err
		}
	}
	return d.delim('}', what)
}

// value decodes the next value into v.
func (d *importDecoder) value(at int, what label, v any) error {
	if err := d.dec.Decode(v); err != nil {
		return d.jsonError(at, what, err)
	}
	return nil
}

// integer reads a whole number in [0, most].
func (d *importDecoder) integer(at int, what label, most int64, unit string) (int64, error) {
	var n json.Number
	if err := d.value(at, what, &n); err != nil {
		return 0, err
	}
	v, err := strconv.ParseInt(n.String(), 10, 64)
	switch {
	case err != nil && errors.Is(err, strconv.ErrRange), err == nil && v > most:
		return 0, d.errorf(at, "%s: %s is more than %s", what, recent.Quote(n.String()), unit)
	case err != nil:
		return 0, d.errorf(at, "%s: %s is not a whole number", what, recent.Quote(n.String()))
	case v < 0:
		return 0, d.errorf(at, "%s: %d is negative", what, v)
	}
	return v, nil
}

// duration reads a whole number of nanoseconds in [0, maxAge].
func (d *importDecoder) duration(at int, what label) (time.Duration, error) {
	v, err := d.integer(at, what, int64(maxAge), "2^32-1 s (4294967295000000000 ns), the longest --seconds")
	return time.Duration(v), err
}

// label says what a message is about ("list "L": entry 3: ttl"); it is
// made into text only for a message.
type label struct {
	list         string // "" outside a list
	inList, name bool   // in a list; its name is known
	entry        int    // 1-based; 0: not in an entry
	field        string
	stamp        int // 1-based; 0: not a stamp
}

func (l label) String() string {
	if !l.inList {
		return "the import (a list of lists, as export writes)"
	}
	s := "list"
	if l.name {
		s += " " + recent.Quote(l.list)
	}
	if l.entry > 0 {
		s += fmt.Sprintf(": entry %d", l.entry)
	}
	if l.stamp > 0 {
		return s + fmt.Sprintf(": stamp %d", l.stamp)
	}
	if l.field != "" {
		s += ": " + l.field
	}
	return s
}

// with returns the label of a field.
func (l label) with(field string) label { l.field = field; return l }

// list reads one list of the import.
func (d *importDecoder) list() (importedList, error) {
	start := d.next()
	l := importedList{pos: d.pos(start)}
	what := label{inList: true}
	err := d.object(what, func(key string, keyAt, at int) error {
		switch key {
		case "name":
			if err := d.value(at, what.with("name"), &l.name); err != nil {
				return err
			}
			if err := recent.CheckName(l.name); err != nil {
				return d.errorf(at, "%v", err)
			}
			what.list, what.name = l.name, true
		case "backend":
			var b string
			if err := d.value(at, what.with("backend"), &b); err != nil {
				return err
			}
			if b != "proc" && b != "nft" {
				return d.errorf(at, "%s: backend %s (want proc or nft, as export writes)", what, recent.Quote(b))
			}
		case "entries":
			return d.array(what.with("entries"), func(i int) error {
				w := what
				w.entry = i + 1
				e, err := d.entry(w)
				l.entries = append(l.entries, e)
				return err
			})
		default:
			return d.errorf(keyAt, "%s: unknown field %s (a list has name, backend and entries)", what, recent.Quote(key))
		}
		return nil
	})
	if err == nil && !what.name {
		err = d.errorf(start, "a list without a \"name\"")
	}
	return l, err
}

// entry reads one entry of a list.
func (d *importDecoder) entry(what label) (recent.Entry, error) {
	var e recent.Entry
	start := d.next()
	err := d.object(what, func(key string, keyAt, at int) error {
		var err error
		switch key {
		case "addr":
			var s string
			if err := d.value(at, what.with("addr"), &s); err != nil {
				return err
			}
			if e.Addr, err = recent.ParseAddr(s); err != nil {
				return d.errorf(at, "%s: %v", what, err)
			}
		case "ttl":
			var v int64
			v, err = d.integer(at, what.with("ttl"), 255, "255")
			e.TTL = uint8(v)
		case "last_seen_ns":
			e.LastSeen, err = d.duration(at, what.with("last_seen_ns"))
		case "remaining_ns":
			e.Remaining, err = d.duration(at, what.with("remaining_ns"))
		case "stamps_ns":
			err = d.array(what.with("stamps_ns"), func(i int) error {
				if i == maxStamps {
					return d.errorf(d.next(), "%s: more than %d stamps (xt_recent keeps at most %d)", what, maxStamps, maxStamps)
				}
				w := what
				w.stamp = i + 1
				s, err := d.duration(d.next(), w)
				e.Stamps = append(e.Stamps, s)
				return err
			})
		default:
			return d.errorf(keyAt, "%s: unknown field %s (an entry has addr, ttl, last_seen_ns, stamps_ns and remaining_ns)", what, recent.Quote(key))
		}
		return err
	})
	if err == nil && !e.Addr.IsValid() {
		err = d.errorf(start, "%s has no \"addr\"", what)
	}
	return e, err
}
