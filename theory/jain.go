package theory

import "fmt"

// JainExpectedRandom approximates the expected Jain index (sum x)^2/(n sum x^2)
// of the request counts x when N = requests requests are each sent to one of
// n servers uniformly at random: what `random` should score, against 1 for a
// perfectly even spread.
//
// Derivation. sum x = N, so J = N^2 / (n Y) with Y = sum_i x_i^2. Y counts the
// ordered pairs of requests (j, k) on the same server: Y = N + 2C where C is
// the number of unordered pairs j < k on the same server, a sum of M = N(N-1)/2
// indicators with probability p = 1/n each. Those indicators are pairwise
// independent (two pairs sharing a request land together with probability
// p^2), so
//
//	E[Y] = N + N(N-1)/n = N(N + n - 1)/n,   Var[Y] = 4 M p(1-p) = 2 N(N-1)(n-1)/n^2
//
// Expanding 1/Y to second order around E[Y] (the delta method),
// E[1/Y] ~ 1/E[Y] + Var[Y]/E[Y]^3, gives
//
//	E[J] ~ N/(N + n - 1) * (1 + 2 (N-1)(n-1) / (N (N + n - 1)^2))
//
// The first factor alone is N^2/(n E[Y]). The neglected terms are of order
// n/N^3 once N >> n: against exact enumeration for n = 2 and 3 the error is
// below 0.013 for every N (worst at N <= 5), below 4e-3 for N >= 10, 2e-5
// for N >= 100 and 1e-8 for n = 2, N = 1000 (TestJainExpectedRandomExact);
// a seeded simulation agrees for n up to 100 (TestJainExpectedRandomMC). It is
// exact for N <= 1 and for n = 1. No requests give 1, as metrics.Fairness
// reports an all-zero spread.
func JainExpectedRandom(n int, requests int64) float64 {
	if n < 1 || requests < 0 {
		panic(fmt.Sprintf("theory.JainExpectedRandom: need n >= 1 and requests >= 0, got n=%d requests=%d", n, requests))
	}
	if requests == 0 || n == 1 {
		return 1
	}
	N, m := float64(requests), float64(n)
	a := N + m - 1
	return N / a * (1 + 2*(N-1)*(m-1)/(N*a*a))
}
