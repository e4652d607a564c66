package httpapi

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// withTimeout bounds the request's context: a store call past it fails
// and the client gets 503.
func withTimeout(d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var c *lazyDeadline
		if info := infoOf(w); info != nil && info.deadline.parent == nil {
			c = &info.deadline // in the request's one allocation (observeMiddleware)
		} else {
			c = new(lazyDeadline)
		}
		c.start(r.Context(), d)
		defer c.cancel() // a method call: no CancelFunc value to allocate
		next.ServeHTTP(w, r.WithContext(c))
	})
}

// lazyTimeout is context.WithTimeout(parent, d), made only when something
// needs it. The standard timer context arms a runtime timer and links
// itself to its parent on every request; in the CPU profile of the product
// read under load that was a third of the service's own time
// (docs/benchmarks.md), while on the fast paths (the in-memory store, a
// request that fails validation) nothing ever waits on Done. Here Deadline
// and Err are answered from the clock and the parent, and the real
// context.WithDeadline is created on the first call to Done or Value
// (context.Cause and child contexts find their parent through Value). From
// then on it answers everything. Its cancel method is the CancelFunc.
func lazyTimeout(parent context.Context, d time.Duration) *lazyDeadline {
	c := new(lazyDeadline)
	c.start(parent, d)
	return c
}

// start makes a zero lazyDeadline the timeout d of parent from now.
func (c *lazyDeadline) start(parent context.Context, d time.Duration) {
	c.parent, c.deadline = parent, time.Now().Add(d)
}

type lazyDeadline struct {
	parent   context.Context
	deadline time.Time

	once        sync.Once
	inner       context.Context // context.WithDeadline(parent, deadline), once armed
	cancelInner context.CancelFunc

	mu       sync.Mutex
	armed    bool // inner exists
	canceled bool // the CancelFunc was called
}

// arm creates the real context (once) and returns it.
func (c *lazyDeadline) arm() context.Context {
	c.once.Do(func() {
		inner, cancel := context.WithDeadline(c.parent, c.deadline)
		c.mu.Lock()
		c.inner, c.cancelInner, c.armed = inner, cancel, true
		canceled := c.canceled
		c.mu.Unlock()
		if canceled {
			cancel()
		}
	})
	return c.inner
}

func (c *lazyDeadline) cancel() {
	c.mu.Lock()
	c.canceled = true
	armed := c.armed
	c.mu.Unlock()
	if armed {
		c.cancelInner()
	}
}

func (c *lazyDeadline) Deadline() (time.Time, bool) {
	if pd, ok := c.parent.Deadline(); ok && pd.Before(c.deadline) {
		return pd, true
	}
	return c.deadline, true
}

func (c *lazyDeadline) Done() <-chan struct{} { return c.arm().Done() }

func (c *lazyDeadline) Err() error {
	c.mu.Lock()
	armed, canceled := c.armed, c.canceled
	c.mu.Unlock()
	switch {
	case armed:
		return c.inner.Err()
	case canceled:
		return context.Canceled
	}
	if err := c.parent.Err(); err != nil {
		return err
	}
	if !time.Now().Before(c.deadline) {
		return context.DeadlineExceeded
	}
	return nil
}

func (c *lazyDeadline) Value(key any) any { return c.arm().Value(key) }

func (c *lazyDeadline) String() string { return "httpapi.lazyTimeout" }
