package metrics

import (
	"math"

	"gonum.org/v1/gonum/stat"

	"github.com/fulcrum-lb/fulcrum/report"
)

// Fairness describes how evenly x (each server's requests divided by its
// weight; non-negative) is spread:
//
//	Jain          = (sum x)^2 / (n sum x^2)     (Jain, Chiu, Hawe 1984; 1 = even, 1/n = all on one)
//	max_over_mean = max x / mean x
//	cov           = sigma / mean x              (population standard deviation)
//
// Jain = 1/(1 + cov^2). An empty or all-zero x (no requests at all) is
// reported as perfectly even: Jain 1, max_over_mean 0, cov 0, so that every
// figure stays a finite number in summary.json.
func Fairness(x []float64) report.Fairness {
	n := float64(len(x))
	var sum, sum2, mx float64
	for _, v := range x {
		sum += v
		sum2 += v * v
		mx = math.Max(mx, v)
	}
	if sum == 0 || sum2 == 0 {
		return report.Fairness{Jain: 1}
	}
	mean, std := stat.PopMeanStdDev(x, nil) // corrected two-pass algorithm
	return report.Fairness{
		Jain:        sum * sum / (n * sum2),
		MaxOverMean: mx / mean,
		CoV:         std / mean,
	}
}
