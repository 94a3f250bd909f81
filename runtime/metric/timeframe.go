package metric

import (
	"time"

	"github.com/usagekit/usagekit/runtime/dbcount"
	"github.com/usagekit/usagekit/runtime/keys"
)

// TimeFrame is a metric's window.
type TimeFrame string

// Time frames.
const (
	// Weekly is the last complete ISO week.
	Weekly TimeFrame = "7d"
	// Monthly is the last four complete ISO weeks.
	Monthly TimeFrame = "28d"
	// AllTime is every occurrence since counting began.
	AllTime TimeFrame = "all"
	// None is a point-in-time value (a setting, the state of the system).
	None TimeFrame = "none"
)

// TimeFrames lists every time frame.
var TimeFrames = []TimeFrame{Weekly, Monthly, AllTime, None}

// Valid reports whether tf is one of TimeFrames.
func (tf TimeFrame) Valid() bool {
	switch tf {
	case Weekly, Monthly, AllTime, None:
		return true
	}
	return false
}

// Weeks is how many complete ISO weeks the time frame covers: 1 for 7d, 4
// for 28d, 0 for the others.
func (tf TimeFrame) Weeks() int {
	switch tf {
	case Weekly:
		return 1
	case Monthly:
		return 4
	}
	return 0
}

// Windowed reports whether the time frame is a number of weeks (7d, 28d).
// Unique counts need it: HyperLogLogs are kept per week.
func (tf TimeFrame) Windowed() bool { return tf.Weeks() > 0 }

// Counts reports whether event metrics can be computed over the time
// frame: 7d, 28d and all. None is a point in time, which no count of events
// is.
func (tf TimeFrame) Counts() bool { return tf.Windowed() || tf == AllTime }

// Window returns the complete weeks the time frame covers at time now,
// oldest first; the current week never counts. All and none have none.
func (tf TimeFrame) Window(now time.Time) []keys.Week {
	if n := tf.Weeks(); n > 0 {
		return keys.Last(n, now)
	}
	return nil
}

// Database days: a 28d database metric counts the rows whose timestamp
// lies from 30 to 2 days before now, a 7d one from 9 to 2 days, as GitLab's
// do (the last two days may still be incomplete in replicas).
const (
	databaseLag     = 2 * 24 * time.Hour
	databaseMonthly = 30 * 24 * time.Hour
	databaseWeekly  = 9 * 24 * time.Hour
)

// DatabaseWindow is the range of timestamps a database metric of the time
// frame counts at time now; the zero Window (every row) for all and none.
func (tf TimeFrame) DatabaseWindow(now time.Time) dbcount.Window {
	switch tf {
	case Monthly:
		return dbcount.Window{From: now.Add(-databaseMonthly), To: now.Add(-databaseLag)}
	case Weekly:
		return dbcount.Window{From: now.Add(-databaseWeekly), To: now.Add(-databaseLag)}
	}
	return dbcount.Window{}
}

// KeyPathSuffix is what a time frame adds to key_path when a definition
// lists several (time_frame: [7d, 28d, all]): _weekly, _monthly, nothing.
func (tf TimeFrame) KeyPathSuffix() string {
	switch tf {
	case Weekly:
		return "_weekly"
	case Monthly:
		return "_monthly"
	}
	return ""
}
