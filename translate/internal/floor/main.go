// Command floor is the floor xt2nft's translation is measured against: a
// plain Go program that does the least any translator must do with an
// iptables-save dump. It reads the file, splits every line into words
// (substrings of one copy of the file, in one reused slice, as xt2nft's
// parser takes a line's tokens) and writes as many bytes as xt2nft writes
// for it (-bytes: the words again, separated by spaces, from the top when
// the file runs out) through a 64 KiB buffered writer, as xt2nft does:
//
//	xt2nft FILE | wc -c                  # N
//	floor -bytes N FILE > /dev/null      # read, split, write N bytes
//
// measure.sh beside it runs both, and iptables-restore-translate, at
// 10,000, 100,000 and 1,000,000 rules.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strings"
)

func main() {
	n := flag.Int64("bytes", -1, "bytes to write (default: the size of FILE)")
	flag.Usage = func() { fmt.Fprintln(os.Stderr, "usage: floor [-bytes N] FILE") }
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	src, err := os.ReadFile(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
	if *n < 0 {
		*n = int64(len(src))
	}
	w := bufio.NewWriterSize(os.Stdout, 1<<16)
	words := write(w, string(src), *n)
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "floor: %d bytes read, %d words split, %d bytes written\n", len(src), words, *n)
}

// write splits text into words line by line and writes them, separated by
// spaces, until exactly n bytes are written (bufio keeps the first write
// error for Flush). It returns the number of words in text.
func write(w *bufio.Writer, text string, n int64) int {
	var words []string
	count := 0
	for pass := 0; n > 0; pass++ {
		if pass == 1 && count == 0 {
			text = " " // no words at all: write spaces
		}
		for rest := text; len(rest) > 0 && n > 0; {
			line := rest
			if i := strings.IndexByte(rest, '\n'); i >= 0 {
				line, rest = rest[:i], rest[i+1:]
			} else {
				rest = ""
			}
			words = split(line, words[:0])
			if pass == 0 {
				count += len(words)
			}
			if len(words) == 0 && text == " " {
				words = append(words, " ")
			}
			for _, s := range words {
				if int64(len(s)) >= n {
					s = s[:n]
				}
				w.WriteString(s)
				if n -= int64(len(s)); n > 0 {
					w.WriteByte(' ')
					n--
				}
			}
		}
	}
	return count
}

// split appends the words of line (separated by spaces, tabs and CRs) to
// words, as substrings of line.
func split(line string, words []string) []string {
	for i := 0; i < len(line); {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		j := i
		for j < len(line) && !isSpace(line[j]) {
			j++
		}
		if j > i {
			words = append(words, line[i:j])
		}
		i = j
	}
	return words
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' }
