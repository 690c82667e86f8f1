package ipt

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Tables returns the names of the tables a dump declares ("filter" for a
// "*filter" line, ...), in order, each once.
func Tables(dump []byte) []string {
	var names []string
	seen := map[string]bool{}
	for _, line := range strings.Split(string(dump), "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "*") {
			continue
		}
		name := strings.TrimSpace(line[1:])
		if name != "" && !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
	}
	return names
}

// sections splits iptables-save output into its tables: each section runs
// from the comments before "*name" to the comments after its COMMIT
// ("# Completed on ..."). A table that occurs twice keeps the last one.
func sections(dump []byte) map[string][]byte {
	secs := map[string][]byte{}
	var pending, cur []byte
	var curName, last string
	for _, line := range bytes.SplitAfter(dump, []byte("\n")) {
		trim := bytes.TrimSpace(line)
		switch {
		case curName != "":
			cur = append(cur, line...)
			if string(trim) == "COMMIT" {
				secs[curName], last, curName, cur = cur, curName, "", nil
			}
		case bytes.HasPrefix(trim, []byte("*")):
			curName = string(bytes.TrimSpace(trim[1:]))
			cur = append(pending, line...)
			pending = nil
		case last != "" && bytes.HasPrefix(trim, []byte("# Completed")):
			secs[last] = append(secs[last], line...)
		default:
			pending = append(pending, line...)
		}
	}
	return secs
}

var reCounters = regexp.MustCompile(`\[[0-9]+:[0-9]+\]`)

// normalize drops comments (they carry dates), blank lines and counters
// from iptables-save output, so that two listings of the same ruleset
// compare equal.
func normalize(dump []byte) string {
	var b strings.Builder
	for _, line := range strings.Split(string(dump), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimSpace(reCounters.ReplaceAllString(line, ""))
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.String()
}

// DumpError is a dump rejected by iptables-restore, positioned in the dump.
type DumpError struct {
	Name string // the name given to Check or Apply
	Line int    // 1-based line of the dump that iptables-restore names
	Msg  string // iptables-restore's message, without its position
}

func (e *DumpError) Error() string {
	return fmt.Sprintf("%s:%d: %s", e.Name, e.Line, e.Msg)
}

var (
	reErrorAt      = regexp.MustCompile(`^Error occurred at line: ([0-9]+)$`)
	reCommitExp    = regexp.MustCompile(`COMMIT expected at line ([0-9]+)`)
	reLineFailed   = regexp.MustCompile(`^line ([0-9]+) failed:? ?(.*)$`)
	reLineColon    = regexp.MustCompile(`^line ([0-9]+):? (.*)$`)
	reProgVersion  = regexp.MustCompile(`^ip6?tables[\w-]* v[0-9.]+ \([^)]*\):\s*`)
	reProgPrefix   = regexp.MustCompile(`^ip6?tables[\w-]*: `)
	reTryHelp      = regexp.MustCompile("^Try `")
	reTrailingStop = regexp.MustCompile(`\.$`)
)

// translate turns the stderr of a failed iptables-restore (prog) on dump
// into an error positioned as NAME:LINE. The forms iptables 1.8 prints are
//
//	iptables-restore v1.8.9 (legacy): MSG
//	Error occurred at line: N
//	Try `iptables-restore -h' or 'iptables-restore --help' for more information.
//
//	iptables-restore: line N failed           (legacy: the kernel refused the table at COMMIT line N)
//	iptables-nft-restore: line N failed: MSG
//	iptables-restore: COMMIT expected at line N
//
//	iptables-nft-restore v1.8.9 (nf_tables):
//	line N: RULE_APPEND failed (Invalid argument): rule in chain POSTROUTING
//
// Messages that name no line give an error "NAME: PROG: MSG".
func translate(name string, dump []byte, prog, stderr string) error {
	line := 0
	var msgs []string
	for _, l := range strings.Split(stderr, "\n") {
		l = strings.TrimSpace(l)
		for {
			s := reProgVersion.ReplaceAllString(l, "")
			s = reProgPrefix.ReplaceAllString(s, "")
			if s == l {
				break
			}
			l = s
		}
		if l == "" || reTryHelp.MatchString(l) {
			continue
		}
		if m := reErrorAt.FindStringSubmatch(l); m != nil {
			line, _ = strconv.Atoi(m[1])
			continue
		}
		if m := reCommitExp.FindStringSubmatch(l); m != nil {
			line, _ = strconv.Atoi(m[1])
			msgs = append(msgs, "COMMIT expected: the table is not terminated")
			continue
		}
		if m := reLineFailed.FindStringSubmatch(l); m != nil {
			line, _ = strconv.Atoi(m[1])
			if m[2] != "" {
				msgs = append(msgs, reTrailingStop.ReplaceAllString(m[2], ""))
			}
			continue
		}
		if m := reLineColon.FindStringSubmatch(l); m != nil {
			n, _ := strconv.Atoi(m[1])
			if line == 0 {
				line = n
			}
			msgs = append(msgs, m[2])
			continue
		}
		msgs = append(msgs, l)
	}
	if line == 0 {
		return fmt.Errorf("%s: %s: %s", name, prog, strings.Join(msgs, "; "))
	}
	msg := strings.Join(msgs, "; ")
	if msg == "" {
		text, table := dumpLine(dump, line)
		switch {
		case text == "COMMIT" && table != "":
			msg = fmt.Sprintf("the kernel rejected table %s when it was committed (%s gives no reason; dmesg may)", table, prog)
		case text != "":
			msg = fmt.Sprintf("%s rejected %q", prog, text)
		default:
			msg = prog + " failed"
		}
	}
	return &DumpError{Name: name, Line: line, Msg: msg}
}

// dumpLine returns line n (1-based) of dump, trimmed, and the table it is in.
func dumpLine(dump []byte, n int) (text, table string) {
	for i, l := range strings.Split(string(dump), "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "*") {
			table = strings.TrimSpace(l[1:])
		}
		if i+1 == n {
			return l, table
		}
	}
	return "", ""
}
