package translate

// Targets with no exact nft form, refused with the reason, and
// -j CHECKSUM (translated as nothing, with a warning).
//
// CHECKSUM --checksum-fill fills in the checksum of a packet whose
// checksum is left to hardware offload (CHECKSUM_PARTIAL), for old DHCP
// clients on virtual interfaces. nft has no statement for it: the
// translated rule keeps its matches and counter and leaves the checksum
// alone (approximation, reported).

import (
	"github.com/xt2nft/xt2nft/parser"
)

func tgCHECKSUM(c *ctx, t *parser.Target) error {
	c.approx(t.Pos, "CHECKSUM --checksum-fill has no nft equivalent and is dropped: packets whose checksum is left to offload (CHECKSUM_PARTIAL) are not completed here, so a receiver on a virtual link that checks it (old dhclient) may drop them")
	return nil
}

var tgRefused = map[string]string{
	"SECMARK":     "SECMARK: nft needs a named secmark object (\"meta secmark set\"); not translated yet",
	"CONNSECMARK": "CONNSECMARK is not translated yet (nft \"ct secmark\"/\"meta secmark\" with the only-if-unlabeled conditions)",
	"HMARK":       "HMARK has no nft equivalent with the same hash (jhash over xt's tuple layout and ICMP error handling)",
	"LED":         "LED has no nft equivalent (it drives an LED trigger)",
	"IDLETIMER":   "IDLETIMER has no nft equivalent (sysfs idle timers)",
}

func tgRefuse(c *ctx, t *parser.Target) error { return c.unsupported(t.Pos, "%s", tgRefused[t.Name]) }
