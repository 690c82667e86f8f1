// Package wildtest runs xt2nft, as a new user would, on real rulesets that
// nobody on the project wrote: iptables-save dumps and firewall scripts
// collected from public repositories (FireHOL, ferm, Docker, Calico, Istio,
// Antrea, Algo, wg-quick, VPN installers, fail2ban, ...).
//
// The collection is third-party data under its own licences, kept in
// testdata (each file's repository, path, commit, licence and edits in
// SOURCES.md); XT2NFT_WILD_DIR points the test at another. The package has only this file and its
// privileged test (TestPrivilegedWild), which drives the xt2nft binary
// built from ./cmd/xt2nft through its command-line contract, so it depends
// on no internal API of the parser or the translator.
//
// For every dump the kernel decides what is right: iptables-legacy-restore
// loads it into a fresh network namespace; if it accepts, `xt2nft FILE`
// must exit 0 and its output must load with nft -f, load again on top of
// itself without changing the ruleset, and `nft list ruleset` of it must
// load into another fresh namespace and list the same; if it refuses,
// xt2nft must refuse too, naming the same line and the same culprit.
//
// Every script is run in a sandbox of the test's own (a network namespace
// and a private, read-only mount namespace in which every iptables-family
// name runs the legacy tools and sysctl/systemctl/service do nothing); what
// it built is dumped with iptables-legacy-save and ip6tables-legacy-save and
// translated as above. `xt2nft --script FILE` must either give exactly that
// translation or refuse (pointing to --exec once xt2nft has it), and
// `xt2nft --exec FILE` must give that translation.
package wildtest
