package report

import "testing"

func TestFileLabel(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"p2c", "p2c"},
		{"least-connections", "least-connections"},
		{"p2c+ewma_v1.2=x", "p2c+ewma_v1.2=x"}, // every character a scenario label may have
		{"baseline", "baseline"},
		{"a/b\\c", "a_b_c"},
		{"x\x00y", "x_y"},
		{"p3c, fast", "p3c__fast"},
		{"tab\there\n", "tab_here_"},
		{`a<b>c:d"e|f?g*h`, "a_b_c_d_e_f_g_h"},
		{"50%#1", "50__1"},
		{"héllo", "h_llo"}, // one '_' per character
		{"\xff\xfe", "__"}, // one per byte of invalid UTF-8
		{"", "unnamed"},
		{".", "_."},
		{"..", "_.."},
		{"../etc", "_.._etc"},
		{".hidden", "_.hidden"},
	} {
		if got := FileLabel(tc.in); got != tc.want {
			t.Errorf("FileLabel(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
