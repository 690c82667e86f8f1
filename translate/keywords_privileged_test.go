package translate

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/xt2nft/xt2nft/backend/nstest"
)

// TestPrivilegedKeywords checks keywords.go against the installed nft: every
// listed word is refused as a chain name, the names safeIdent makes of them
// are accepted, and ordinary names (state, my-chain, REJECT) are accepted.
// Regenerate keywords.go with translate/internal/genkeywords when nft changes.
func TestPrivilegedKeywords(t *testing.T) {
	nstest.Skip(t)
	ns := nstest.New(t, "keywords")
	script := func(names ...string) string {
		var b strings.Builder
		b.WriteString("table ip t {\n")
		for _, n := range names {
			fmt.Fprintf(&b, "\tchain %s {\n\t}\n", n)
		}
		b.WriteString("\tchain c {\n")
		for _, n := range names {
			fmt.Fprintf(&b, "\t\tjump %s\n\t\ttcp dport 22 goto %s\n", n, n)
		}
		b.WriteString("\t}\n}\n")
		return b.String()
	}
	var words []string
	for w := range nftKeywords {
		words = append(words, w)
	}
	sort.Strings(words)

	ok := []string{"state", "my-chain", "REJECT", "Reject", "DROP", "xt2nft", "INPUT"}
	for _, w := range words {
		ok = append(ok, safeIdent(w))
	}
	if _, stderr, err := ns.NFT(script(ok...), "-c", "-f", "-"); err != nil {
		t.Errorf("nft refuses names safeIdent considers safe: %v\n%s", err, stderr)
	}

	var (
		mu       sync.Mutex
		accepted []string
		wg       sync.WaitGroup
		work     = make(chan string)
	)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for w := range work {
				if _, _, err := ns.NFT(script(w), "-c", "-f", "-"); err == nil {
					mu.Lock()
					accepted = append(accepted, w)
					mu.Unlock()
				}
			}
		}()
	}
	for _, w := range words {
		work <- w
	}
	close(work)
	wg.Wait()
	if len(accepted) > 0 {
		sort.Strings(accepted)
		t.Errorf("keywords.go lists words this nft accepts as chain names (regenerate it): %v", accepted)
	}
}
