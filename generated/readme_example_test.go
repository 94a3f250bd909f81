package generated_test

import (
	"context"
	"database/sql"
	"log/slog"
	"net/http"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/redis/go-redis/v9"

	"github.com/usagekit/usagekit/generated"
	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/metric"
	"github.com/usagekit/usagekit/runtime/ping"
	"github.com/usagekit/usagekit/runtime/record"
	"github.com/usagekit/usagekit/runtime/record/natssink"
	"github.com/usagekit/usagekit/runtime/store/memstore"
	"github.com/usagekit/usagekit/runtime/store/redisstore"
	"github.com/usagekit/usagekit/runtime/track"
	"github.com/usagekit/usagekit/runtime/trackapi"
)

// The examples below are the README's code, compiled: the README's test
// checks that its snippets stand here line for line.

type user struct{ ID int64 }

type project struct{ ID, NamespaceID int64 }

// Where an issue is created, the application tracks it with the typed
// function; a project where the user belongs does not compile.
func Example_trackFromApplicationCode() {
	ctx := context.Background()
	user, project := user{ID: 7}, project{ID: 42, NamespaceID: 3}
	generated.TrackCreateIssue(ctx,
		event.UserID(user.ID),
		event.ProjectID(project.ID),
		event.NamespaceID(project.NamespaceID),
		generated.CreateIssueProperties{
			Label:        "incident",
			Property:     "web",
			Confidential: true,
			Weight:       2,
		})
}

// An application sets up tracking once, at start.
func Example_setUpTracking() {
	rdb := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{"127.0.0.1:6379"}}) // Redis 7+
	redisstore.RedirectLogs(nil)                                                                // go-redis's own dial errors: the error handler hears of failures already
	tracker := track.New(track.Options{
		Store:        redisstore.New(rdb, redisstore.Options{}),
		ErrorHandler: func(err error) { slog.Warn("usage tracking", "err", err) },
	})
	defer func() { // flush everything tracked, but never hang a shutdown
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		tracker.Close(ctx)
	}()
	track.SetDefault(tracker) // or track.NewContext(ctx, tracker) per request
}

// An application computes its usage ping with the generated Metrics, sends
// it weekly and shows a preview to administrators.
func Example_usagePing() {
	var (
		ctx          = context.Background()
		rdb          = redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{"127.0.0.1:6379"}})
		db           *sql.DB // the application's database
		app          instrumentation
		mux          = http.NewServeMux()
		instanceUUID = "1c1e6b5e-0b8e-4f37-9d55-6d1f2c0b4a7e"
		version      = "2.3.0"
	)
	engine := metric.NewEngine(metric.EngineOptions{Store: redisstore.New(rdb, redisstore.Options{}), DB: db})
	pinger := ping.New(ping.Options{
		Engine:   engine,
		Metrics:  generated.Metrics(app), // app implements generated.Instrumentation
		Instance: ping.Instance{UUID: instanceUUID, Version: version},
		Client:   ping.NewClient("https://collector.example.com/usage", ping.ClientOptions{}),
	})
	go ping.NewScheduler(pinger, ping.ScheduleOptions{Redis: rdb}).Run(ctx) // weekly, one replica of many
	mux.Handle("/admin/usage-ping", pinger.Handler())                       // preview, nothing sent
}

// instrumentation is an application's side of generated.Instrumentation.
type instrumentation struct{ app }

// A SaaS instance also streams every event as a record, here into NATS
// JetStream.
func Example_recordPipeline() {
	var (
		ctx             = context.Background()
		natsURL         = "nats://127.0.0.1:4222"
		pseudonymSecret = []byte("a secret of sixteen bytes or more")
		uuid, version   = "1c1e6b5e-0b8e-4f37-9d55-6d1f2c0b4a7e", "2.1.0"
		store           = memstore.New(memstore.Options{})
	)
	nc, _ := nats.Connect(natsURL, nats.MaxReconnects(-1)) // keep reconnecting through server restarts
	sink, err := natssink.New(ctx, nc, natssink.Options{Replicas: 3})
	if err != nil {
		return
	}
	records, err := record.New(sink, record.Options{
		Secret:       pseudonymSecret, // 16 bytes or more, the same in every process and release
		Context:      record.Context{InstanceUUID: uuid, AppName: "shop", AppVersion: version, Environment: "production"},
		ErrorHandler: func(err error) { slog.Warn("usage records", "err", err) },
	})
	if err != nil {
		return
	}
	tracker := track.New(track.Options{Store: store, Records: records}) // Close delivers every record tracked before it
	defer tracker.Close(ctx)
}

// sessions stands for an application's sessions.
type sessions struct{}

// User returns the signed-in user of r.
func (sessions) User(r *http.Request) (int64, error) {
	if _, err := r.Cookie("session"); err != nil {
		return 0, err
	}
	return 42, nil
}

// members stands for an application's permissions.
type members struct{}

// Check says whether user may act on the project and namespace.
func (members) Check(_ context.Context, user, project, namespace int64) error { return nil }

// An application serves the track endpoint, for its pages and its other
// services, with its own sessions and permissions.
func Example_trackEndpoint() {
	var (
		mux              = http.NewServeMux()
		session, members = sessions{}, members{}
	)
	api, err := trackapi.New(generated.Events(), trackapi.Options{
		Authenticate: func(r *http.Request) (trackapi.Identity, error) {
			user, err := session.User(r) // the application's session cookie or token
			return trackapi.Identity{User: event.UserID(user)}, err
		},
		Authorize: func(r *http.Request, id trackapi.Identity, p event.ProjectID, n event.NamespaceID) error {
			return members.Check(r.Context(), int64(id.User), int64(p), int64(n)) // may the user see them?
		},
	})
	if err != nil {
		return
	}
	mux.Handle("/api/v4/usage_data/", api) // POST .../track_event and .../track_events
}
