package faultproxy

import (
	"encoding/binary"
	"errors"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// opMsgOf builds an OP_MSG with requestID id whose body is doc.
func opMsgOf(tb testing.TB, id int32, doc bson.D) []byte {
	tb.Helper()
	body, err := bson.Marshal(doc)
	if err != nil {
		tb.Fatal(err)
	}
	msg := make([]byte, 21, 21+len(body))
	msg = append(msg, body...)
	binary.LittleEndian.PutUint32(msg[0:4], uint32(len(msg)))
	binary.LittleEndian.PutUint32(msg[4:8], uint32(id))
	binary.LittleEndian.PutUint32(msg[12:16], opMsg)
	msg[20] = 0 // section kind 0
	return msg
}

// echoServer answers every message with an OP_MSG {ok: 1} whose
// responseTo is the request's id, and records the ids it received.
type echoServer struct {
	ln  net.Listener
	mu  sync.Mutex
	got []int32
}

func startEcho(t *testing.T) *echoServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &echoServer{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				for {
					msg, err := readMessage(c)
					if err != nil {
						return
					}
					id := int32(binary.LittleEndian.Uint32(msg[4:8]))
					s.mu.Lock()
					s.got = append(s.got, id)
					s.mu.Unlock()
					reply := opMsgOf(t, 1000+id, bson.D{{Key: "ok", Value: 1}})
					binary.LittleEndian.PutUint32(reply[8:12], uint32(id))
					if _, err := c.Write(reply); err != nil {
						return
					}
				}
			}()
		}
	}()
	return s
}

func (s *echoServer) received() []int32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int32(nil), s.got...)
}

func TestCommandOf(t *testing.T) {
	name, coll := commandOf(opMsgOf(t, 1, bson.D{{Key: "update", Value: "products"}, {Key: "ordered", Value: true}}))
	if name != "update" || coll != "products" {
		t.Errorf("commandOf(update products) = %q %q", name, coll)
	}
	if name, coll := commandOf(opMsgOf(t, 1, bson.D{{Key: "hello", Value: 1}})); name != "hello" || coll != "" {
		t.Errorf("commandOf(hello) = %q %q, want hello and no collection", name, coll)
	}
}

// TestActions: each action does to one command what it says, as the
// client and the server see it.
func TestActions(t *testing.T) {
	tests := []struct {
		act          Action
		reply        bool // the client gets a reply in time
		replyLate    bool // the client gets one after Delay
		reachesSoon  bool // the server gets the command at once
		reachesLater bool // the server gets it after Delay
		closed       bool // the client's connection is reset
	}{
		{act: Pass, reply: true, reachesSoon: true},
		{act: DropReply, reachesSoon: true},
		{act: DelayReply, replyLate: true, reachesSoon: true},
		{act: ApplyLate, reachesLater: true},
		{act: Reset, closed: true},
		{act: BlackHole},
	}
	for _, tt := range tests {
		t.Run(tt.act.String(), func(t *testing.T) {
			srv := startEcho(t)
			p, err := Start(srv.ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			p.Delay = 300 * time.Millisecond
			p.SetRule(func(c Command) Action {
				if c == (Command{Name: "update", Collection: "products"}) {
					return tt.act
				}
				return Pass
			})
			c, err := net.Dial("tcp", p.Addr())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := c.Write(opMsgOf(t, 7, bson.D{{Key: "update", Value: "products"}})); err != nil {
				t.Fatal(err)
			}
			_ = c.SetReadDeadline(time.Now().Add(150 * time.Millisecond))
			_, err = readMessage(c)
			switch {
			case tt.reply && err != nil:
				t.Errorf("no reply in time: %v", err)
			case !tt.reply && err == nil:
				t.Error("a reply came in time, want none")
			case tt.closed && !isReset(err):
				t.Errorf("read = %v, want the connection reset", err)
			}
			if got := len(srv.received()); got != map[bool]int{true: 1, false: 0}[tt.reachesSoon] {
				t.Errorf("server got %d commands at once, want reaches=%v", got, tt.reachesSoon)
			}
			if tt.replyLate {
				_ = c.SetReadDeadline(time.Now().Add(time.Second))
				if _, err := readMessage(c); err != nil {
					t.Errorf("late reply: %v", err)
				}
			}
			p.SetRule(nil)
			p.Settle()
			if got := len(srv.received()); got != map[bool]int{true: 1, false: 0}[tt.reachesSoon || tt.reachesLater] {
				t.Errorf("server got %d commands in the end", got)
			}
		})
	}
}

func isReset(err error) bool {
	var ne *net.OpError
	return errors.As(err, &ne) && !errors.Is(err, os.ErrDeadlineExceeded)
}

// TestSetDown: an outage resets open connections and refuses new ones on
// the same port; afterwards traffic flows again.
func TestSetDown(t *testing.T) {
	srv := startEcho(t)
	p, err := Start(srv.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	roundTrip := func() error {
		c, err := net.Dial("tcp", p.Addr())
		if err != nil {
			return err
		}
		defer c.Close()
		if _, err := c.Write(opMsgOf(t, 1, bson.D{{Key: "find", Value: "orders"}})); err != nil {
			return err
		}
		_ = c.SetReadDeadline(time.Now().Add(time.Second))
		_, err = readMessage(c)
		return err
	}
	if err := roundTrip(); err != nil {
		t.Fatalf("before the outage: %v", err)
	}
	p.SetDown(true)
	if err := roundTrip(); err == nil {
		t.Error("during the outage a command got a reply")
	}
	p.SetDown(false)
	if err := roundTrip(); err != nil {
		t.Errorf("after the outage: %v", err)
	}
	var nilProxy *Proxy
	if err := nilProxy.Close(); err != nil {
		t.Errorf("(*Proxy)(nil).Close() = %v, want nil", err)
	}
}
