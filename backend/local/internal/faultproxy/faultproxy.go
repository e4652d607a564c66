// Package faultproxy is a TCP proxy for tests that sits between a MongoDB
// client and server, reads the wire protocol's message framing, and lets
// the test decide, message by message, what the network does with each
// command: pass it, forward it and drop the reply, forward it and deliver
// the reply late, forward it late, reset the connection, or black-hole it.
// It listens on loopback only and keeps its port for its whole life, so an
// outage made with SetDown never loses the port to another process.
//
// It also serialises the commands it forwards (one at a time, until the
// server's reply), because FerretDB 1.x loses concurrent updates
// (local/internal/serial); a late command then never races another.
package faultproxy

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Action is what the proxy does with one command.
type Action int

const (
	// Pass forwards the command and its reply.
	Pass Action = iota
	// DropReply forwards the command (the server applies it) and swallows
	// the reply; the connection stays open and silent, so the client
	// waits until its timeout.
	DropReply
	// DelayReply forwards the command and holds the reply for Delay
	// (longer than the client's timeout): the client gives up first.
	DelayReply
	// ApplyLate holds the command for Delay, then forwards it: the server
	// applies it after the client gave up.
	ApplyLate
	// Reset resets the connection (RST) without forwarding the command.
	Reset
	// BlackHole swallows the command and everything after it on that
	// connection; the client waits until its timeout.
	BlackHole
	// HangUp passes the command, but calls the rule's hang-up hook first:
	// the test cancels the client's request while the command is in flight.
	HangUp
)

var actionNames = [...]string{"pass", "drop-reply", "delay-reply", "apply-late", "reset", "black-hole", "hang-up"}

func (a Action) String() string { return actionNames[a] }

// Faults are the actions that are faults, in a fixed order.
var Faults = []Action{HangUp, DropReply, DelayReply, ApplyLate, Reset, BlackHole}

// Command identifies one command seen by the proxy: its name (the first
// key of an OP_MSG body, "find", "update", "findAndModify"...), the
// collection it names, and how many commands with the same name and
// collection came before it since the last SetRule (from 0).
type Command struct {
	Name       string
	Collection string
	N          int
}

func (c Command) String() string { return fmt.Sprintf("%s %s #%d", c.Name, c.Collection, c.N) }

// Rule decides what happens to a command. Commands that name no
// collection (hello, ping, endSessions, the handshake) always pass.
type Rule func(Command) Action

// Proxy is a fault-injecting TCP proxy. Create it with Start.
type Proxy struct {
	target string
	ln     net.Listener
	// Delay is how long DelayReply and ApplyLate wait.
	Delay time.Duration
	// OnHangUp is called (synchronously) for a HangUp command.
	OnHangUp func()

	mu     sync.Mutex
	rule   Rule
	counts map[[2]string]int
	log    []Command
	down   bool
	conns  map[net.Conn]struct{}
	closed bool

	turn chan struct{} // one forwarded command at a time
	wg   sync.WaitGroup
	// pending counts delayed commands and replies not yet sent; busy
	// counts collection commands read and not yet done with (dropped, or
	// forwarded and answered by the server). Counters, not WaitGroups:
	// traffic goes on while Settle waits.
	pending, busy counter
}

// counter counts work in flight; wait polls until none is.
type counter struct{ n atomic.Int64 }

func (c *counter) Add(d int) { c.n.Add(int64(d)) }
func (c *counter) Done()     { c.n.Add(-1) }

func (c *counter) wait() {
	for c.n.Load() > 0 {
		time.Sleep(time.Millisecond)
	}
}

// Start listens on 127.0.0.1 (a free port) and proxies to target.
func Start(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{target: target, ln: ln, Delay: time.Second, counts: map[[2]string]int{},
		conns: map[net.Conn]struct{}{}, turn: make(chan struct{}, 1)}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// SetRule installs rule (nil passes everything) and restarts the command
// counts and log.
func (p *Proxy) SetRule(rule Rule) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rule, p.counts, p.log = rule, map[[2]string]int{}, nil
}

// Commands returns the commands seen since the last SetRule.
func (p *Proxy) Commands() []Command {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Command(nil), p.log...)
}

// SetDown starts (true) or ends an outage: every open connection is reset
// and new ones are reset as soon as they are accepted. The port stays
// bound.
func (p *Proxy) SetDown(down bool) {
	p.mu.Lock()
	p.down = down
	var open []net.Conn
	if down {
		for c := range p.conns {
			open = append(open, c)
		}
	}
	p.mu.Unlock()
	for _, c := range open {
		reset(c)
	}
}

// Settle waits until every command read has been dropped or answered by
// the server, and every delayed command and reply has been sent.
func (p *Proxy) Settle() {
	p.busy.wait()
	p.pending.wait()
	p.busy.wait() // what the delayed commands sent
}

// Close stops the proxy and resets every connection. It is safe to call on
// a nil Proxy and more than once.
func (p *Proxy) Close() error {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	var open []net.Conn
	for c := range p.conns {
		open = append(open, c)
	}
	p.mu.Unlock()
	err := p.ln.Close()
	for _, c := range open {
		reset(c)
	}
	p.wg.Wait()
	return err
}

func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // close with RST
	}
	_ = c.Close()
}

func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.down {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	_ = c.Close()
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if !p.track(c) {
			reset(c)
			continue
		}
		p.wg.Add(1)
		go p.serve(c)
	}
}

// decide counts cmd and returns what to do with it.
func (p *Proxy) decide(name, coll string) (Command, Action) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if coll == "" {
		return Command{Name: name}, Pass
	}
	k := [2]string{name, coll}
	cmd := Command{Name: name, Collection: coll, N: p.counts[k]}
	p.counts[k]++
	p.log = append(p.log, cmd)
	if p.rule == nil {
		return cmd, Pass
	}
	return cmd, p.rule(cmd)
}

