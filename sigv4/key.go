package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"sync"
)

// signingKey is a derived SigV4 signing key, kept as the two padded HMAC
// blocks so that signing a string costs two hash runs and no allocation.
type signingKey struct {
	ipad, opad [sha256.BlockSize]byte
}

func newSigningKey(k []byte) *signingKey {
	sk := new(signingKey)
	// k is a SHA-256 sum, shorter than a block, so HMAC uses it as is.
	for i := range sk.ipad {
		var b byte
		if i < len(k) {
			b = k[i]
		}
		sk.ipad[i] = b ^ 0x36
		sk.opad[i] = b ^ 0x5c
	}
	return sk
}

// sum is HMAC-SHA256(key, msg) for a msg that buf holds after its first
// sha256.BlockSize bytes, which sum overwrites: laid out that way, the
// inner hash is one call on one slice, and nothing escapes to the heap.
func (k *signingKey) sum(buf []byte) [sha256.Size]byte {
	copy(buf, k.ipad[:])
	inner := sha256.Sum256(buf)
	var outer [sha256.BlockSize + sha256.Size]byte
	copy(outer[:], k.opad[:])
	copy(outer[sha256.BlockSize:], inner[:])
	return sha256.Sum256(outer[:])
}

// deriveKey is kSigning of the SigV4 specification: the secret, hashed in
// turn with the scope's date, region, service and terminator.
func deriveKey(secret, date, region, service string) *signingKey {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	k = hmacSHA256(k, terminator)
	return newSigningKey(k)
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

type keyID struct {
	secret, date, region, service string
}

// keyCache keeps derived keys: a key is good for a whole day of one
// region and service, and deriving it costs four HMACs, more than the rest
// of a small request's verification. It holds at most 2*half entries in two
// generations: when the current one fills up it becomes the previous one
// and the old previous one is dropped, so keys in use survive and a flood
// of distinct scopes cannot grow memory.
type keyCache struct {
	mu         sync.Mutex
	half       int
	cur, prev  map[keyID]*signingKey
	hits, miss uint64 // for tests
}

var keys = newKeyCache(512)

func newKeyCache(half int) *keyCache {
	return &keyCache{half: half, cur: make(map[keyID]*signingKey)}
}

func (c *keyCache) get(secret, date, region, service string) *signingKey {
	id := keyID{secret, date, region, service}
	c.mu.Lock()
	if k, ok := c.cur[id]; ok {
		c.hits++
		c.mu.Unlock()
		return k
	}
	if k, ok := c.prev[id]; ok {
		c.hits++
		c.put(id, k)
		c.mu.Unlock()
		return k
	}
	c.miss++
	c.mu.Unlock()
	// Derived outside the lock: two goroutines may both derive the same
	// key, which is cheaper than making every other verification wait.
	k := deriveKey(secret, date, region, service)
	c.mu.Lock()
	c.put(id, k)
	c.mu.Unlock()
	return k
}

func (c *keyCache) put(id keyID, k *signingKey) {
	if len(c.cur) >= c.half {
		c.prev, c.cur = c.cur, make(map[keyID]*signingKey, c.half)
	}
	c.cur[id] = k
}

func (c *keyCache) reset() {
	c.mu.Lock()
	c.cur, c.prev = make(map[keyID]*signingKey), nil
	c.mu.Unlock()
}

func (c *keyCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.cur) + len(c.prev)
}
