package parser

import (
	"fmt"
	"path/filepath"
	"strings"
)

// scriptCommands are the programs whose lines script mode reads.
var scriptCommands = map[string]Family{
	"iptables": IPv4, "iptables-legacy": IPv4, "iptables-nft": IPv4,
	"ip6tables": IPv6, "ip6tables-legacy": IPv6, "ip6tables-nft": IPv6,
}

// script parses iptables command lines; other lines are reported and skipped.
func (p *fileParser) script(src []byte) {
	var pending strings.Builder
	start := 0
	p.lines(src, func(n int, line string) {
		// Join backslash-continued lines.
		if strings.HasSuffix(line, "\\") && !strings.HasSuffix(line, "\\\\") {
			if pending.Len() == 0 {
				start = n
			}
			pending.WriteString(strings.TrimSuffix(line, "\\") + " ")
			return
		}
		if pending.Len() > 0 {
			pending.WriteString(line)
			line = pending.String()
			pending.Reset()
			n = start
		}
		p.scriptLine(n, line)
	})
}

func (p *fileParser) scriptLine(n int, line string) {
	trimmed := strings.TrimLeft(line, " \t")
	if trimmed == "" || trimmed[0] == '#' {
		return
	}
	col := len(line) - len(trimmed) + 1
	f := strings.Fields(trimmed)
	if len(f) == 0 {
		return
	}
	prog := f[0]
	skipWords := 0
	for (prog == "sudo" || prog == "command" || prog == "exec") && skipWords+1 < len(f) {
		skipWords++
		prog = f[skipWords]
	}
	fam, ok := scriptCommands[filepath.Base(prog)]
	if !ok {
		p.warns = append(p.warns, Diagnostic{Pos: Pos{File: p.name, Line: n, Col: col}, Severity: SevWarning,
			Msg: fmt.Sprintf("not an iptables command, skipped: %q", truncate(trimmed, 60))})
		return
	}
	// Blank out the words before the program name so columns stay right.
	rest := line
	for i := 0; i < skipWords; i++ {
		j := strings.Index(rest, f[i])
		rest = rest[:j] + strings.Repeat(" ", len(f[i])) + rest[j+len(f[i]):]
	}
	cmd := p.bindLine(n, rest, fam, true)
	if cmd == nil {
		return
	}
	if cmd.fam != 0 && cmd.fam != fam {
		return // "-4" on an ip6tables line (or vice versa): iptables ignores the rule
	}
	table := cmd.table
	if table == "" {
		table = "filter"
	}
	if _, ok := builtinChains[table]; !ok {
		p.errs = append(p.errs, Errorf(cmd.pos, "unknown table %q", table))
		return
	}
	ts := p.st.table(fam, table, cmd.pos)
	p.st.apply(ts, cmd, line, &p.errs, &p.warns)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
