package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/fulcrum-lb/fulcrum/internal/cli"
	"github.com/fulcrum-lb/fulcrum/internal/cli/clitest"
)

// The parts of Kubernetes objects that deploy/kubernetes/ uses, by their
// API field names. The manifests are decoded with KnownFields, so a
// misspelt or misplaced key (completionmode, args under the pod) fails the
// test instead of being dropped, as the API server would drop it.
type k8sMeta struct {
	Name string `yaml:"name"`
}

type k8sObject struct {
	APIVersion string    `yaml:"apiVersion"`
	Kind       string    `yaml:"kind"`
	Metadata   k8sMeta   `yaml:"metadata"`
	Data       yaml.Node `yaml:"data"` // ConfigMap
	Spec       yaml.Node `yaml:"spec"`
}

type k8sPVCSpec struct {
	AccessModes []string `yaml:"accessModes"`
	Resources   struct {
		Requests map[string]string `yaml:"requests"`
	} `yaml:"resources"`
}

type k8sJobSpec struct {
	CompletionMode       string `yaml:"completionMode"`
	Completions          *int   `yaml:"completions"`
	Parallelism          *int   `yaml:"parallelism"`
	BackoffLimit         *int   `yaml:"backoffLimit"`
	BackoffLimitPerIndex *int   `yaml:"backoffLimitPerIndex"`
	Template             struct {
		Spec struct {
			RestartPolicy string         `yaml:"restartPolicy"`
			Containers    []k8sContainer `yaml:"containers"`
			Volumes       []k8sVolume    `yaml:"volumes"`
		} `yaml:"spec"`
	} `yaml:"template"`
}

type k8sContainer struct {
	Name            string   `yaml:"name"`
	Image           string   `yaml:"image"`
	ImagePullPolicy string   `yaml:"imagePullPolicy"`
	Command         []string `yaml:"command"`
	Args            []string `yaml:"args"`
	Env             []struct {
		Name      string `yaml:"name"`
		Value     string `yaml:"value"`
		ValueFrom *struct {
			FieldRef *struct {
				FieldPath string `yaml:"fieldPath"`
			} `yaml:"fieldRef"`
		} `yaml:"valueFrom"`
	} `yaml:"env"`
	Resources struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
		ReadOnly  bool   `yaml:"readOnly"`
	} `yaml:"volumeMounts"`
}

type k8sVolume struct {
	Name      string `yaml:"name"`
	ConfigMap *struct {
		Name string `yaml:"name"`
	} `yaml:"configMap"`
	PersistentVolumeClaim *struct {
		ClaimName string `yaml:"claimName"`
	} `yaml:"persistentVolumeClaim"`
}

// decodeStrict decodes n into v, refusing keys v has no field for.
func decodeStrict(n *yaml.Node, v any) error {
	data, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	return dec.Decode(v)
}

// k8sManifest holds a file's objects by kind and name, decoded.
type k8sManifest struct {
	configMaps map[string]map[string]string
	pvcs       map[string]k8sPVCSpec
	jobs       map[string]k8sJobSpec
}

func readManifest(t *testing.T, path string, m *k8sManifest) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	for i := 1; ; i++ {
		var obj k8sObject
		if err := dec.Decode(&obj); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("%s: document %d: %v", path, i, err)
		}
		where := path + ": " + obj.Kind + " " + obj.Metadata.Name
		if obj.Metadata.Name == "" {
			t.Fatalf("%s: document %d (%s) has no metadata.name", path, i, obj.Kind)
		}
		switch obj.Kind {
		case "ConfigMap":
			if obj.APIVersion != "v1" {
				t.Errorf("%s: apiVersion %q, want v1", where, obj.APIVersion)
			}
			var d map[string]string
			if err := decodeStrict(&obj.Data, &d); err != nil {
				t.Fatalf("%s: data: %v", where, err)
			}
			m.configMaps[obj.Metadata.Name] = d
		case "PersistentVolumeClaim":
			if obj.APIVersion != "v1" {
				t.Errorf("%s: apiVersion %q, want v1", where, obj.APIVersion)
			}
			var s k8sPVCSpec
			if err := decodeStrict(&obj.Spec, &s); err != nil {
				t.Fatalf("%s: spec: %v", where, err)
			}
			m.pvcs[obj.Metadata.Name] = s
		case "Job":
			if obj.APIVersion != "batch/v1" {
				t.Errorf("%s: apiVersion %q, want batch/v1", where, obj.APIVersion)
			}
			var s k8sJobSpec
			if err := decodeStrict(&obj.Spec, &s); err != nil {
				t.Fatalf("%s: spec: %v", where, err)
			}
			m.jobs[obj.Metadata.Name] = s
		default:
			t.Fatalf("%s: document %d: kind %q, not one this test knows", path, i, obj.Kind)
		}
	}
}

