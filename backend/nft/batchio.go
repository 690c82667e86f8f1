package nft

import (
	"fmt"
	"io"
	"syscall"
	"time"

	"github.com/google/nftables"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/xt2nft/xt2nft/backend/nft/nlraw"
)

// batchIO does the socket work of one batch the way nft does it, while
// google/nftables still builds every message.
//
// google/nftables asks the kernel to acknowledge every message and then
// reads the acknowledgements one recvmsg at a time: for 20,000 rules that is
// 20,000 acks to build and 40,000 system calls, which made an apply slower
// than `nft -f`. nft asks for one acknowledgement, on the last message: the
// kernel processes a batch inside sendmsg and reports the errors of failed
// messages (by sequence number) before that final ack. batchIO plugs into
// google/nftables through its connection hook (nftables.WithTestDial, which
// hands over the marshalled messages): it clears the ack flag on all but the
// last message, sends the batch on a real socket in the namespace, reads
// until the last message's answer, and gives google/nftables the ack it
// expects. The kernel's errors are kept with the sequence number of the
// message that caused them, so a refused rule is named exactly.
type batchIO struct {
	ns    *NS
	msgs  int
	elems int // set elements in the batch
	// failures of the last batch, in the kernel's order
	failures []failure
	// types of the messages of the last batch, by sequence number
	types map[uint32]failure
	// udata is extra set user data by family/table/set (typeof keys)
	udata map[string][]byte
}

func udataKey(fam byte, table, set string) string { return fmt.Sprint(fam, "/", table, "/", set) }

// failure is a message the kernel refused: its type, its position among
// the messages of its type in the batch (the k-th NEWRULE), and the error.
type failure struct {
	msgType uint16 // NFT_MSG_*
	index   int
	err     error
}

func (b *batchIO) conn() (*nftables.Conn, error) {
	return nftables.New(nftables.WithTestDial(b.roundTrip))
}

// roundTrip is called with the batch (and with nil when google/nftables
// reads more replies than we gave: it gets none).
func (b *batchIO) roundTrip(req []netlink.Message) ([]netlink.Message, error) {
	if len(req) == 0 {
		return nil, io.EOF
	}
	b.failures = nil
	b.types = map[uint32]failure{}
	count := map[uint16]int{}
	// req[0] and req[len-1] are the batch begin and end markers; the last
	// real message carries the only ack request.
	last := len(req) - 2
	for i := range req {
		t := uint16(req[i].Header.Type) & 0xff
		if t == unix.NFT_MSG_NEWSET && len(b.udata) > 0 && len(req[i].Data) > 0 {
			table, name := setName(req[i])
			if ud := b.udata[udataKey(req[i].Data[0], table, name)]; ud != nil {
				addSetUdata(&req[i], ud)
			}
		}
		if t == unix.NFT_MSG_NEWRULE {
			ctDirections(&req[i]) // ct keys google/nftables sends no direction for (ctdir.go)
		}
		b.types[req[i].Header.Sequence] = failure{msgType: t, index: count[t]}
		count[t]++
		if i != last {
			req[i].Header.Flags &^= netlink.Acknowledge
		} else {
			req[i].Header.Flags |= netlink.Acknowledge
		}
	}
	c, err := netlink.Dial(unix.NETLINK_NETFILTER, &netlink.Config{NetNS: b.ns.fd()})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if err := nlraw.SocketBuffers(1<<20+2048*b.msgs+64*b.elems, 1<<20+1024*b.msgs)(c); err != nil {
		return nil, err
	}
	if err := c.SetOption(netlink.ExtendedAcknowledge, true); err != nil {
		return nil, err
	}
	if _, err := c.SendMessages(req); err != nil {
		return nil, err
	}
	lastSeq := req[last].Header.Sequence
	if err := c.SetReadDeadline(time.Now().Add(2 * time.Minute)); err != nil {
		return nil, err
	}
	err = nlraw.ReadRaw(c, func(m syscall.NetlinkMessage) (bool, error) {
		if m.Header.Type != unix.NLMSG_ERROR {
			return false, nil
		}
		if e := nlraw.Errno(m); e != 0 {
			f := b.types[m.Header.Seq]
			f.err = e
			b.failures = append(b.failures, f)
		}
		return m.Header.Seq == lastSeq, nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the kernel's answer: %w", err)
	}
	if len(b.failures) > 0 {
		return nil, b.failures[0].err
	}
	ack := netlink.Message{Header: netlink.Header{Type: netlink.Error, Sequence: lastSeq}, Data: make([]byte, 4+16)}
	return []netlink.Message{ack}, nil
}
