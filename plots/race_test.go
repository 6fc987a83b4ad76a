//go:build race

package plots

// raceEnabled: under the race detector drawing a PNG takes about a second,
// so tests draw fewer of them and do not time anything.
const raceEnabled = true
