package redisstore

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// RedirectLogs sends the lines go-redis logs on its own (a failed dial,
// about once a second per connection while Redis is down, written to
// stderr by default) to fn instead, or drops them when fn is nil; the
// tracker's error handler already hears about failed writes. go-redis has
// one logger per process, so this holds for every client: call it once at
// start.
func RedirectLogs(fn func(msg string)) { redis.SetLogger(logFunc(fn)) }

type logFunc func(string)

func (f logFunc) Printf(_ context.Context, format string, v ...any) {
	if f != nil {
		f(fmt.Sprintf(format, v...))
	}
}
