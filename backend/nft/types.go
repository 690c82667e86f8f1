package nft

import (
	"fmt"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"

	"github.com/xt2nft/xt2nft/translate/desc"
)

// What nft knows about types, headers and keys is in translate/desc; this
// file only maps its numbers onto google/nftables' values.

// setDatatypes are google/nftables' set key types by nft's TYPE_* number
// (their widths are the ones the kernel expects for set keys).
var setDatatypes = func() map[uint32]nftables.SetDatatype {
	m := map[uint32]nftables.SetDatatype{}
	for _, t := range []nftables.SetDatatype{
		nftables.TypeNFProto, nftables.TypeInteger, nftables.TypeString, nftables.TypeIPAddr,
		nftables.TypeIP6Addr, nftables.TypeEtherAddr, nftables.TypeEtherType, nftables.TypeInetProto,
		nftables.TypeInetService, nftables.TypeICMPType, nftables.TypeTCPFlag, nftables.TypeDCCPPktType,
		nftables.TypeMHType, nftables.TypeTime, nftables.TypeMark, nftables.TypeIFIndex, nftables.TypeARPHRD,
		nftables.TypeRealm, nftables.TypeUID, nftables.TypeGID, nftables.TypeCTState, nftables.TypeCTDir,
		nftables.TypeCTStatus, nftables.TypeICMP6Type, nftables.TypeCTLabel, nftables.TypePktType,
		nftables.TypeICMPCode, nftables.TypeICMPV6Code, nftables.TypeICMPXCode, nftables.TypeDevGroup,
		nftables.TypeDSCP, nftables.TypeECN, nftables.TypeFIBAddr, nftables.TypeBoolean, nftables.TypeIFName,
		nftables.TypeTimeDate, nftables.TypeTimeHour, nftables.TypeTimeDay,
	} {
		m[t.GetNFTMagic()] = t
	}
	return m
}()

// setDatatype is the set key type of values of type t.
func setDatatype(t *desc.Type) (nftables.SetDatatype, error) {
	st, ok := setDatatypes[t.ID]
	if !ok {
		return nftables.SetDatatype{}, fmt.Errorf("type %s cannot be a set key here", t.Name)
	}
	return st, nil
}

// payloadBases maps the descriptor's bases onto the kernel's.
var payloadBases = map[desc.Base]expr.PayloadBase{
	desc.LinkHeader: expr.PayloadBaseLLHeader, desc.NetworkHeader: expr.PayloadBaseNetworkHeader,
	desc.TransportHeader: expr.PayloadBaseTransportHeader,
}
