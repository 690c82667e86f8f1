package translate

// moreTargetFuncs translate parser/modules_targets.go's targets.
var moreTargetFuncs = map[string]targetFunc{
	"LOG":        tgLOG,
	"NFLOG":      tgNFLOG,
	"ULOG":       tgULOG,
	"AUDIT":      tgAUDIT,
	"REJECT":     tgREJECT,
	"MARK":       tgMARK,
	"CONNMARK":   tgCONNMARK,
	"SNAT":       tgSNAT,
	"DNAT":       tgDNAT,
	"MASQUERADE": tgMASQUERADE,
	"REDIRECT":   tgREDIRECT,
	"NETMAP":     tgNETMAP,
}
