package translate

// moreTargetFuncs translate parser/modules_targets.go's targets.
var moreTargetFuncs = map[string]targetFunc{
	"LOG":        targetLOG,
	"NFLOG":      targetNFLOG,
	"REJECT":     targetREJECT,
	"MARK":       targetMARK,
	"CONNMARK":   targetCONNMARK,
	"DNAT":       targetNAT(DNAT, "to-destination"),
	"SNAT":       targetNAT(SNAT, "to-source"),
	"MASQUERADE": targetPorts(Masquerade),
	"REDIRECT":   targetPorts(Redirect),
	"NETMAP":     targetNETMAP,
	"NOTRACK":    targetNOTRACK,
	"CT":         targetCT,
	"TPROXY":     targetTPROXY,
	"TCPMSS":     targetTCPMSS,
	"CHECKSUM":   targetCHECKSUM,
	"TRACE":      targetTRACE,
	"CLASSIFY":   targetCLASSIFY,
	"NFQUEUE":    targetNFQUEUE,
	"TEE":        targetTEE,
	"DSCP":       targetDSCP,
	"AUDIT":      targetAUDIT,
}
