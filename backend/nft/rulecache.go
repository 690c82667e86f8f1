package nft

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/xt2nft/xt2nft/backend/runlock"
)

// Reading a big table's rules back is most of a re-apply's cost (the
// kernel formats every rule with its expressions: about 250 ms for 20,000
// rules here), and all the re-apply needs of them is each rule's handle
// and digest. Right after a batch commits, xt2nft knows both: the program
// is what is live, the kernel echoed the handles of the rules the batch
// created (NLM_F_ECHO) and the kept ones had theirs. It records them in
// the run directory (ns-COOKIE.rules, by the namespace's cookie, which the
// kernel never reuses) with the ruleset generation the commit produced.
// The next apply takes the rules from there instead of the kernel if the
// generation is still that one: no transaction of anyone has committed
// since, so the rules are as recorded. Any other commit (another tool,
// recentctl, a rollback) changes the generation, and the rules are read
// from the kernel as before. Everything else of the table (chains, sets,
// objects) is read from the kernel every time; and a batch built on a
// wrong record would name handles the kernel does not have and be refused,
// and then go whole (apply.go).

// ruleCache is the record: per table ("family name"), per chain, the
// rules in order.
type ruleCache struct {
	Gen    uint32
	Tables map[string]map[string][]cachedRule
}

type cachedRule struct {
	H uint64
	D digest
}

// cacheMinRules: smaller rulesets are read back fast enough.
const cacheMinRules = 1000

// cacheKeep is how many records the run directory keeps (of the
// namespaces applied to last): a namespace that is gone leaves its record,
// which nothing can use again.
const cacheKeep = 16

// cacheDir is where records go (tests point it elsewhere).
var cacheDir = runlock.DefaultDir

func cacheKey(family byte, name string) string { return familyName(family) + " " + name }

func cachePath(ns *NS) (string, error) {
	id, err := ns.ID()
	if err != nil {
		return "", err
	}
	return filepath.Join(cacheDir, fmt.Sprintf("ns-%d.rules", id)), nil
}

