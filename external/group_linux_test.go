package external

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// groupGone reports whether no live process of the group pgid is left
// (the script and what it started), waiting up to a few seconds for the
// kernel to finish them. Zombies count as gone: they are dead, and whether
// they are reaped is up to their parent (init, for orphans, which in a
// container may never reap them).
func groupGone(t testing.TB, pgid int) bool {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		live := liveMembers(pgid)
		if len(live) == 0 {
			return true
		}
		if time.Now().After(deadline) {
			t.Logf("process group %d still has %v", pgid, live)
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func liveMembers(pgid int) []string {
	dirs, _ := os.ReadDir("/proc")
	var live []string
	for _, d := range dirs {
		if _, err := strconv.Atoi(d.Name()); err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + d.Name() + "/stat")
		if err != nil {
			continue // ended meanwhile
		}
		// pid (comm) state ppid pgrp ...; comm may hold spaces, so read
		// after its closing parenthesis.
		s := string(stat)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) >= 3 && f[2] == strconv.Itoa(pgid) && f[0] != "Z" {
			live = append(live, d.Name()+" "+s[:strings.LastIndexByte(s, ')')+1])
		}
	}
	return live
}
