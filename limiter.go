package netsuite

import (
	"context"
	"fmt"
	"sync"
)

// Limiter bounds the requests in flight. NetSuite's concurrency limit is
// account-wide (5 on developer accounts; 5 to 20 plus 10 per SuiteCloud Plus
// licence in production) and shared by REST, RESTlets and SOAP, so
// Connections to the same account — in one process — should share one
// Limiter: Config{Limiter: l} on each. A request holds its slot until its
// response body is read to the end or closed.
type Limiter struct {
	slots chan struct{}
}

// NewLimiter returns a Limiter allowing n requests in flight. It panics if
// n < 1.
func NewLimiter(n int) *Limiter {
	if n < 1 {
		panic(fmt.Sprintf("netsuite: NewLimiter(%d): the limit must be at least 1", n))
	}
	return &Limiter{slots: make(chan struct{}, n)}
}

// Limit returns the number of requests allowed in flight.
func (l *Limiter) Limit() int { return cap(l.slots) }

// acquire waits for a slot or for ctx; release gives it back (once).
func (l *Limiter) acquire(ctx context.Context) (release func(), err error) {
	select {
	case l.slots <- struct{}{}:
	default:
		select {
		case l.slots <- struct{}{}:
		case <-ctx.Done():
			return nil, ctxErr(ctx, "waiting for a free slot under the concurrency limit")
		}
	}
	var once sync.Once
	return func() { once.Do(func() { <-l.slots }) }, nil
}

func noRelease() {}

// acquire takes a slot of the Connection's limiter, if it has one.
func (c *Connection) acquire(ctx context.Context) (func(), error) {
	if c.limiter == nil {
		if err := ctx.Err(); err != nil {
			return nil, ctxErr(ctx, "sending the request")
		}
		return noRelease, nil
	}
	return c.limiter.acquire(ctx)
}
