package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/fulcrum-lb/fulcrum/internal/cli"
	"github.com/fulcrum-lb/fulcrum/internal/cli/clitest"
	"github.com/fulcrum-lb/fulcrum/internal/leakcheck"
	"github.com/fulcrum-lb/fulcrum/sweep"
)

// shardEnvVars are every variable autoShard reads.
var shardEnvVars = []string{envSlurmTaskID, envSlurmTaskCount, envSlurmTaskMin, envSlurmTaskMax, envSlurmJobID, envJobCompletionIndex}

// setShardEnv sets exactly the variables of env among shardEnvVars and
// unsets the others, for the test's duration: the test may itself run in
// a Slurm job or a Kubernetes pod.
func setShardEnv(t *testing.T, env map[string]string) {
	t.Helper()
	for _, name := range shardEnvVars {
		t.Setenv(name, "") // restored when the test ends
		if value, ok := env[name]; ok {
			t.Setenv(name, value)
		} else if err := os.Unsetenv(name); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAutoShard(t *testing.T) {
	// A job array's task as Slurm sets it: --array=0-3, the third task.
	slurm := func(id, count, lo, hi string) map[string]string {
		env := map[string]string{envSlurmJobID: "77", envSlurmTaskID: id, envSlurmTaskCount: count}
		if lo != "" {
			env[envSlurmTaskMin] = lo
		}
		if hi != "" {
			env[envSlurmTaskMax] = hi
		}
		return env
	}
	k8s := func(index string) map[string]string { return map[string]string{envJobCompletionIndex: index} }
	for _, tc := range []struct {
		name       string
		spec       string
		env        map[string]string
		shard, of  int
		from       string
		wantErrors []string // each in the error; none for success
	}{
		{name: "slurm array", spec: "auto", env: slurm("2", "4", "0", "3"), shard: 2, of: 4,
			from: "SLURM_ARRAY_TASK_ID=2 of SLURM_ARRAY_TASK_COUNT=4"},
		{name: "slurm first task", spec: "auto", env: slurm("0", "4", "0", "3"), shard: 0, of: 4},
		{name: "slurm last task", spec: "auto", env: slurm("3", "4", "0", "3"), shard: 3, of: 4},
		{name: "slurm without min and max", spec: "auto", env: slurm("1", "2", "", ""), shard: 1, of: 2},
		{name: "slurm array of one", spec: "auto", env: slurm("0", "1", "0", "0"), shard: 0, of: 1},
		{name: "slurm throttled array is still 0..N-1", spec: "auto", env: slurm("5", "16", "0", "15"), shard: 5, of: 16},
		// One shard run again alone: sbatch --array=3 with SHARDS=4.
		{name: "slurm rerun of one shard with auto/N", spec: "auto/4", env: slurm("3", "1", "3", "3"), shard: 3, of: 4,
			from: "SLURM_ARRAY_TASK_ID=3"},
		{name: "kubernetes with auto/N", spec: "auto/4", env: k8s("1"), shard: 1, of: 4, from: "JOB_COMPLETION_INDEX=1"},
		{name: "leading zeros", spec: "auto/04", env: k8s("03"), shard: 3, of: 4},

		{name: "nothing set", spec: "auto", env: nil,
			wantErrors: []string{`"auto": neither SLURM_ARRAY_TASK_ID`, "nor JOB_COMPLETION_INDEX", "give --shard I/N"}},
		{name: "nothing set with auto/N", spec: "auto/4", env: nil, wantErrors: []string{"neither SLURM_ARRAY_TASK_ID"}},
		{name: "slurm job that is not an array", spec: "auto", env: map[string]string{envSlurmJobID: "77"},
			wantErrors: []string{"SLURM_JOB_ID=77 is set but SLURM_ARRAY_TASK_ID is not", "sbatch --array=0-3"}},
		{name: "both runners", spec: "auto/4", env: map[string]string{envSlurmTaskID: "1", envJobCompletionIndex: "2"},
			wantErrors: []string{`SLURM_ARRAY_TASK_ID="1" and JOB_COMPLETION_INDEX="2" are set`}},
		{name: "task id not a number", spec: "auto", env: slurm("x", "4", "0", "3"),
			wantErrors: []string{`SLURM_ARRAY_TASK_ID="x": want a whole number >= 0`}},
		{name: "task id negative", spec: "auto", env: slurm("-1", "4", "0", "3"), wantErrors: []string{`SLURM_ARRAY_TASK_ID="-1"`}},
		{name: "task id empty", spec: "auto", env: slurm("", "4", "0", "3"), wantErrors: []string{`SLURM_ARRAY_TASK_ID=""`}},
		{name: "task id with a space", spec: "auto", env: slurm(" 2", "4", "0", "3"), wantErrors: []string{`SLURM_ARRAY_TASK_ID=" 2"`}},
		{name: "task id with a sign", spec: "auto", env: slurm("+2", "4", "0", "3"), wantErrors: []string{`SLURM_ARRAY_TASK_ID="+2"`}},
		{name: "task id too large", spec: "auto", env: slurm("99999999999", "4", "0", "3"), wantErrors: []string{`SLURM_ARRAY_TASK_ID="99999999999"`}},
		{name: "index not a number", spec: "auto/4", env: k8s("1.0"), wantErrors: []string{`JOB_COMPLETION_INDEX="1.0": want a whole number >= 0`}},
		{name: "count missing", spec: "auto", env: map[string]string{envSlurmTaskID: "1"},
			wantErrors: []string{"SLURM_ARRAY_TASK_ID=1 is set but SLURM_ARRAY_TASK_COUNT is not", "--shard auto/N"}},
		{name: "count zero", spec: "auto", env: slurm("0", "0", "", ""), wantErrors: []string{`SLURM_ARRAY_TASK_COUNT="0": want a whole number >= 1`}},
		{name: "count not a number", spec: "auto", env: slurm("0", "four", "", ""), wantErrors: []string{`SLURM_ARRAY_TASK_COUNT="four"`}},
		{name: "array not from 0", spec: "auto", env: slurm("1", "4", "1", "4"),
			wantErrors: []string{"SLURM_ARRAY_TASK_MIN=1", "must run from 0 (sbatch --array=0-3)"}},
		{name: "array with a step", spec: "auto", env: slurm("2", "4", "0", "6"),
			wantErrors: []string{"SLURM_ARRAY_TASK_MAX=6 with SLURM_ARRAY_TASK_COUNT=4", "submit --array=0-3"}},
		{name: "task id beyond the count", spec: "auto", env: slurm("4", "4", "", ""),
			wantErrors: []string{"SLURM_ARRAY_TASK_ID=4 is not below SLURM_ARRAY_TASK_COUNT=4"}},
		{name: "kubernetes without a count", spec: "auto", env: k8s("2"),
			wantErrors: []string{"JOB_COMPLETION_INDEX=2 gives the shard but no variable gives the number of shards", "--shard auto/N"}},
		{name: "index beyond auto/N", spec: "auto/4", env: k8s("4"), wantErrors: []string{"JOB_COMPLETION_INDEX=4: want 0 <= I < 4"}},
		{name: "auto/0", spec: "auto/0", env: k8s("0"), wantErrors: []string{`"auto/0": want auto/N`}},
		{name: "auto/ without N", spec: "auto/", env: k8s("0"), wantErrors: []string{`"auto/": want auto/N`}},
		{name: "auto/x", spec: "auto/x", env: k8s("0"), wantErrors: []string{`"auto/x": want auto/N`}},
		{name: "auto/-1", spec: "auto/-1", env: k8s("0"), wantErrors: []string{`"auto/-1": want auto/N`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			setShardEnv(t, tc.env)
			shard, of, from, err := autoShard(tc.spec, os.LookupEnv)
			if len(tc.wantErrors) > 0 {
				if err == nil {
					t.Fatalf("autoShard(%q) = %d/%d, %q; want an error", tc.spec, shard, of, from)
				}
				for _, want := range tc.wantErrors {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("autoShard(%q): error %q lacks %q", tc.spec, err, want)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("autoShard(%q): %v", tc.spec, err)
			}
			if shard != tc.shard || of != tc.of {
				t.Errorf("autoShard(%q) = %d/%d; want %d/%d", tc.spec, shard, of, tc.shard, tc.of)
			}
			if tc.from != "" && from != tc.from {
				t.Errorf("autoShard(%q): from %q; want %q", tc.spec, from, tc.from)
			}
		})
	}
}

func TestIsAutoShard(t *testing.T) {
	for spec, want := range map[string]bool{"auto": true, "auto/4": true, "auto/": true, "1/4": false, "autox": false, "Auto": false, "": false} {
		if got := isAutoShard(spec); got != want {
			t.Errorf("isAutoShard(%q) = %v; want %v", spec, got, want)
		}
	}
}

// TestSweepShardAuto runs a sweep's two shards as a Slurm array's tasks
// would, with --shard auto and --no-plots, and checks that each is the
// shard the variables name (the same bytes as --shard I/N gives) and that
// they merge; and that sim sweep refuses --shard auto where the variables
// are missing or wrong, with the variable in the message and nothing run.
func TestSweepShardAuto(t *testing.T) {
	leakcheck.Check(t)
	scenario := writeScenario(t, tinyScenario)
	tmp := t.TempDir()
	args := []string{"sweep", scenario, "--param", "arrivals.rate", "--values", "1000,2000", "--requests", "800", "--no-plots"}
	for i := range 2 {
		setShardEnv(t, map[string]string{envSlurmJobID: "9", envSlurmTaskID: string(rune('0' + i)), envSlurmTaskCount: "2", envSlurmTaskMin: "0", envSlurmTaskMax: "1"})
		auto := filepath.Join(tmp, "auto-"+strconv.Itoa(i))
		code, _, stderr := clitest.Run(program, append(args, "--shard", "auto", "--out", auto)...)
		want := "sim sweep: shard " + sweep.FormatShard(i, 2) + " (SLURM_ARRAY_TASK_ID=" + strconv.Itoa(i) + " of SLURM_ARRAY_TASK_COUNT=2)\n"
		if code != cli.ExitOK || !strings.HasPrefix(stderr, want) {
			t.Fatalf("shard %d: exit %d, stderr %q; want it to begin %q", i, code, stderr, want)
		}
		setShardEnv(t, nil)
		explicit := filepath.Join(tmp, "explicit-"+strconv.Itoa(i))
		sweepOK(t, append(args, "--shard", sweep.FormatShard(i, 2), "--out", explicit)...)
		if got, want := readFile(t, filepath.Join(auto, "sweep.json")), readFile(t, filepath.Join(explicit, "sweep.json")); string(got) != string(want) {
			t.Errorf("shard %d: --shard auto's sweep.json differs from --shard %d/2's", i, i)
		}
		for _, name := range []string{"sweep.png", "sweep.svg"} {
			if _, err := os.Stat(filepath.Join(auto, name)); !os.IsNotExist(err) {
				t.Errorf("shard %d: --no-plots, yet %s is there (%v)", i, name, err)
			}
		}
	}
	merged := filepath.Join(tmp, "merged")
	sweepOK(t, "merge", filepath.Join(tmp, "auto-0"), filepath.Join(tmp, "auto-1"), "--out", merged)
	if _, err := os.Stat(filepath.Join(merged, "sweep.png")); err != nil {
		t.Errorf("the merge draws the plots the shards did not: %v", err)
	}

	t.Chdir(t.TempDir()) // where the default results/ would go
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{nil, "sim sweep: --shard \"auto\": neither SLURM_ARRAY_TASK_ID (a Slurm job array) nor JOB_COMPLETION_INDEX"},
		{map[string]string{envJobCompletionIndex: "2"}, "JOB_COMPLETION_INDEX=2 gives the shard but no variable gives the number of shards"},
		{map[string]string{envSlurmTaskID: "two", envSlurmTaskCount: "4"}, `SLURM_ARRAY_TASK_ID="two": want a whole number >= 0`},
	} {
		setShardEnv(t, tc.env)
		code, stdout, stderr := clitest.Run(program, append(args, "--shard", "auto")...)
		if code != cli.ExitUsage || stdout != "" || !strings.Contains(stderr, tc.want) {
			t.Errorf("env %v: exit %d, stdout %q, stderr %q; want exit 2 and %q", tc.env, code, stdout, stderr, tc.want)
		}
	}
	if _, err := os.Stat("results"); !os.IsNotExist(err) {
		t.Errorf("results/ exists after refused sweeps (%v)", err)
	}
}
