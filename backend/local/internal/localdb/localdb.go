// Package localdb runs an embedded FerretDB (SQLite handler) in the process,
// so that `make run` and the store tests speak the MongoDB wire protocol
// without a MongoDB server.
//
// FerretDB listens on a private loopback port; clients connect to a small
// TCP relay on Config.Addr in front of it. The relay exists for Close: it
// drops every client connection at once, the way a crashed server does,
// whereas FerretDB's own shutdown lets open connections keep working for a
// few seconds. A Server can be started again on the same address with the
// same data directory, which the outage tests rely on.
package localdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sync"

	"github.com/FerretDB/FerretDB/ferretdb"
)

// Config configures a Server.
type Config struct {
	// Dir keeps the SQLite files (one per database). It is created if
	// missing. Required.
	Dir string
	// Addr is the TCP address clients connect to; default "127.0.0.1:0"
	// (a free port, see URI).
	Addr string
	// Logger receives FerretDB's logs; nil discards them.
	Logger *slog.Logger
}

// sqliteParams are added to the SQLite URI of every database FerretDB
// opens (FerretDB keeps its defaults busy_timeout(10000), journal_mode(wal)
// and auto_vacuum(none) unless the URI sets them). synchronous(normal):
// in WAL mode SQLite then syncs the log at checkpoints, not at every
// commit. A crash of the process loses nothing (the log is in the OS's
// page cache); a power loss may lose the last commits but leaves the
// database consistent (https://www.sqlite.org/pragma.html#pragma_synchronous,
// https://www.sqlite.org/wal.html). Measured in docs/local-store.md: the
// fsync per commit (four per order) was most of an order's time.
const sqliteParams = "_pragma=synchronous(normal)"

// Server is a running embedded FerretDB.
type Server struct {
	ln      net.Listener
	backend string // FerretDB's own listener

	stopDB context.CancelFunc
	dbDone chan struct{}

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup // accept loop and relays
}

// Start starts FerretDB on cfg.Dir and listens on cfg.Addr.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Dir == "" {
		return nil, errors.New("localdb: Config.Dir is required")
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("localdb: data dir: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("localdb: data dir: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	// Claim the public address first: if it is taken there is nothing to
	// undo.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("localdb: listen on %s: %w", cfg.Addr, err)
	}

	db, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
		Logger:    cfg.Logger,
		Handler:   "sqlite",
		SQLiteURL: (&url.URL{Scheme: "file", Path: filepath.ToSlash(dir) + "/", RawQuery: sqliteParams}).String(),
	})
	if err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("localdb: start FerretDB: %w", err)
	}
	u, err := url.Parse(db.MongoDBURI())
	if err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("localdb: FerretDB address: %w", err)
	}

	// FerretDB lives until Close, not until ctx (which only bounds Start).
	runCtx, stop := context.WithCancel(context.Background())
	s := &Server{
		ln:      ln,
		backend: u.Host,
		stopDB:  stop,
		dbDone:  make(chan struct{}),
		conns:   map[net.Conn]struct{}{},
	}
	go func() {
		defer close(s.dbDone)
		_ = db.Run(runCtx)
	}()
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Addr is the address clients connect to.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URI is the connection string for clients: mongodb://127.0.0.1:port/.
func (s *Server) URI() string {
	return (&url.URL{Scheme: "mongodb", Host: s.Addr(), Path: "/"}).String()
}

// Close drops every client connection, stops FerretDB and waits until its
// files are closed, so the same Dir can be opened again. It is safe to call
// more than once.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		<-s.dbDone
		return nil
	}
	s.closed = true
	err := s.ln.Close()
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	s.stopDB()
	<-s.dbDone
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue // transient (e.g. too many open files); keep serving
		}
		if !s.track(c) {
			_ = c.Close()
			return
		}
		s.wg.Add(1)
		go s.relay(c)
	}
}

// track registers c so Close can drop it; false once the server is closed.
func (s *Server) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *Server) untrack(c net.Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	_ = c.Close()
}

// relay copies bytes both ways between a client and FerretDB until either
// side closes.
func (s *Server) relay(client net.Conn) {
	defer s.wg.Done()
	defer s.untrack(client)
	backend, err := net.Dial("tcp", s.backend)
	if err != nil {
		return
	}
	if !s.track(backend) {
		_ = backend.Close()
		return
	}
	defer s.untrack(backend)
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		done <- struct{}{}
	}
	go pipe(backend, client)
	go pipe(client, backend)
	<-done // one side is gone: the deferred closes end the other copy
}

// RunWithTemp is a test package's TestMain body: it starts a server in a
// new temporary directory (named after prefix), hands its URI and directory
// to set, runs the tests (run is testing.M.Run) and removes both. It
// returns the exit code for os.Exit.
func RunWithTemp(prefix string, set func(uri, dir string), run func() int) int {
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	srv, err := Start(context.Background(), Config{Dir: dir})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer srv.Close()
	set(srv.URI(), dir)
	return run()
}
