package backend

import (
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// timerfdSleeper sleeps on a Linux timerfd read through Go's netpoller: the
// kernel's high-resolution timer makes the fd readable on time and wakes
// epoll_wait at once (its millisecond rounding applies to its timeout, not
// to events), no thread is held while sleeping, and a read deadline
// interrupts it.
type timerfdSleeper struct {
	f   *os.File
	fd  int
	buf [8]byte
}

// newSleeper is a timerfd sleeper, or a Go timer one if the kernel refuses.
func newSleeper() sleeper {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return newTimeSleeper()
	}
	// A non-blocking fd joins the netpoller, so reads park the goroutine.
	return &timerfdSleeper{f: os.NewFile(uintptr(fd), "timerfd"), fd: fd}
}

func (s *timerfdSleeper) sleep(d time.Duration) bool {
	// Arming also clears expirations left from an interrupted sleep.
	spec := unix.ItimerSpec{Value: unix.NsecToTimespec(int64(max(d, 1)))}
	if err := unix.TimerfdSettime(s.fd, 0, &spec, nil); err != nil {
		time.Sleep(d)
		return true
	}
	_, err := s.f.Read(s.buf[:])
	return err == nil
}

func (s *timerfdSleeper) interrupt() { _ = s.f.SetReadDeadline(time.Unix(1, 0)) }

func (s *timerfdSleeper) reuse() { _ = s.f.SetReadDeadline(time.Time{}) }

func (s *timerfdSleeper) close() { _ = s.f.Close() }
