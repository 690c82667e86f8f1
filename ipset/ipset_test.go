package ipset

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	src := `create banned hash:ip family inet hashsize 1024 maxelem 65536 timeout 300 counters comment bucketsize 12 initval 0x9dcb2c62
add banned 10.0.0.1 timeout 99 packets 3 bytes 180 comment "ssh brute force"
add banned 10.0.0.2 timeout 299 packets 0 bytes 0
create svc hash:ip,port family inet6 hashsize 1024 maxelem 65536
add svc 2001:db8::1,udp:53
create n hash:net family inet
add n 10.1.0.0/16 nomatch
`
	s, err := Parse("x.save", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	b := s.Set("banned")
	if b == nil || b.Kind.Name != "hash:ip" || b.Timeout != 300 || !b.Flags["counters"] || len(b.Entries) != 2 {
		t.Fatalf("banned: %+v", b)
	}
	e := b.Entries[0]
	if e.Timeout != 99 || !e.HasTimeout || e.Packets != 3 || e.Bytes != 180 || e.Comment != "ssh brute force" || e.Pos.Line != 2 {
		t.Errorf("entry: %+v", e)
	}
	if v := s.Set("svc"); !v.IPv6 || strings.Join(v.Entries[0].Parts, "|") != "2001:db8::1|udp:53" {
		t.Errorf("svc: %+v", v)
	}
	if !s.Set("n").Entries[0].NoMatch {
		t.Error("nomatch lost")
	}
	var nilSave *Save
	if nilSave.Set("banned") != nil {
		t.Error("a nil Save has no sets")
	}
}

func TestParseErrors(t *testing.T) {
	src := `create a hash:ip
add a 10.0.0.1 timeout soon
add b 10.0.0.1
create c hash:nosuch
add a 10.0.0.1,80
create a hash:ip
add a 10.0.0.1 comment "open
frobnicate
`
	_, err := Parse("x.save", []byte(src))
	if err == nil {
		t.Fatal("no error")
	}
	want := []string{
		`x.save:2:1: bad timeout "soon"`,
		`x.save:3:1: add to set "b", which no create line declares`,
		`x.save:4:1: unknown set type "hash:nosuch"`,
		`x.save:5:1: entry "10.0.0.1,80" of set "a" has 2 parts; a hash:ip entry has 1`,
		`x.save:6:1: set "a" created twice`,
		`x.save:7:1: unterminated quote`,
		`x.save:8:1: unexpected "frobnicate" (an ipset save file has create and add lines)`,
	}
	if got := err.Error(); got != strings.Join(want, "\n") {
		t.Errorf("errors:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
}
