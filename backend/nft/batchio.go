package nft

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"syscall"
	"time"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/xt2nft/xt2nft/backend"
	"github.com/xt2nft/xt2nft/backend/netns"
	"github.com/xt2nft/xt2nft/backend/nft/nlraw"
)

// The socket work of a batch is done the way nft does it.
//
// The whole batch goes out in one sendmsg, framed by NFNL_MSG_BATCH_BEGIN
// and NFNL_MSG_BATCH_END; the kernel processes it inside that sendmsg and
// commits all of it or none. Only the last message asks for an
// acknowledgement: the kernel reports the errors of failed messages (by
// sequence number) before that final ack, so a refused rule is named
// exactly, and 20,000 rules cost one ack instead of 20,000 acks and 40,000
// system calls.
//
// The batch header can carry the ruleset generation the batch was planned
// against (NFNL_BATCH_GENID). The kernel compares it with the current one
// under the commit mutex, which it then holds until the commit: a batch
// conditioned on generation G commits only if no other transaction
// committed since G was read, and refuses with ERESTART (before processing
// any message) otherwise. Each commit advances the generation by one, so
// after a batch conditioned on G commits, the generation is exactly G+1
// (genAfter) until the next commit by anyone.

// send sends the batch in ns as one transaction, conditioned on generation
// genid (0: unconditioned). A refusal is a *batchError.
func (b *batch) send(ns *netns.NS, genid uint32) error {
	if b.len() == 0 {
		return nil
	}
	c, err := netlink.Dial(unix.NETLINK_NETFILTER, &netlink.Config{NetNS: ns.Fd()})
	if err != nil {
		return classify(err)
	}
	defer c.Close()
	n := b.len()
	rcv := 1<<20 + 1024*n
	if b.echo {
		// The echoed rules come back, about as big as they went, before
		// the acknowledgement: a receive buffer that overflowed would
		// lose the answer of a batch that committed.
		rcv += 2*len(b.buf) + 256*n
	}
	if err := nlraw.SocketBuffers(1<<20+len(b.buf)+64*n, rcv)(c); err != nil {
		return classify(err)
	}
	if err := c.SetOption(netlink.ExtendedAcknowledge, true); err != nil {
		return err
	}
	// Sequence numbers are ours (begin, messages, end) so that errors can
	// be matched to messages.
	base := rand.Uint32N(1<<30) + 1
	begin := nfgen(unix.AF_UNSPEC)
	binary.BigEndian.PutUint16(begin[2:], unix.NFNL_SUBSYS_NFTABLES)
	if genid != 0 {
		begin = append(begin, encodeU32(unix.NFNL_BATCH_GENID, genid)...)
	}
	for i, off := range b.offs {
		h := b.buf[off:]
		flags := netlink.HeaderFlags(binary.NativeEndian.Uint16(h[6:])) &^ (netlink.Acknowledge | netlink.Echo)
		if b.echo && b.echoes(b.origins[i].rule) {
			flags |= netlink.Echo
		}
		if i == n-1 {
			flags |= netlink.Acknowledge
		}
		binary.NativeEndian.PutUint16(h[6:], uint16(flags))
		binary.NativeEndian.PutUint32(h[8:], base+1+uint32(i))
	}
	// BATCH_BEGIN and BATCH_END are nfgenmsg headers whose res_id names
	// the subsystem (in network order).
	head := appendMsg(nil, unix.NFNL_MSG_BATCH_BEGIN, netlink.Request, 0, begin[4:])
	copy(head[nlHeaderLen:], begin[:4])
	binary.NativeEndian.PutUint32(head[8:], base)
	tail := appendMsg(nil, unix.NFNL_MSG_BATCH_END, netlink.Request, 0, nil)
	binary.BigEndian.PutUint16(tail[nlHeaderLen+2:], unix.NFNL_SUBSYS_NFTABLES)
	binary.NativeEndian.PutUint32(tail[8:], base+1+uint32(n))
	if err := sendBuffers(c, head, b.buf, tail); err != nil {
		return classify(fmt.Errorf("sending the batch: %w", err))
	}
	if err := c.SetReadDeadline(time.Now().Add(2 * time.Minute)); err != nil {
		return err
	}
	berr := &batchError{}
	last := base + uint32(n)
	err = nlraw.ReadRaw(c, func(m syscall.NetlinkMessage) (bool, error) {
		if m.Header.Type != unix.NLMSG_ERROR {
			// An echoed rule (commit notifications come before the
			// acknowledgements): its handle.
			if b.echo && m.Header.Type == unix.NFNL_SUBSYS_NFTABLES<<8|unix.NFT_MSG_NEWRULE && m.Header.Seq > base && m.Header.Seq <= last && len(m.Data) > 4 {
				if k := b.origins[m.Header.Seq-base-1].rule; k >= 0 && k < len(b.slots) && b.slots[k] != nil {
					h := getU64(m.Data[4:], unix.NFTA_RULE_HANDLE)
					if want, ok := b.expect[k]; ok && want != h {
						b.mispredicted = true
					}
					*b.slots[k] = h
				}
			}
			return false, nil
		}
		e := nlraw.Errno(m)
		switch seq := m.Header.Seq; {
		case seq == base:
			// The batch as a whole: the generation check (ERESTART), no
			// privileges (EPERM), no memory. Nothing else follows.
			if e != 0 {
				berr.batch = e
				return true, nil
			}
		case e != 0 && seq > base && seq <= last:
			berr.failures = append(berr.failures, failure{origin: b.origins[seq-base-1], index: int(seq - base - 1), err: e})
		}
		return m.Header.Seq == last, nil
	})
	if err != nil {
		return classify(fmt.Errorf("reading the kernel's answer: %w", err))
	}
	if berr.batch != 0 || len(berr.failures) > 0 {
		return berr
	}
	return nil
}

