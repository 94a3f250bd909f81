//go:build unix

package trackapi_test

import (
	"syscall"
	"time"
)

// cpuTime is the user and system CPU time the process has used so far. On
// a machine shared with other work, CPU seconds per run vary much less than
// wall-clock seconds, so benchmarks report both.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
