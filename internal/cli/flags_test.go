package cli

import (
	"bytes"
	"flag"
	"reflect"
	"testing"
)

func TestParseInterleaved(t *testing.T) {
	for _, tc := range []struct {
		args []string
		pos  []string
		out  string
	}{
		{[]string{"a.yaml"}, []string{"a.yaml"}, ""},
		{[]string{"a.yaml", "--out", "x"}, []string{"a.yaml"}, "x"},
		{[]string{"--out", "x", "a.yaml"}, []string{"a.yaml"}, "x"},
		{[]string{"a", "-out=x", "b", "c"}, []string{"a", "b", "c"}, "x"},
		{[]string{"a", "--", "--out", "x"}, []string{"a", "--out", "x"}, ""},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		out := fs.String("out", "", "")
		pos, err := parseInterleaved(fs, tc.args)
		if err != nil || !reflect.DeepEqual(pos, tc.pos) || *out != tc.out {
			t.Errorf("parseInterleaved(%q) = %q, out %q, %v; want %q, out %q", tc.args, pos, *out, err, tc.pos, tc.out)
		}
	}
}

func TestParseFlags(t *testing.T) {
	const usage = "Usage: x run\n"
	for _, tc := range []struct {
		args           []string
		code           int
		ok             bool
		stdout, stderr bool // whether each got the usage
	}{
		{[]string{"a", "--n", "3"}, 0, true, false, false},
		{[]string{"-h"}, ExitOK, false, true, false},
		{[]string{"--bogus"}, ExitUsage, false, false, true},
		{[]string{"--n", "-1"}, ExitUsage, false, false, true},
	} {
		var stdout, stderr bytes.Buffer
		fs := NewFlagSet("x run", &stderr)
		var n UintFlag
		fs.Var(&n, "n", "")
		_, code, ok := ParseFlags(fs, usage, tc.args, &stdout, &stderr)
		if code != tc.code || ok != tc.ok ||
			bytes.Contains(stdout.Bytes(), []byte(usage)) != tc.stdout ||
			bytes.Contains(stderr.Bytes(), []byte(usage)) != tc.stderr {
			t.Errorf("ParseFlags(%q) = %d, %v; stdout %q, stderr %q", tc.args, code, ok, stdout.String(), stderr.String())
		}
	}
}

func TestUintFlag(t *testing.T) {
	f := UintFlag{Value: 1}
	if f.IsSet || f.String() != "1" {
		t.Errorf("default: %+v, %q", f, f.String())
	}
	for _, bad := range []string{"-1", "many", "", "1.5"} {
		if err := f.Set(bad); err == nil {
			t.Errorf("Set(%q) accepted", bad)
		}
	}
	if f.IsSet {
		t.Error("a refused value marked the flag set")
	}
	if err := f.Set("0x10"); err != nil || f.Value != 16 || !f.IsSet {
		t.Errorf("Set(0x10): %+v, %v", f, err)
	}
}