// loadCache returns the namespace's record if it belongs to generation
// gen, else nil. XT2NFT_NO_RECORD=1 ignores records (to measure what they
// save: BenchmarkReapply20kOneRule with and without).
func loadCache(ns *NS, gen uint32) *ruleCache {
	if os.Getenv("XT2NFT_NO_RECORD") != "" {
		return nil
	}
	path, err := cachePath(ns)
	if err != nil {
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	rc := decodeCache(data)
	if rc == nil || rc.Gen != gen {
		return nil
	}
	return rc
}

// The record's file is binary, not gob: gob encodes a digest byte by byte
// through reflection, and reading and writing 20,000 rules took 30 ms of
// a re-apply's 130. It is cacheMagic, the generation, then per table its
// key and chains, per chain its name and rules, per rule its handle and
// digest; counts and lengths are uvarints, the generation and handles
// fixed-size big-endian. Anything that does not parse to its exact end is
// no record.
const cacheMagic = "xt2nft rules 1\n"

func encodeCache(rc *ruleCache) []byte {
	n := len(cacheMagic) + 4
	for _, chains := range rc.Tables {
		for _, rules := range chains {
			n += 32 + len(rules)*(8+digestLen)
		}
	}
	b := make([]byte, 0, n)
	b = append(b, cacheMagic...)
	b = binary.BigEndian.AppendUint32(b, rc.Gen)
	str := func(s string) { b = append(binary.AppendUvarint(b, uint64(len(s))), s...) }
	b = binary.AppendUvarint(b, uint64(len(rc.Tables)))
	for _, key := range slices.Sorted(maps.Keys(rc.Tables)) {
		chains := rc.Tables[key]
		str(key)
		b = binary.AppendUvarint(b, uint64(len(chains)))
		for _, name := range slices.Sorted(maps.Keys(chains)) {
			str(name)
			b = binary.AppendUvarint(b, uint64(len(chains[name])))
			for _, r := range chains[name] {
				b = binary.BigEndian.AppendUint64(b, r.H)
				b = append(b, r.D[:]...)
			}
		}
	}
	return b
}

// decodeCache parses a record file (nil: not one).
func decodeCache(b []byte) *ruleCache {
	if !bytes.HasPrefix(b, []byte(cacheMagic)) || len(b) < len(cacheMagic)+4 {
		return nil
	}
	b = b[len(cacheMagic):]
	rc := &ruleCache{Gen: binary.BigEndian.Uint32(b), Tables: map[string]map[string][]cachedRule{}}
	b = b[4:]
	bad := false
	count := func(each int) int {
		v, k := binary.Uvarint(b)
		if k <= 0 || v > uint64(len(b)-k)/uint64(max(each, 1)) {
			bad = true
			return 0
		}
		b = b[k:]
		return int(v)
	}
	str := func() string {
		n := count(1)
		s := string(b[:n])
		b = b[n:]
		return s
	}
	for range count(2) {
		key := str()
		chains := map[string][]cachedRule{}
		for range count(2) {
			name := str()
			n := count(8 + digestLen)
			rules := make([]cachedRule, n)
			for i := range rules {
				rules[i].H = binary.BigEndian.Uint64(b)
				copy(rules[i].D[:], b[8:])
				b = b[8+digestLen:]
			}
			chains[name] = rules
		}
		rc.Tables[key] = chains
	}
	if bad || len(b) != 0 {
		return nil
	}
	return rc
}

// dropCache removes the namespace's record.
func dropCache(ns *NS) {
	if path, err := cachePath(ns); err == nil {
		os.Remove(path)
	}
}

// saveCache writes the record of what a committed batch left live (see
// cacheFor), replacing the file atomically, and prunes old records.
func saveCache(ns *NS, rc *ruleCache) {
	path, err := cachePath(ns)
	if err != nil || runlock.PrivateDir(cacheDir) != nil {
		return
	}
	tmp, err := os.CreateTemp(cacheDir, ".rules-*")
	if err != nil {
		return
	}
	_, werr := tmp.Write(encodeCache(rc))
	if cerr := tmp.Close(); werr != nil || cerr != nil || os.Rename(tmp.Name(), path) != nil {
		os.Remove(tmp.Name())
		return
	}
	old, _ := filepath.Glob(filepath.Join(cacheDir, "ns-*.rules"))
	if len(old) <= cacheKeep {
		return
	}
	type aged struct {
		path string
		mod  int64
	}
	var files []aged
	for _, p := range old {
		if fi, err := os.Stat(p); err == nil {
			files = append(files, aged{p, fi.ModTime().UnixNano()})
		}
	}
	sort.Slice(files, func(i, j int) bool { return files[i].mod > files[j].mod })
	for _, f := range files[min(cacheKeep, len(files)):] {
		os.Remove(f.path)
	}
}

// cacheFor is the record of p right after its batch committed at
// generation gen: every rule's digest and handle (digests[i][k] and
// handles[i][k] are those of p.Tables[i].Rules[k]). nil when a handle is
// missing.
func cacheFor(p *Program, digests [][]digest, handles [][]uint64, gen uint32) *ruleCache {
	rc := &ruleCache{Gen: gen, Tables: map[string]map[string][]cachedRule{}}
	for i, tp := range p.Tables {
		count := map[string]int{}
		for _, r := range tp.Rules {
			count[r.Rule.Chain.Name]++
		}
		chains := map[string][]cachedRule{}
		for _, c := range tp.Chains {
			chains[c.Name] = make([]cachedRule, 0, count[c.Name])
		}
		for k, r := range tp.Rules {
			h := handles[i][k]
			if h == 0 {
				return nil
			}
			name := r.Rule.Chain.Name
			chains[name] = append(chains[name], cachedRule{H: h, D: digests[i][k]})
		}
		rc.Tables[cacheKey(byte(tp.Table.Family), tp.Table.Name)] = chains
	}
	return rc
}