// serve relays one client connection.
func (p *Proxy) serve(client net.Conn) {
	defer p.wg.Done()
	defer p.untrack(client)
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	if !p.track(server) {
		_ = server.Close()
		return
	}
	defer p.untrack(server)

	var (
		mu       sync.Mutex
		drop     = map[int32]bool{} // replies to swallow
		delay    = map[int32]bool{} // replies to hold
		holdTurn = map[int32]bool{} // forwarded commands that hold the turn
		wmu      sync.Mutex         // writes to server
	)
	releaseTurn := func(id int32) {
		mu.Lock()
		serialised, ok := holdTurn[id]
		delete(holdTurn, id)
		mu.Unlock()
		if ok && serialised {
			<-p.turn
			p.busy.Done()
		}
	}
	forward := func(id int32, msg []byte, serialise bool) error {
		if serialise { // a collection command: one at a time, and waited for
			p.turn <- struct{}{}
			mu.Lock()
			holdTurn[id] = true
			mu.Unlock()
		}
		wmu.Lock()
		_, err := server.Write(msg)
		wmu.Unlock()
		if err != nil {
			releaseTurn(id)
		}
		return err
	}
	done := make(chan struct{}, 2)
	// Server → client: replies, matched to commands by responseTo.
	go func() {
		defer func() { done <- struct{}{} }()
		defer func() { // the server is gone: no reply will free the turn
			mu.Lock()
			ids := make([]int32, 0, len(holdTurn))
			for id := range holdTurn {
				ids = append(ids, id)
			}
			mu.Unlock()
			for _, id := range ids {
				releaseTurn(id)
			}
		}()
		for {
			msg, err := readMessage(server)
			if err != nil {
				return
			}
			to := int32(binary.LittleEndian.Uint32(msg[8:12]))
			releaseTurn(to)
			mu.Lock()
			d, late := drop[to], delay[to]
			mu.Unlock()
			switch {
			case d:
				continue
			case late:
				p.pending.Add(1)
				go func() {
					defer p.pending.Done()
					time.Sleep(p.Delay)
					_, _ = client.Write(msg)
				}()
				continue
			}
			if _, err := client.Write(msg); err != nil {
				return
			}
		}
	}()
	// Client → server: commands.
	go func() {
		defer func() { done <- struct{}{} }()
		holed := false
		for {
			msg, err := readMessage(client)
			if err != nil {
				return
			}
			if holed {
				continue
			}
			id := int32(binary.LittleEndian.Uint32(msg[4:8]))
			name, coll := commandOf(msg)
			serialise := coll != ""
			if serialise {
				p.busy.Add(1) // done when answered (releaseTurn) or not forwarded
			}
			_, act := p.decide(name, coll)
			switch act {
			case HangUp:
				if p.OnHangUp != nil {
					p.OnHangUp()
				}
			case DropReply:
				mu.Lock()
				drop[id] = true
				mu.Unlock()
			case DelayReply:
				mu.Lock()
				delay[id] = true
				mu.Unlock()
			case ApplyLate:
				p.pending.Add(1)
				go func() {
					defer p.pending.Done()
					time.Sleep(p.Delay)
					mu.Lock()
					drop[id] = true // the client gave up long ago
					mu.Unlock()
					_ = forward(id, msg, serialise) // an error has released the command
				}()
				continue
			case Reset:
				if serialise {
					p.busy.Done()
				}
				reset(client)
				return
			case BlackHole:
				if serialise {
					p.busy.Done()
				}
				holed = true
				continue
			}
			if err := forward(id, msg, serialise); err != nil {
				return // forward released the command
			}
		}
	}()
	<-done
	// Let delayed commands go out, and every command sent get its reply,
	// before the server side closes: a server may drop a command whose
	// connection closes, and a forwarded command must be applied.
	p.pending.wait()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		mu.Lock()
		n := len(holdTurn)
		mu.Unlock()
		if n == 0 {
			break
		}
		select {
		case <-done: // the server side is gone
			return
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// maxMessage bounds a message (MongoDB's maxMessageSizeBytes is 48 MB).
const maxMessage = 48 << 20

// readMessage reads one wire-protocol message: a little-endian int32
// length that counts itself, then the rest.
func readMessage(r io.Reader) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := int(binary.LittleEndian.Uint32(hdr[:]))
	if n < 16 || n > maxMessage {
		return nil, errors.New("faultproxy: bad message length")
	}
	msg := make([]byte, n)
	copy(msg, hdr[:])
	if _, err := io.ReadFull(r, msg[4:]); err != nil {
		return nil, err
	}
	return msg, nil
}

// opMsg is the OP_MSG opcode; every command of the current drivers uses it.
const opMsg = 2013

// commandOf returns the command name and collection of an OP_MSG, or
// empty strings for anything else: the name is the first key of the body
// section (kind 0), the collection its value when that is a string.
func commandOf(msg []byte) (name, coll string) {
	if len(msg) < 21 || binary.LittleEndian.Uint32(msg[12:16]) != opMsg {
		return "", ""
	}
	sections := msg[20:] // after the header and flagBits
	for len(sections) > 5 {
		kind := sections[0]
		size := int(binary.LittleEndian.Uint32(sections[1:5]))
		if size < 5 || 1+size > len(sections) {
			return "", ""
		}
		if kind == 0 {
			doc := bson.Raw(sections[1 : 1+size])
			elems, err := doc.Elements()
			if err != nil || len(elems) == 0 {
				return "", ""
			}
			name = elems[0].Key()
			coll, _ = elems[0].Value().StringValueOK()
			return name, coll
		}
		sections = sections[1+size:]
	}
	return "", ""
}
