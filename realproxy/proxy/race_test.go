//go:build race

package proxy

// bigTransfer is how many bytes TestLargeTransfers moves each way: under the
// race detector, whose instrumented copies run several times slower, 128 MiB
// (see norace_test.go).
const bigTransfer = 128 << 20
