package main

import (
	"fmt"
	"strconv"
	"strings"
)

// The variables a batch runner sets in each task of an array of tasks,
// which sim sweep --shard auto reads. Nothing else is read from the
// environment: a sweep is still described by its command line alone.
const (
	// Slurm, in every task of a job array (sbatch --array=0-3).
	envSlurmTaskID    = "SLURM_ARRAY_TASK_ID"
	envSlurmTaskCount = "SLURM_ARRAY_TASK_COUNT"
	envSlurmTaskMin   = "SLURM_ARRAY_TASK_MIN"
	envSlurmTaskMax   = "SLURM_ARRAY_TASK_MAX"
	envSlurmJobID     = "SLURM_JOB_ID" // in every Slurm job, array or not
	// Kubernetes, in every pod of an Indexed Job (completionMode: Indexed).
	// Kubernetes has no variable for the number of completions.
	envJobCompletionIndex = "JOB_COMPLETION_INDEX"
)

// isAutoShard reports whether a --shard value asks for the shard from the
// environment: "auto" or "auto/N".
func isAutoShard(spec string) bool {
	return spec == "auto" || strings.HasPrefix(spec, "auto/")
}

// autoShard resolves --shard auto and --shard auto/N from the variables a
// batch runner sets in each task of an array, read through lookup
// (os.LookupEnv). The shard I comes from SLURM_ARRAY_TASK_ID or
// JOB_COMPLETION_INDEX. The count N is auto/N's, or with plain auto
// SLURM_ARRAY_TASK_COUNT, which holds only if the array is 0..N-1 (checked
// against SLURM_ARRAY_TASK_MIN and _MAX where set): with --array=1-4 or
// --array=0-6:2 the task IDs are not the shards 0..N-1, and guessing a
// mapping would give shards that no other task's numbering agrees with.
// from says which variables gave the shard, for the log.
//
// Every error names the variable and the value it holds, and says what to
// do instead.
func autoShard(spec string, lookup func(string) (string, bool)) (shard, shards int, from string, err error) {
	explicit := 0
	if rest, ok := strings.CutPrefix(spec, "auto/"); ok {
		n, ok := wholeNumber(rest)
		if !ok || n < 1 {
			return 0, 0, "", fmt.Errorf("%q: want auto/N, N the number of shards, at least 1 (e.g. auto/4)", spec)
		}
		explicit = n
	} else if spec != "auto" {
		return 0, 0, "", fmt.Errorf("%q: want I/N, auto or auto/N", spec)
	}

	slurmID, inSlurm := lookup(envSlurmTaskID)
	k8sIndex, inK8s := lookup(envJobCompletionIndex)
	var name, value string
	switch {
	case inSlurm && inK8s:
		// A job submitted from inside a pod inherits the pod's variables
		// (sbatch exports the environment by default): which one is meant
		// cannot be told.
		return 0, 0, "", fmt.Errorf("%q: both %s=%q and %s=%q are set; unset one, or give --shard I/N",
			spec, envSlurmTaskID, slurmID, envJobCompletionIndex, k8sIndex)
	case inSlurm:
		name, value = envSlurmTaskID, slurmID
	case inK8s:
		name, value = envJobCompletionIndex, k8sIndex
	default:
		if job, ok := lookup(envSlurmJobID); ok {
			return 0, 0, "", fmt.Errorf("%q: %s=%s is set but %s is not: this Slurm job is not a job array; submit it with sbatch --array=0-3 (4 shards), or give --shard I/N",
				spec, envSlurmJobID, job, envSlurmTaskID)
		}
		return 0, 0, "", fmt.Errorf("%q: neither %s (a Slurm job array) nor %s (a Kubernetes Indexed Job) is set; outside such a job give --shard I/N",
			spec, envSlurmTaskID, envJobCompletionIndex)
	}
	i, ok := wholeNumber(value)
	if !ok {
		return 0, 0, "", fmt.Errorf("%q: %s=%q: want a whole number >= 0", spec, name, value)
	}
	from = fmt.Sprintf("%s=%s", name, value)

	if explicit > 0 {
		if i >= explicit {
			return 0, 0, "", fmt.Errorf("%q: %s=%s: want 0 <= I < %d; the array's indices must run from 0 to %d", spec, name, value, explicit, explicit-1)
		}
		return i, explicit, from, nil
	}
	if name == envJobCompletionIndex {
		return 0, 0, "", fmt.Errorf("%q: %s=%s gives the shard but no variable gives the number of shards: give --shard auto/N, N the Job's completions",
			spec, name, value)
	}

	countText, ok := lookup(envSlurmTaskCount)
	if !ok {
		return 0, 0, "", fmt.Errorf("%q: %s=%s is set but %s is not; give --shard auto/N, N the array's size",
			spec, name, value, envSlurmTaskCount)
	}
	n, ok := wholeNumber(countText)
	if !ok || n < 1 {
		return 0, 0, "", fmt.Errorf("%q: %s=%q: want a whole number >= 1", spec, envSlurmTaskCount, countText)
	}
	if minText, ok := lookup(envSlurmTaskMin); ok && minText != "0" {
		return 0, 0, "", fmt.Errorf("%q: %s=%s: --shard auto takes the task IDs as shards, so the array must run from 0 (sbatch --array=0-%d); or give --shard auto/N",
			spec, envSlurmTaskMin, minText, n-1)
	}
	if maxText, ok := lookup(envSlurmTaskMax); ok && maxText != strconv.Itoa(n-1) {
		return 0, 0, "", fmt.Errorf("%q: %s=%s with %s=%d: the array is not 0..%d (a step or a list, e.g. --array=0-6:2 or 0,2,5); submit --array=0-%d, or give --shard auto/N",
			spec, envSlurmTaskMax, maxText, envSlurmTaskCount, n, n-1, n-1)
	}
	if i >= n {
		return 0, 0, "", fmt.Errorf("%q: %s=%s is not below %s=%d", spec, name, value, envSlurmTaskCount, n)
	}
	return i, n, from + " of " + envSlurmTaskCount + "=" + countText, nil
}

// wholeNumber parses s as decimal digits only (no sign, space or base
// prefix, which no batch runner writes), below 1<<31.
func wholeNumber(s string) (int, bool) {
	if s == "" || len(s) > 10 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 32)
	return int(n), err == nil
}
