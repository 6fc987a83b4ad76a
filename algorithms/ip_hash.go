package algorithms

// ip-hash: a hash of the client's key modulo the number of listed backends,
// after nginx's ip_hash (ngx_http_upstream_ip_hash_module.c), including its
// rehash when the chosen backend is down.

import (
	"math/rand/v2"
	"slices"
	"time"
)

// ipHashTries is how many times Pick rehashes past an unhealthy backend
// before it falls back to a scan, as in nginx ("if (++iphp->tries > 20)").
const ipHashTries = 20

// ipHashBalancer maps a request to
//
//	h_0 = mix64(Key),  i_0 = h_0 mod N
//
// over ALL N listed backends in ID order, healthy or not, so that a backend
// going down or coming back moves no key but the ones on it. If backend i_k
// is unhealthy it rehashes, h_{k+1} = mix64(h_k), i_{k+1} = h_{k+1} mod N, up
// to 20 times (so keys on a dead backend spread over the others rather than
// piling onto its neighbour); after that it takes the first healthy backend
// at or after i_0 in ID order, wrapping around. Every step depends on the key
// only, so a key goes to the same backend for as long as the set and the
// health flags stay the same, in every balancer instance.
//
// Changing the SET (adding or removing a listed backend) changes N and moves
// most keys: that is mod-N hashing; ring-hash and maglev are the
// strategies for sets that change. Weights are ignored. Requests without a
// key (Key 0) all hash alike, so they all go to one backend.
//
// Key is documented as pre-hashed, but it is mixed again (splitmix64's
// finaliser, Steele et al., "Fast splittable pseudorandom number generators",
// OOPSLA 2014) so that sequential or low-entropy keys spread too.
type ipHashBalancer struct {
	table
}

func newIPHash(rand.Source) Balancer {
	return &ipHashBalancer{}
}

func (b *ipHashBalancer) Update(now time.Duration, backends []Backend) {
	b.update(backends)
}

func (b *ipHashBalancer) Pick(req Request) (int, error) {
	s := b.load()
	if len(s.healthy) == 0 {
		return -1, ErrNoBackend
	}
	n := uint64(len(s.backends))
	h := mix64(req.Key)
	i0 := int(h % n)
	i := i0
	for try := 0; !s.backends[i].Healthy; try++ {
		if try == ipHashTries {
			k, _ := slices.BinarySearch(s.healthy, i0)
			if k == len(s.healthy) {
				k = 0
			}
			return s.take(s.healthy[k]), nil
		}
		h = mix64(h)
		i = int(h % n)
	}
	return s.take(i), nil
}

// mix64 is splitmix64's output function applied to x + the golden gamma:
// a bijection of uint64 that turns nearby inputs into unrelated outputs.
// mix64(0) is splitmix64's first output from seed 0, 0xe220a8397b1dcdaf.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}
