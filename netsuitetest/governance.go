package netsuitetest

import (
	"net/http"
	"time"
)

// governance is NetSuite's account-wide concurrency limit, as the fake
// plays it: REST and RESTlet requests beyond the limit are refused at once
// with 429 CONCURRENCY_LIMIT_EXCEEDED (or, with burst 401s on, every other
// one with NetSuite's misleading 401 INVALID_LOGIN).
type governance struct {
	limit       int
	burst401    bool
	latency     time.Duration
	inFlight    int
	maxInFlight int
	refusals    int
}

// SetConcurrencyLimit sets the account's concurrency limit (0: none).
// NetSuite's developer accounts allow 5.
func (s *Server) SetConcurrencyLimit(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gov.limit = n
}

// SetBurst401 makes every other request over the concurrency limit get a
// 401 INVALID_LOGIN instead of a 429, as NetSuite does in bursts.
func (s *Server) SetBurst401(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gov.burst401 = on
}

// SetLatency makes every REST and RESTlet request take at least d while it
// holds its concurrency slot.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gov.latency = d
}

// MaxInFlight returns the most REST and RESTlet requests that were in
// flight at once, refused ones not counted.
func (s *Server) MaxInFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gov.maxInFlight
}

// enter takes a concurrency slot for a REST or RESTlet request. refusal is
// the status to answer when the limit is reached (0 when admitted); done
// gives the slot back.
func (s *Server) enter() (done func(), refusal int) {
	s.mu.Lock()
	g := &s.gov
	if g.limit > 0 && g.inFlight >= g.limit {
		g.refusals++
		refusal = http.StatusTooManyRequests
		if g.burst401 && g.refusals%2 == 0 {
			refusal = http.StatusUnauthorized
		}
		s.mu.Unlock()
		return func() {}, refusal
	}
	g.inFlight++
	g.maxInFlight = max(g.maxInFlight, g.inFlight)
	latency := g.latency
	s.mu.Unlock()
	if latency > 0 {
		time.Sleep(latency)
	}
	return func() {
		s.mu.Lock()
		s.gov.inFlight--
		s.mu.Unlock()
	}, 0
}
