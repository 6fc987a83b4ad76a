//go:build unix

package external

import (
	"os"
	"os/exec"
	"syscall"
)

// ownGroup starts the strategy in a process group of its own, so that
// killing it also kills what it started: `sh -c 'python3 lb.py'` or a
// wrapper script would otherwise leave the real strategy running.
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// killGroup kills the process group led by p. The group's ID outlives its
// leader while members remain, so this also reaps the strays of a process
// that has already exited; once none remain it is a no-op (ESRCH).
func killGroup(p *os.Process) {
	if err := syscall.Kill(-p.Pid, syscall.SIGKILL); err != nil {
		p.Kill()
	}
}