// sendBuffers sends the buffers as one datagram (one sendmsg): the
// kernel reads a batch from one message buffer, and the batch is built in
// one buffer already, which mdlayher/netlink would copy into another.
func sendBuffers(c *netlink.Conn, bufs ...[]byte) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Write(func(fd uintptr) bool {
		_, serr = unix.SendmsgBuffers(int(fd), bufs, nil, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}, 0)
		return serr != unix.EAGAIN
	}); err != nil {
		return err
	}
	return serr
}

// echoes reports whether the batch's k-th rule (-1: not a rule) is sent
// with NLM_F_ECHO: a rule with a slot.
func (b *batch) echoes(k int) bool { return k >= 0 && k < len(b.slots) && b.slots[k] != nil }

// failure is a message the kernel refused.
type failure struct {
	origin
	index int // the message's position in the batch
	err   unix.Errno
}

// batchError is a batch the kernel refused: nothing of it was committed.
type batchError struct {
	batch    unix.Errno // an error for the batch as a whole, or 0
	failures []failure  // errors of single messages, in the kernel's order
}

func (e *batchError) Error() string {
	if e.batch != 0 {
		return e.batch.Error()
	}
	return e.failures[0].err.Error()
}

// Unwrap gives the first errno, so that errors.Is(err, unix.EPERM) works.
func (e *batchError) Unwrap() error {
	if e.batch != 0 {
		return e.batch
	}
	return e.failures[0].err
}

// genAfter is the generation after one commit on top of g.
func genAfter(g uint32) uint32 {
	if g+1 == 0 {
		return 1 // the kernel skips 0, which means "no check"
	}
	return g + 1
}

// generation reads the ruleset generation (NFT_MSG_GETGEN) on c.
func generation(c *netlink.Conn) (uint32, error) {
	msgs, err := c.Execute(netlink.Message{
		Header: netlink.Header{Type: netlink.HeaderType(unix.NFNL_SUBSYS_NFTABLES<<8 | unix.NFT_MSG_GETGEN), Flags: netlink.Request},
		Data:   nfgen(unix.AF_UNSPEC),
	})
	if err != nil {
		return 0, classify(fmt.Errorf("reading the ruleset generation: %w", err))
	}
	for _, m := range msgs {
		if len(m.Data) < 4 {
			continue
		}
		ad, err := netlink.NewAttributeDecoder(m.Data[4:])
		if err != nil {
			return 0, err
		}
		ad.ByteOrder = binary.BigEndian
		for ad.Next() {
			if ad.Type() == unix.NFTA_GEN_ID {
				return ad.Uint32(), nil
			}
		}
	}
	return 0, errors.New("the kernel's answer to NFT_MSG_GETGEN has no generation")
}

// dial opens a netlink socket for reads in ns.
func dial(ns *netns.NS) (*netlink.Conn, error) {
	c, err := netlink.Dial(unix.NETLINK_NETFILTER, &netlink.Config{NetNS: ns.Fd()})
	if err != nil {
		return nil, classify(err)
	}
	if err := nlraw.SocketBuffers(1<<20, 8<<20)(c); err != nil {
		c.Close()
		return nil, classify(err)
	}
	return c, nil
}

// classify turns the system's refusals for lack of privileges into
// *backend.PermissionError (by errno, not by message) and leaves other
// errors alone.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var pe *backend.PermissionError
	if errors.As(err, &pe) {
		return err
	}
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
		return &backend.PermissionError{Err: err}
	}
	return err
}
