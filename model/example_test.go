package model_test

import (
	"fmt"
	"time"

	"github.com/fulcrum-lb/fulcrum/model"
	"github.com/fulcrum-lb/fulcrum/scenarios"
	"github.com/fulcrum-lb/fulcrum/traffic"
)

// An engine draws the arrivals, serves each (here: at once, 2ms each, on
// one server, which spends 0.5ms of work on it) and feeds the recorder as
// things happen; once the schedule ends, the window is known and the
// figures are read.
func Example() {
	sc, err := scenarios.Parse("tiny.yaml", []byte(`name: tiny
arrivals: {process: constant, rate: 1000}
requests: 5
warmup: 2ms
servers:
  - {name: web, service: {dist: constant, value: 500us}}
algorithms: [round-robin]
`))
	if err != nil {
		panic(err)
	}
	arr, err := model.NewArrivals(sc)
	if err != nil {
		panic(err)
	}
	rec := model.NewRecorder(sc)
	var a traffic.Arrival
	for arr.Next(&a) {
		measured := arr.Measured(a)
		rec.Arrival(a.At, measured)
		if measured {
			rec.Attempt(0)
			rec.Affinity(a.Client, 0)
			rec.Answer(0, true, 2*time.Millisecond)
			rec.Busy(0, 500*time.Microsecond)
		}
		rec.Done(a.At, measured, model.OK, 2*time.Millisecond, false)
	}
	start, end := arr.Window()
	rec.Window(start, end)
	measured, warm := arr.Counts()
	res := rec.Result(sc.Algorithms[0])

	fmt.Printf("arrivals: %d measured, %d in the warm-up\n", measured, warm)
	fmt.Printf("window: %v to %v\n", start, end)
	fmt.Printf("requests %d, completed %d, throughput %.0f/s\n", res.Requests, res.Completed, res.ThroughputRPS)
	fmt.Printf("mean latency %.1fms; %s utilisation %.3f\n", res.Latency.Mean, res.Servers[0].Name, res.Servers[0].Utilization)
	// Output:
	// arrivals: 5 measured, 1 in the warm-up
	// window: 2ms to 6ms
	// requests 5, completed 5, throughput 1250/s
	// mean latency 2.0ms; web-0 utilisation 0.625
}
