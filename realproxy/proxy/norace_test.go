//go:build !race

package proxy

// bigTransfer is how many bytes TestLargeTransfers moves each way: 1 GiB,
// 128 MiB under the race detector (race_test.go).
const bigTransfer = 1 << 30
