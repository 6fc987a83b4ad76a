package backend

import (
	"os"
	"syscall"
	"time"
	"unsafe"
)

// timerfdSleeper sleeps on a Linux timerfd read through Go's netpoller: the
// kernel's high-resolution timer makes the fd readable on time and wakes
// epoll_wait at once (its millisecond rounding applies to its timeout, not
// to events), no thread is held while sleeping, and a read deadline
// interrupts it.
type timerfdSleeper struct {
	f   *os.File
	fd  uintptr
	buf [8]byte
}

// itimerspec is struct itimerspec of timerfd_settime(2).
type itimerspec struct {
	interval, value syscall.Timespec
}

const clockMonotonic = 1

// newSleeper is a timerfd sleeper, or a Go timer one if the kernel refuses.
func newSleeper() sleeper {
	fd, _, errno := syscall.Syscall(syscall.SYS_TIMERFD_CREATE, clockMonotonic, syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if errno != 0 {
		return newTimeSleeper()
	}
	// A non-blocking fd joins the netpoller, so reads park the goroutine.
	return &timerfdSleeper{f: os.NewFile(fd, "timerfd"), fd: fd}
}

func (s *timerfdSleeper) sleep(d time.Duration) bool {
	// Arming also clears expirations left from an interrupted sleep.
	spec := itimerspec{value: syscall.NsecToTimespec(int64(max(d, 1)))}
	if _, _, errno := syscall.Syscall6(syscall.SYS_TIMERFD_SETTIME, s.fd, 0, uintptr(unsafe.Pointer(&spec)), 0, 0, 0); errno != 0 {
		time.Sleep(d)
		return true
	}
	_, err := s.f.Read(s.buf[:])
	return err == nil
}

func (s *timerfdSleeper) interrupt() { _ = s.f.SetReadDeadline(time.Unix(1, 0)) }

func (s *timerfdSleeper) reuse() { _ = s.f.SetReadDeadline(time.Time{}) }

func (s *timerfdSleeper) close() { _ = s.f.Close() }
