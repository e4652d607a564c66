package httpapi

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"
)

// waitDone fails t unless ctx is done within a generous bound.
func waitDone(t *testing.T, ctx context.Context) {
	t.Helper()
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Done not closed")
	}
}

// lazyTimeout answers as context.WithTimeout does, whether or not anything
// made it create the real context, and whatever ends it first.
func TestLazyTimeoutIsATimeout(t *testing.T) {
	type key string
	for _, tc := range []struct {
		name string
		arm  bool // call Done before the end
		end  func(parentCancel, cancel context.CancelFunc)
		want error
	}{
		{"deadline, never armed", false, func(_, _ context.CancelFunc) { time.Sleep(30 * time.Millisecond) }, context.DeadlineExceeded},
		{"deadline, armed", true, func(_, _ context.CancelFunc) {}, context.DeadlineExceeded},
		{"parent cancelled, never armed", false, func(pc, _ context.CancelFunc) { pc() }, context.Canceled},
		{"parent cancelled, armed", true, func(pc, _ context.CancelFunc) { pc() }, context.Canceled},
		{"cancelled, never armed", false, func(_, c context.CancelFunc) { c() }, context.Canceled},
		{"cancelled, armed", true, func(_, c context.CancelFunc) { c() }, context.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parent, parentCancel := context.WithCancel(context.WithValue(context.Background(), key("k"), "v"))
			defer parentCancel()
			start := time.Now()
			ctx := lazyTimeout(parent, 20*time.Millisecond)
			cancel := ctx.cancel
			defer cancel()
			if err := ctx.Err(); err != nil {
				t.Fatalf("Err before the end = %v", err)
			}
			if dl, ok := ctx.Deadline(); !ok || dl.Before(start.Add(20*time.Millisecond)) || dl.After(time.Now().Add(20*time.Millisecond)) {
				t.Errorf("Deadline = %v, %v; want start + 20ms", dl, ok)
			}
			var child context.Context
			if tc.arm {
				var childCancel context.CancelFunc
				child, childCancel = context.WithCancel(ctx)
				defer childCancel()
				select {
				case <-ctx.Done():
					t.Fatal("Done closed before the end")
				default:
				}
			}
			if armed := ctx.armed; armed != tc.arm {
				t.Fatalf("armed = %v before the end, want %v", armed, tc.arm)
			}
			tc.end(parentCancel, cancel)
			if !tc.arm {
				// Answered from the clock and the parent, before anything armed it.
				if err := ctx.Err(); !errors.Is(err, tc.want) {
					t.Errorf("Err before Done = %v, want %v", err, tc.want)
				}
			}
			waitDone(t, ctx)
			if err := ctx.Err(); !errors.Is(err, tc.want) {
				t.Errorf("Err = %v, want %v", err, tc.want)
			}
			if err := context.Cause(ctx); !errors.Is(err, tc.want) {
				t.Errorf("Cause = %v, want %v", err, tc.want)
			}
			if child != nil {
				waitDone(t, child)
			}
			if v := ctx.Value(key("k")); v != "v" {
				t.Errorf("Value = %v, want the parent's", v)
			}
		})
	}
}

// The parent's earlier deadline is the context's, as with WithTimeout.
func TestLazyTimeoutKeepsEarlierParentDeadline(t *testing.T) {
	parent, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	pd, _ := parent.Deadline()
	ctx := lazyTimeout(parent, time.Hour)
	cancel2 := ctx.cancel
	defer cancel2()
	if dl, _ := ctx.Deadline(); !dl.Equal(pd) {
		t.Errorf("Deadline = %v, want the parent's %v", dl, pd)
	}
	waitDone(t, ctx)
	if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Errorf("Err = %v", ctx.Err())
	}
}

// What it saves: asking for the deadline or the error does not create the
// timer context; children of an armed one are linked to it as to a
// standard context, without a goroutine each.
func TestLazyTimeoutArmsOnlyWhenNeeded(t *testing.T) {
	ctx := lazyTimeout(context.Background(), time.Hour)
	cancel := ctx.cancel
	defer cancel()
	if _, ok := ctx.Deadline(); !ok || ctx.Err() != nil {
		t.Fatalf("Deadline ok = %v, Err = %v; want a deadline and no error", ok, ctx.Err())
	}
	if ctx.armed {
		t.Error("Deadline or Err armed the timer context")
	}
	before := runtime.NumGoroutine()
	var cancels []context.CancelFunc
	for range 50 {
		_, c := context.WithCancel(ctx)
		cancels = append(cancels, c)
	}
	if after := runtime.NumGoroutine(); after > before+5 {
		t.Errorf("50 child contexts started %d goroutines: not linked to the timer context", after-before)
	}
	for _, c := range cancels {
		c()
	}
}

// Cancelling and arming race freely (run with -race).
func TestLazyTimeoutConcurrentCancelAndDone(t *testing.T) {
	for range 200 {
		ctx := lazyTimeout(context.Background(), time.Hour)
		cancel := ctx.cancel
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); cancel() }()
		go func() { defer wg.Done(); <-ctx.Done() }()
		wg.Wait()
		if !errors.Is(ctx.Err(), context.Canceled) {
			t.Fatalf("Err = %v, want Canceled", ctx.Err())
		}
	}
}
