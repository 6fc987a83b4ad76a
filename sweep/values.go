package sweep

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// MaxValues bounds how many values one sweep may have.
const MaxValues = 10000

// Values parses a sweep's values: a range START:END:STEP ("0.5:0.95:0.05",
// END included when the steps land on it) or a list ("0.5,0.6,0.8", in the
// order given). A range's values are computed as START + i*STEP and rounded
// to the decimals written in START and STEP, so 0.5:0.95:0.05 gives 0.55,
// not 0.5500000000000002: each value is the float64 that its decimal text
// parses to.
func Values(spec string) ([]float64, error) {
	return parseValues(spec, "number", parseNumber, numberRange)
}

// DurationValues is Values for a duration field: each value is a Go
// duration ("5ms:20ms:5ms", "10ms,1s") or a plain number of seconds
// ("0.005:0.02:0.005"), and is returned in seconds. Ranges step in whole
// nanoseconds, so they do not drift either.
func DurationValues(spec string) ([]float64, error) {
	vals, err := parseValues(spec, "duration", parseDuration, durationRange)
	for i := range vals {
		vals[i] = vals[i] / 1e9 // nanoseconds to seconds, rounded once
	}
	return vals, err
}

// parseValues splits spec into a range or a list; parse reads one value
// (durations in nanoseconds), expand a range of them.
func parseValues(spec, what string, parse func(string) (float64, error),
	expand func(start, end, step string) ([]float64, error)) ([]float64, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, errors.New(`no values; give a range START:END:STEP (e.g. 0.5:0.95:0.05) or a list (e.g. 0.5,0.7,0.9)`)
	}
	if strings.Contains(spec, ":") {
		parts := strings.Split(spec, ":")
		if len(parts) != 3 {
			return nil, fmt.Errorf("%q: a range is START:END:STEP (e.g. 0.5:0.95:0.05)", spec)
		}
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
		}
		return expand(parts[0], parts[1], parts[2])
	}
	var out []float64
	for item := range strings.SplitSeq(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			return nil, fmt.Errorf("%q: an empty item in the list", spec)
		}
		x, err := parse(item)
		if err != nil {
			return nil, err
		}
		if slices.Contains(out, x) {
			return nil, fmt.Errorf("%q: %s appears twice", spec, item)
		}
		out = append(out, x)
	}
	if len(out) > MaxValues {
		return nil, fmt.Errorf("%q: %d values, more than %d", spec, len(out), MaxValues)
	}
	return out, nil
}

func parseNumber(s string) (float64, error) {
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) || strings.ContainsAny(s, "xX_") {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	return x, nil
}

// parseDuration reads a duration, or a plain number of seconds, in
// nanoseconds.
func parseDuration(s string) (float64, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		if _, nerr := parseNumber(s); nerr == nil {
			d, err = time.ParseDuration(s + "s") // exact decimal seconds
		}
	}
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (e.g. 10ms) or a number of seconds", s)
	}
	return float64(d), nil
}

// numberRange expands START:END:STEP over decimals: with s the larger
// number of decimals of START and STEP, the values are the integers
// start*10^s + i*step*10^s divided by 10^s (correctly rounded: the same
// float64 as parsing the decimal), while they do not pass END.
func numberRange(start, end, step string) ([]float64, error) {
	a, err := parseNumber(start)
	if err != nil {
		return nil, err
	}
	b, err := parseNumber(end)
	if err != nil {
		return nil, err
	}
	h, err := parseNumber(step)
	if err != nil {
		return nil, err
	}
	spec := start + ":" + end + ":" + step
	if err := checkRange(spec, a, b, h); err != nil {
		return nil, err
	}
	scale := math.Pow10(max(decimals(start), decimals(step)))
	sa, sb, sh := math.Round(a*scale), math.Round(b*scale), math.Round(h*scale)
	const exact = 1 << 53
	if scale > 1e15 || math.Abs(sa) >= exact || math.Abs(sb) >= exact || sh >= exact || sh == 0 {
		// Too many decimals for exact integers: plain steps.
		n, err := count(spec, (b-a)/h)
		if err != nil {
			return nil, err
		}
		out := make([]float64, n)
		for i := range out {
			out[i] = a + float64(i)*h
		}
		return out, nil
	}
	n, err := count(spec, math.Floor((sb-sa)/sh))
	if err != nil {
		return nil, err
	}
	out := make([]float64, n)
	for i := range out {
		out[i] = (sa + float64(i)*sh) / scale
	}
	return out, nil
}

// durationRange expands START:END:STEP in whole nanoseconds.
func durationRange(start, end, step string) ([]float64, error) {
	a, err := parseDuration(start)
	if err != nil {
		return nil, err
	}
	b, err := parseDuration(end)
	if err != nil {
		return nil, err
	}
	h, err := parseDuration(step)
	if err != nil {
		return nil, err
	}
	spec := start + ":" + end + ":" + step
	if err := checkRange(spec, a, b, h); err != nil {
		return nil, err
	}
	ia, ib, ih := int64(a), int64(b), int64(h)
	n, err := count(spec, float64((ib-ia)/ih))
	if err != nil {
		return nil, err
	}
	out := make([]float64, n)
	for i := range out {
		out[i] = float64(ia + int64(i)*ih)
	}
	return out, nil
}

func checkRange(spec string, start, end, step float64) error {
	if !(step > 0) {
		return fmt.Errorf("%q: STEP must be above 0", spec)
	}
	if end < start {
		return fmt.Errorf("%q: END is below START", spec)
	}
	return nil
}

// count is the number of values in a range whose last step index is
// steps (rounded down, with a little slack for float division).
func count(spec string, steps float64) (int, error) {
	steps = math.Floor(steps + 1e-9)
	if steps+1 > MaxValues {
		return 0, fmt.Errorf("%q: %.0f values, more than %d", spec, steps+1, MaxValues)
	}
	return int(steps) + 1, nil
}

// decimals is how many decimal places a number is written with:
// "0.05" 2, "5e-3" 3, "1.5e2" 0.
func decimals(s string) int {
	mant, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant = s[:i]
		exp, _ = strconv.Atoi(s[i+1:])
	}
	d := 0
	if i := strings.IndexByte(mant, '.'); i >= 0 {
		d = len(mant) - i - 1
	}
	return max(d-exp, 0)
}

// ParseShard reads "I/N": shard I (from 0) of N.
func ParseShard(s string) (shard, shards int, err error) {
	is, ns, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(is)
	n, err2 := strconv.Atoi(ns)
	if !ok || err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("%q: want I/N, shard I of N counting from 0 (e.g. 0/4)", s)
	}
	if n < 1 || i < 0 || i >= n {
		return 0, 0, fmt.Errorf("%q: want 0 <= I < N (shards of 4 are 0/4 .. 3/4)", s)
	}
	return i, n, nil
}

// FormatShard writes shard I of N as "I/N".
func FormatShard(shard, shards int) string {
	return strconv.Itoa(shard) + "/" + strconv.Itoa(shards)
}
