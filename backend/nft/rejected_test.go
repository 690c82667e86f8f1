package nft

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// TestRejectedNamesMissingFeatures: a rule the kernel refuses with ENOENT
// or EOPNOTSUPP is reported with the kernel options its expressions need
// (a kernel without CONFIG_NFT_QUEUE refuses "queue" so); other errors
// are reported as they are.
func TestRejectedNamesMissingFeatures(t *testing.T) {
	r := &RuleProgram{Rule: &nftables.Rule{Table: &nftables.Table{Family: nftables.TableFamilyIPv4},
		Exprs: []expr.Any{&expr.Counter{}, &expr.Queue{Num: 4096}}}}
	got := rejected(r, fmt.Errorf("wrapped: %w", unix.ENOENT))
	if !strings.Contains(got, "queue (CONFIG_NFT_QUEUE)") || !strings.Contains(got, "xt2nft check") {
		t.Errorf("ENOENT: %q", got)
	}
	if got := rejected(r, unix.EINVAL); strings.Contains(got, "lack") {
		t.Errorf("EINVAL: %q", got)
	}
}
