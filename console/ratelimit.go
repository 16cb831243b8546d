package console

import (
	"math"
	"net"
	"sync"
	"time"
)

// limiter is a token bucket of failed logins per client address: burst
// failures at once, then one every refill. Only failures take a token,
// and a client with none left may not try at all, not even with the right
// secret, so that guessing stops at the bucket's rate.
type limiter struct {
	mu      sync.Mutex
	burst   float64
	refill  time.Duration
	max     int
	now     func() time.Time
	clients map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newLimiter(burst int, refill time.Duration, max int, now func() time.Time) *limiter {
	return &limiter{burst: float64(burst), refill: refill, max: max, now: now, clients: map[string]*bucket{}}
}

// level refills b up to now and returns its tokens; l.mu is held.
func (l *limiter) level(b *bucket, now time.Time) float64 {
	if d := now.Sub(b.at); d > 0 {
		b.tokens = math.Min(l.burst, b.tokens+float64(d)/float64(l.refill))
		b.at = now
	}
	return b.tokens
}

// allow tells whether client may try to log in, and if not, how long it
// must wait.
func (l *limiter) allow(client string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.clients[client]
	if !ok {
		if len(l.clients) >= l.max {
			l.prune(now)
		}
		if len(l.clients) >= l.max {
			// Every remembered client is still limited: a new one may not
			// start afresh, or enough addresses would wipe the memory.
			return false, l.refill
		}
		return true, 0
	}
	if t := l.level(b, now); t < 1 {
		return false, time.Duration((1 - t) * float64(l.refill))
	}
	return true, 0
}

// fail takes a token from client.
func (l *limiter) fail(client string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.clients[client]
	if !ok {
		b = &bucket{tokens: l.burst, at: now}
		l.clients[client] = b
	}
	l.level(b, now)
	b.tokens = math.Max(0, b.tokens-1)
}

// prune forgets the clients whose buckets are full again: they are as if
// they never failed; l.mu is held.
func (l *limiter) prune(now time.Time) {
	for k, b := range l.clients {
		if l.level(b, now) >= l.burst {
			delete(l.clients, k)
		}
	}
}

// clientKey is the address a client is limited by: its IP, or for IPv6
// its /64, which one host can fill with addresses.
func clientKey(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return host
	}
	if v4 := ip.To4(); v4 != nil {
		return v4.String()
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}
