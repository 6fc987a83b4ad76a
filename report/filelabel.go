package report

import "strings"

// FileLabel makes a label (an algorithm's, a scenario's, an engine's) one
// element of a file name, the same way for every file named after one:
// latency-<label>.hlog, vegeta-<label>.bin, timeline-<label>.svg, a
// scenario's results/runs/<name>/ directory. The rule:
//
//   - ASCII letters and digits, '-', '_', '.', '+' and '=' stay: every
//     label a scenario may give (scenarios' name rule) comes through as it
//     is;
//   - any other character becomes '_', one per character (one per byte
//     of invalid UTF-8): path separators '/' and '\', NUL and other
//     control characters, white space, the characters Windows forbids
//     (<>:"|?*), quotes, '%', '#' (a link in report.html would misread
//     them) and everything outside ASCII;
//   - a leading '.' gets a '_' before it, so the result is never ".",
//     "..", or a hidden file;
//   - an empty label is "unnamed".
//
// Different labels can give the same element ("p2c fast", "p2c_fast");
// a writer of several such files tells them apart itself.
func FileLabel(label string) string {
	if label == "" {
		return "unnamed"
	}
	s := strings.Map(func(r rune) rune {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
			return r
		case r == '-' || r == '_' || r == '.' || r == '+' || r == '=':
			return r
		}
		return '_'
	}, label)
	if s[0] == '.' {
		s = "_" + s
	}
	return s
}
