package theory

import "fmt"

func ExampleMMPPM1() {
	// DESIGN.md §7's mmpp states (4x the base for 1s, a quarter of it for
	// 4s) at 70 req/s on one server of 100 req/s: bursts of 280 req/s
	// build queues that Poisson arrivals at the same mean never would.
	r, err := MMPPM1([]float64{4, 0.25}, []float64{1, 4}, 70, 100)
	if err != nil {
		panic(err)
	}
	fmt.Printf("rates %.1f and %.1f req/s: E[T] %.2fs, E[N] %.0f (M/M/1: %.0fms)\n",
		r.Rates[0], r.Rates[1], r.MeanResponse, r.MeanNumber, MM1(70, 100).MeanResponse*1e3)
	// Output: rates 280.0 and 17.5 req/s: E[T] 3.64s, E[N] 255 (M/M/1: 33ms)
}

func ExampleClosedMVA() {
	// 50 users thinking 100ms between requests, 8 servers of 10ms mean
	// service behind a random balancer.
	x, r := ClosedMVA(50, 0.1, 0.01, 8)
	fmt.Printf("%.0f req/s, %.1fms\n", x, r*1e3)
	// Output: 416 req/s, 20.1ms
}

func ExampleMG1Classes() {
	// DESIGN.md §7's classes on a 10ms lognormal (cv 1) server: api (weight
	// 9, size 1) and report (weight 1, size 20), 20 req/s in all.
	r := MG1Classes(20, []ServiceClass{SizedClass(9, 1, 0.01, 1), SizedClass(1, 20, 0.01, 1)})
	fmt.Printf("rho %.2f: api %.0fms, report %.0fms\n", r.All.Utilization, r.Classes[0].MeanResponse*1e3, r.Classes[1].MeanResponse*1e3)
	// Output: rho 0.58: api 205ms, report 395ms
}
