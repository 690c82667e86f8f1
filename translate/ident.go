package translate

// nftKeywords (keywords.go, generated) are the words nft's scanner treats
// as keywords, so they cannot be used as bare chain names (nft 1.0.6 does not
// accept quoted names there either). The scanner is case-sensitive: "reject"
// is a keyword, "REJECT" is not.

func isIdentStart(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }

func isIdentChar(c byte) bool {
	return isIdentStart(c) || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '/'
}

// identProblem says why name is not usable as an nft identifier ("" if it is).
func identProblem(name string) string {
	if name == "" {
		return "empty name"
	}
	if !isIdentStart(name[0]) {
		return "nft names must start with a letter or \"_\""
	}
	for i := 0; i < len(name); i++ {
		if !isIdentChar(name[i]) {
			return "nft names cannot contain " + `"` + string(name[i]) + `"`
		}
	}
	if nftKeywords[name] {
		return "it is an nft keyword"
	}
	return ""
}

// safeIdent turns name into a valid nft identifier: characters nft does not
// allow become "_", a leading digit gets a "_" prefix, and keywords get a
// "_chain" suffix.
func safeIdent(name string) string {
	if identProblem(name) == "" {
		return name
	}
	b := []byte(name)
	for i := range b {
		if !isIdentChar(b[i]) {
			b[i] = '_'
		}
	}
	s := string(b)
	if s == "" || !isIdentStart(s[0]) {
		s = "_" + s
	}
	if nftKeywords[s] {
		s += "_chain"
	}
	return s
}
