package backend

// ListedTable is a table as a backend lists it, in parts a plan can
// compare: its own lines, its chains with their rules in order, and its
// other blocks (sets, maps, named objects). Lines are as the backend's
// listing prints them (nft list, iptables-save), without counters or set
// contents.
type ListedTable struct {
	Table
	Head   []string
	Chains []ListedChain
	Blocks []ListedBlock
}

// ListedChain is a chain: its own lines (type, hook, priority, policy),
// and its rules. Origins, when the backend can tell, name the source rule
// of each rule (file:line:col; "" unknown).
type ListedChain struct {
	Name    string
	Head    []string
	Rules   []string
	Origins []string
}

// ListedBlock is a table's set, map or named object.
type ListedBlock struct {
	Kind, Name string
	Lines      []string
}

// Chain finds a chain by name.
func (t *ListedTable) Chain(name string) *ListedChain {
	for i := range t.Chains {
		if t.Chains[i].Name == name {
			return &t.Chains[i]
		}
	}
	return nil
}

// Block finds a block by kind and name.
func (t *ListedTable) Block(kind, name string) *ListedBlock {
	for i := range t.Blocks {
		if t.Blocks[i].Kind == kind && t.Blocks[i].Name == name {
			return &t.Blocks[i]
		}
	}
	return nil
}
