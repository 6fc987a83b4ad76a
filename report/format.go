package report

import (
	"math"
	"strconv"
	"strings"
)

// Sig3 formats x rounded to three significant digits, without an exponent:
// 0.0123, 9.80, 24.0, 612, 1230, 130000. Zero is "0"; NaN and the
// infinities are "NaN", "+Inf" and "-Inf". Every table and chart label of
// Fulcrum writes its figures with it, so that the same number reads the
// same in the terminal, report.html, a plot and a comparison.
func Sig3(x float64) string { return Sig(x, 3) }

// Sig formats x rounded to digits >= 1 significant digits, without an
// exponent, as Sig3 does for three (a sweep's half-widths use two).
func Sig(x float64, digits int) string {
	switch {
	case math.IsNaN(x) || math.IsInf(x, 0):
		return strconv.FormatFloat(x, 'f', -1, 64)
	case x == 0:
		return "0" // never "-0"
	}
	// 'e' rounds the mantissa and carries into the exponent (9.996 ->
	// 1.00e+01), so the exponent read back is that of the rounded value,
	// which is what decides the number of decimals.
	e := strconv.FormatFloat(x, 'e', digits-1, 64)
	exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	r, _ := strconv.ParseFloat(e, 64)
	return strconv.FormatFloat(r, 'f', max(0, digits-1-exp), 64)
}
