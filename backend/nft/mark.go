package nft

import (
	"github.com/google/nftables/userdata"
)

// Every table xt2nft creates carries a mark in its user data
// (NFTA_TABLE_USERDATA): a comment, which nft lists inside the table as
//
//	comment "managed by xt2nft"
//
// so that an administrator sees whose table it is, and so that apply can
// tell its own tables from another tool's of the same name (iptables-nft's
// `table ip filter` under --layout iptables) and refuse to replace those
// unless told to (--replace-foreign). A table reloaded from nft's listing
// keeps the comment, and so stays xt2nft's.
const markComment = "managed by xt2nft"

// markUdata is the user data of a marked table: nft's table comment TLV
// (NFTNL_UDATA_TABLE_COMMENT, type 0, NUL-terminated as nft stores it).
func markUdata() []byte {
	return userdata.AppendString(nil, userdata.TypeComment, markComment)
}

// isMark reports whether a table's user data is xt2nft's mark.
func isMark(udata []byte) bool {
	s, ok := userdata.GetString(udata, userdata.TypeComment)
	return ok && s == markComment
}
