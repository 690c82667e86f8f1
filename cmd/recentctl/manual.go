package main

import (
	"io"

	"github.com/xt2nft/xt2nft/internal/clidoc"
)

// manual is recentctl's one description: its --help, recentctl(8) and the
// shell completions are written from it and from the flags run parses.
func manual() *clidoc.Page {
	fs, _ := newFlags(io.Discard)
	return &clidoc.Page{
		Name:     "recentctl",
		Section:  8,
		Summary:  "inspect and edit xt_recent lists and the nft sets xt2nft made of them",
		Synopsis: []string{"recentctl [flags] COMMAND [ARGS]"},
		Description: `Lists, shows and edits the lists of iptables' recent match wherever they live: in /proc/net/xt_recent (iptables-legacy) or in the nft sets xt2nft(8) made for them, where an event is performed as the kernel would (every window refreshed, the hitcount ring advanced). migrate copies every xt_recent list's live entries into those sets.

The proc backend reads /proc/net/xt_recent/NAME (stamps turned into ages with the kernel's jiffies) and writes one +addr, -addr or / per open, as xt_recent requires; it does not follow symbolic links. Edits of one list are serialised by a lock in /run/xt2nft.

    recentctl list
    recentctl show fromList 10.2.0.2
    recentctl add fromList 10.2.0.2 2001:db8::1
    recentctl export > lists.json; recentctl import < lists.json
    recentctl ipset add blocklist 192.0.2.7 timeout 600`,
		Flags: fs,
		Commands: []*clidoc.Command{
			{Name: "list", Summary: "every list: name, where it lives (proc or nft), entry count (nft: the kernel's count, without reading the sets; expired elements not yet collected included)"},
			{Name: "show", Args: "NAME [ADDR...]", Complete: "__lists", Summary: "address, last seen (age), hits, ttl, remaining timeout (with addresses: only those, looked up one element at a time); what a list does not keep is shown as unknown or - (an nft list of --set alone keeps no age, one without --hitcount no hits)"},
			{Name: "add", Args: "NAME ADDR...", Complete: "__lists", Summary: "record an event for each address (like echo +ADDR)"},
			{Name: "del", Args: "NAME ADDR...", Complete: "__lists", Summary: "remove addresses (a note names any that were not in the list)"},
			{Name: "flush", Args: "NAME", Complete: "__lists", Summary: "empty the list"},
			{Name: "export", Summary: "every list with its entries as JSON"},
			{Name: "import", Summary: "read export's JSON and load the entries with their ages and stamps (xt_recent's /proc can only stamp now: it gets one each)"},
			{Name: "migrate", Summary: "copy every xt_recent list's entries into the nft sets xt2nft made for it"},
			{Name: "ipset", Args: "list | show NAME | add NAME ENTRY [timeout N] [comment TEXT]... | del NAME ENTRY...", Summary: "the nft sets xt2nft made from ipsets (commented \"ipset NAME TYPE\"): list them, show one's elements, add or delete entries written as ipset writes them (10.0.0.1, 10.0.0.0/24, 10.0.0.1,tcp:80), which become the elements xt2nft makes of them"},
		},
		Sections: []clidoc.Section{
			{Title: "Exit status", Text: `0: done (a note may say what did not apply). 1: an error; nothing was written when the input was bad. 2: a usage error.`},
		},
		SeeAlso: []string{"xt2nft(8)", "iptables-extensions(8)", "nft(8)"},
	}
}