// k8sVarRef is a $(NAME) reference in a container's command or args.
var k8sVarRef = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)

// expandK8s expands $(NAME) in s as the kubelet does for the variables
// the container's env declares (values), and fails t on any other
// reference: Kubernetes would leave it as it is, unexpanded.
func expandK8s(t *testing.T, s string, values map[string]string) string {
	t.Helper()
	return k8sVarRef.ReplaceAllStringFunc(s, func(ref string) string {
		name := k8sVarRef.FindStringSubmatch(ref)[1]
		v, ok := values[name]
		if !ok {
			t.Errorf("%q refers to $(%s), which the container's env does not declare: Kubernetes would not expand it", s, name)
		}
		return v
	})
}

// TestKubernetesManifests checks deploy/kubernetes/ without a cluster:
// the sweep is an Indexed Job whose pods run a command line that sim sweep
// accepts, each taking its shard from the variable the CLI reads and
// writing to its own directory of a volume the merge Job mounts too, and
// the merge Job's glob takes every shard and nothing else.
func TestKubernetesManifests(t *testing.T) {
	dir := filepath.Join(repoRoot, "deploy", "kubernetes")
	m := &k8sManifest{configMaps: map[string]map[string]string{}, pvcs: map[string]k8sPVCSpec{}, jobs: map[string]k8sJobSpec{}}
	readManifest(t, filepath.Join(dir, "sweep-job.yaml"), m)
	readManifest(t, filepath.Join(dir, "merge-job.yaml"), m)
	sweepJob, ok := m.jobs["fulcrum-sweep"]
	if !ok {
		t.Fatalf("no Job fulcrum-sweep in %s; jobs: %v", dir, m.jobs)
	}
	mergeJob, ok := m.jobs["fulcrum-merge"]
	if !ok {
		t.Fatalf("no Job fulcrum-merge in %s", dir)
	}

	// The sweep Job: Indexed, a pod per index, as many as shards (the
	// args' --shard auto/N is checked against completions below).
	if sweepJob.CompletionMode != "Indexed" {
		t.Errorf("fulcrum-sweep: completionMode %q, want Indexed", sweepJob.CompletionMode)
	}
	if sweepJob.Completions == nil || *sweepJob.Completions < 2 {
		t.Fatalf("fulcrum-sweep: want completions, the number of shards, at least 2")
	}
	n := *sweepJob.Completions
	if p := sweepJob.Parallelism; p == nil || *p < 1 || *p > n {
		t.Errorf("fulcrum-sweep: parallelism %v, want 1 to %d", p, n)
	}
	// backoffLimitPerIndex requires Never (the Job is refused otherwise).
	if rp := sweepJob.Template.Spec.RestartPolicy; rp != "Never" {
		t.Errorf("fulcrum-sweep: restartPolicy %q, want Never", rp)
	}
	pod := sweepJob.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("fulcrum-sweep: %d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	if len(c.Command) != 1 || c.Command[0] != "/usr/local/bin/sim" {
		t.Errorf("fulcrum-sweep: command %q, want [/usr/local/bin/sim], where deploy/Dockerfile puts it", c.Command)
	}
	dockerfile, err := os.ReadFile(filepath.Join(repoRoot, "deploy", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(dockerfile), "COPY --from=build /sim /usr/local/bin/sim") {
		t.Errorf("deploy/Dockerfile does not put sim at /usr/local/bin/sim")
	}

	// The index: the variable the CLI reads, declared from the pod's
	// completion-index annotation so that $(...) in args expands.
	declared := map[string]bool{}
	for _, e := range c.Env {
		declared[e.Name] = true
		if e.Name != envJobCompletionIndex {
			continue
		}
		if e.ValueFrom == nil || e.ValueFrom.FieldRef == nil {
			t.Errorf("fulcrum-sweep: env %s is not taken from a fieldRef", e.Name)
		} else if fp := e.ValueFrom.FieldRef.FieldPath; fp != "metadata.annotations['batch.kubernetes.io/job-completion-index']" &&
			fp != "metadata.labels['batch.kubernetes.io/job-completion-index']" {
			t.Errorf("fulcrum-sweep: env %s from %q, not the completion index", e.Name, fp)
		}
	}
	if !declared[envJobCompletionIndex] {
		t.Errorf("fulcrum-sweep: env lacks %s, the variable sim sweep --shard auto reads", envJobCompletionIndex)
	}

	// The volumes: the scenario from a ConfigMap of the file, the results
	// on a claim of the file that many nodes can write.
	tmp := t.TempDir()
	mounts := map[string]string{} // mount path -> where it is in this test
	claimMount := ""
	for _, vm := range c.VolumeMounts {
		var vol *k8sVolume
		for i := range pod.Volumes {
			if pod.Volumes[i].Name == vm.Name {
				vol = &pod.Volumes[i]
			}
		}
		if vol == nil {
			t.Fatalf("fulcrum-sweep: volumeMount %s: no such volume", vm.Name)
		}
		local := filepath.Join(tmp, vm.Name)
		if err := os.MkdirAll(local, 0o755); err != nil {
			t.Fatal(err)
		}
		mounts[vm.MountPath] = local
		switch {
		case vol.ConfigMap != nil:
			data, ok := m.configMaps[vol.ConfigMap.Name]
			if !ok {
				t.Fatalf("fulcrum-sweep: volume %s: ConfigMap %s is not in the manifest", vm.Name, vol.ConfigMap.Name)
			}
			for file, text := range data {
				if err := os.WriteFile(filepath.Join(local, file), []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		case vol.PersistentVolumeClaim != nil:
			pvc, ok := m.pvcs[vol.PersistentVolumeClaim.ClaimName]
			if !ok {
				t.Fatalf("fulcrum-sweep: volume %s: claim %s is not in the manifest", vm.Name, vol.PersistentVolumeClaim.ClaimName)
			}
			if len(pvc.AccessModes) != 1 || pvc.AccessModes[0] != "ReadWriteMany" {
				t.Errorf("claim %s: accessModes %v; the pods of several nodes write it: want ReadWriteMany", vol.PersistentVolumeClaim.ClaimName, pvc.AccessModes)
			}
			if vm.ReadOnly {
				t.Errorf("fulcrum-sweep: the results' volume %s is mounted read-only", vm.Name)
			}
			claimMount = vm.MountPath
		default:
			t.Fatalf("fulcrum-sweep: volume %s is neither a ConfigMap nor a claim", vm.Name)
		}
	}
	if claimMount == "" {
		t.Fatal("fulcrum-sweep: no volume for the results")
	}
	// local maps a path in the pod, alone or as a flag's value
	// (--out=/results/x), to this test's directories.
	local := func(arg string) string {
		flag, path := "", arg
		if strings.HasPrefix(arg, "-") {
			k := strings.IndexByte(arg, '=')
			if k < 0 {
				return arg
			}
			flag, path = arg[:k+1], arg[k+1:]
		}
		for mp, dir := range mounts {
			if path == mp || strings.HasPrefix(path, mp+"/") {
				return flag + dir + path[len(mp):]
			}
		}
		return arg
	}

	// Each pod's command line, as the kubelet expands it for index i,
	// through sim sweep's own parsing and checks (the scenario is loaded
	// and every value's scenario validated; nothing runs).
	outs := make([]string, n)
	for i := range n {
		setShardEnv(t, map[string]string{envJobCompletionIndex: strconv.Itoa(i)})
		var args []string
		for _, a := range c.Args {
			args = append(args, local(expandK8s(t, a, map[string]string{envJobCompletionIndex: strconv.Itoa(i)})))
		}
		if len(args) == 0 || args[0] != "sweep" {
			t.Fatalf("fulcrum-sweep: args %q: want sim sweep", c.Args)
		}
		var stdout, stderr bytes.Buffer
		cmd, code := parseSweep(args[1:], &stdout, &stderr)
		if cmd == nil {
			t.Fatalf("index %d: sim %q: exit %d\n%s", i, args, code, stderr.String())
		}
		if code != cli.ExitOK || cmd.opt.Shard != i || cmd.opt.Shards != n {
			t.Errorf("index %d: sim sweep runs shard %d/%d; want %d/%d (completions: %d)", i, cmd.opt.Shard, cmd.opt.Shards, i, n, n)
		}
		if !cmd.noPlots {
			t.Errorf("index %d: the shards draw plots the merge throws away: want --no-plots", i)
		}
		if want := "sim sweep: shard " + strconv.Itoa(i) + "/" + strconv.Itoa(n) + " (JOB_COMPLETION_INDEX=" + strconv.Itoa(i) + ")\n"; stderr.String() != want {
			t.Errorf("index %d: stderr %q, want %q", i, stderr.String(), want)
		}
		outs[i] = cmd.out
		if dir, _ := filepath.Rel(mounts[claimMount], cmd.out); cmd.out == "" || strings.HasPrefix(dir, "..") {
			t.Errorf("index %d: --out %q is not on the results' volume %s", i, cmd.out, claimMount)
		}
		for j := range i {
			if outs[j] == outs[i] {
				t.Errorf("indices %d and %d both write %s", j, i, outs[i])
			}
		}
	}

	// The merge Job: one pod, on the same claim at the same path, whose
	// glob takes each shard's directory and not the merge's own.
	if mergeJob.CompletionMode == "Indexed" || (mergeJob.Completions != nil && *mergeJob.Completions != 1) {
		t.Errorf("fulcrum-merge: one pod wanted, got completionMode %q, completions %v", mergeJob.CompletionMode, mergeJob.Completions)
	}
	mpod := mergeJob.Template.Spec
	if len(mpod.Containers) != 1 {
		t.Fatalf("fulcrum-merge: %d containers, want 1", len(mpod.Containers))
	}
	mc := mpod.Containers[0]
	if mc.Image != c.Image {
		t.Errorf("fulcrum-merge: image %q, the sweep's is %q", mc.Image, c.Image)
	}
	sameClaim := false
	for _, vm := range mc.VolumeMounts {
		for _, v := range mpod.Volumes {
			if v.Name == vm.Name && v.PersistentVolumeClaim != nil && vm.MountPath == claimMount {
				if _, ok := m.pvcs[v.PersistentVolumeClaim.ClaimName]; ok {
					sameClaim = true
				}
			}
		}
	}
	if !sameClaim {
		t.Errorf("fulcrum-merge does not mount the sweep's claim at %s", claimMount)
	}
	if len(mc.Command) != 3 || mc.Command[0] != "/bin/sh" || mc.Command[1] != "-c" {
		t.Fatalf("fulcrum-merge: command %q, want [/bin/sh -c 'sim merge ...']", mc.Command)
	}
	if strings.ContainsAny(mc.Command[2], `'"\;|&`) {
		t.Fatalf("fulcrum-merge: %q: this test splits the shell line at spaces; keep it to words", mc.Command[2])
	}
	words := strings.Fields(mc.Command[2])
	if len(words) > 0 && words[0] == "exec" {
		words = words[1:]
	}
	if len(words) < 3 || words[0] != "/usr/local/bin/sim" || words[1] != "merge" {
		t.Fatalf("fulcrum-merge: %q: want sim merge", mc.Command[2])
	}
	var globs []string
	mergeOut := ""
	for k := 2; k < len(words); k++ {
		switch {
		case words[k] == "--out" && k+1 < len(words):
			mergeOut = words[k+1]
			k++
		case strings.HasPrefix(words[k], "-"):
			t.Errorf("fulcrum-merge: flag %s: sim merge has only --out", words[k])
		default:
			globs = append(globs, words[k])
		}
	}
	if mergeOut == "" || !strings.HasPrefix(mergeOut, claimMount+"/") {
		t.Errorf("fulcrum-merge: --out %q is not on the results' volume %s", mergeOut, claimMount)
	}
	// The pods' paths, back from this test's directories to the volume's.
	inPod := func(p string) string { return claimMount + strings.TrimPrefix(p, mounts[claimMount]) }
	matches := func(p string) bool {
		for _, g := range globs {
			if ok, err := filepath.Match(g, p); err != nil {
				t.Fatalf("fulcrum-merge: glob %q: %v", g, err)
			} else if ok {
				return true
			}
		}
		return false
	}
	for i, out := range outs {
		if !matches(inPod(out)) {
			t.Errorf("fulcrum-merge: %q does not take index %d's %s", globs, i, inPod(out))
		}
	}
	if matches(mergeOut) {
		t.Errorf("fulcrum-merge: %q takes its own --out %s as a shard", globs, mergeOut)
	}
}

// runScript runs a deploy/ script with bash in dir and env (added to this
// process's environment less the batch systems' variables), bounded by
// clitest.HangGuard, and returns its exit status and output.
func runScript(t *testing.T, dir string, env map[string]string, script string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), clitest.HangGuard)
	defer cancel()
	abs, err := filepath.Abs(filepath.Join(repoRoot, script))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, "bash", append([]string{abs}, args...)...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(shardEnvVars, name) && name != "SHARDS" && name != "SIM" {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("%s %q: still running after %v:\n%s", script, args, clitest.HangGuard, out)
	case errors.As(err, &exit):
		return exit.ExitCode(), string(out)
	case err != nil:
		t.Fatalf("%s %q: %v", script, args, err)
	}
	return 0, string(out)
}

// TestSlurmScripts runs deploy/slurm's scripts as Slurm would run them,
// without Slurm (scripts/test-slurm.sh runs them under a real one, as
// root): each task of an array of 2 with the variables Slurm sets, then
// the merge, which must give the unsharded sweep's bytes; a task run again
// alone with SHARDS; and the refusals outside an array and with no shards.
func TestSlurmScripts(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set and bash is missing: %v", err)
		}
		t.Skipf("bash is missing: %v", err)
	}
	scenario := writeScenario(t, tinyScenario)
	work := t.TempDir() // the directory sbatch is called from
	results := filepath.Join(work, "results")
	sweepArgs := []string{scenario, "--param", "arrivals.rate", "--values", "1000,2000", "--requests", "800"}
	task := func(id, count, lo, hi string) map[string]string {
		return map[string]string{"SIM": simBin, envSlurmJobID: "7", envSlurmTaskID: id, envSlurmTaskCount: count, envSlurmTaskMin: lo, envSlurmTaskMax: hi}
	}

	// Outside an array, sim sweep refuses and the script exits with it.
	code, out := runScript(t, work, map[string]string{"SIM": simBin, envSlurmJobID: "7"}, "deploy/slurm/sweep.sbatch", append([]string{results}, sweepArgs...)...)
	if code != cli.ExitUsage || !strings.Contains(out, "SLURM_JOB_ID=7 is set but SLURM_ARRAY_TASK_ID is not") {
		t.Errorf("sweep.sbatch outside an array: exit %d, output %q", code, out)
	}
	code, out = runScript(t, work, map[string]string{"SIM": simBin}, "deploy/slurm/merge.sbatch", results)
	if code != cli.ExitUsage || !strings.Contains(out, "no "+results+"/shard-* to merge") {
		t.Errorf("merge.sbatch with no shards: exit %d, output %q", code, out)
	}
	if _, err := os.Stat(results); !os.IsNotExist(err) {
		t.Errorf("%s exists after the refusals (%v)", results, err)
	}

	// Task 0 of --array=0-1; task 1 as run again alone: --array=1, SHARDS=2.
	if code, out := runScript(t, work, task("0", "2", "0", "1"), "deploy/slurm/sweep.sbatch", append([]string{"results"}, sweepArgs...)...); code != 0 {
		t.Fatalf("task 0: exit %d:\n%s", code, out)
	}
	rerun := task("1", "1", "1", "1")
	rerun["SHARDS"] = "2"
	code, out = runScript(t, work, rerun, "deploy/slurm/sweep.sbatch", append([]string{"results"}, sweepArgs...)...)
	if code != 0 || !strings.Contains(out, "sim sweep: shard 1/2 (SLURM_ARRAY_TASK_ID=1)") {
		t.Fatalf("task 1 run again with SHARDS=2: exit %d:\n%s", code, out)
	}
	for i, name := range []string{"shard-0", "shard-1"} {
		if _, err := os.Stat(filepath.Join(results, name, "sweep.png")); !os.IsNotExist(err) {
			t.Errorf("shard %d drew plots (%v)", i, err)
		}
	}
	if code, out := runScript(t, work, map[string]string{"SIM": simBin}, "deploy/slurm/merge.sbatch", "results"); code != 0 {
		t.Fatalf("merge.sbatch: exit %d:\n%s", code, out)
	}
	whole := filepath.Join(t.TempDir(), "whole")
	sweepOK(t, append([]string{"sweep", "--no-plots", "--out", whole}, sweepArgs...)...)
	for _, name := range []string{"sweep.json", "sweep.csv"} {
		if got, want := readFile(t, filepath.Join(results, "merged", name)), readFile(t, filepath.Join(whole, name)); !bytes.Equal(got, want) {
			t.Errorf("merged %s differs from the unsharded sweep's", name)
		}
	}
	if _, err := os.Stat(filepath.Join(results, "merged", "sweep.png")); err != nil {
		t.Errorf("the merge drew no plots: %v", err)
	}
}
