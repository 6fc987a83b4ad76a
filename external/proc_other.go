//go:build !unix

package external

import (
	"os"
	"os/exec"
)

// ownGroup does nothing where there are no Unix process groups.
func ownGroup(*exec.Cmd) {}

// killGroup kills the process itself; its own children may survive it.
func killGroup(p *os.Process) { p.Kill() }
