package parser

// l4Matches are protocol header matches (owned by the l4 area).
var l4Matches = []*ModuleSpec{}
