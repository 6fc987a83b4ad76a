package sim

import (
	"math/rand/v2"
	"testing"
	"time"
)

// BenchmarkEventQueueHold measures one pop and one push on a queue holding
// about as many events as the 100-server p2c scenario keeps in flight.
func BenchmarkEventQueueHold(b *testing.B) {
	for _, size := range []int{16, 100, 1000} {
		b.Run(itoa(size), func(b *testing.B) {
			var q eventQueue
			rng := rand.New(rand.NewPCG(1, 1))
			for range size {
				q.push(time.Duration(rng.ExpFloat64()*1e6), evServiceDone, 0, 0)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				ev := q.pop()
				q.push(ev.at+time.Duration(rng.ExpFloat64()*1e6), evServiceDone, 0, 0)
			}
		})
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var buf [20]byte
	i := len(buf)
	for n > 0 {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	return string(buf[i:])
}
