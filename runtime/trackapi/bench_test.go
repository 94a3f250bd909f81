package trackapi_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"golang.org/x/time/rate"

	"github.com/usagekit/usagekit/generated"
	"github.com/usagekit/usagekit/internal/redistest"
	"github.com/usagekit/usagekit/runtime/store/redisstore"
	"github.com/usagekit/usagekit/runtime/track"
	"github.com/usagekit/usagekit/runtime/trackapi"
)

// BenchmarkTrackEndpoint sends batches of 50 events over real HTTP to the
// handler, which decodes, validates and tracks them into Redis; it reports
// events per second, the rate browsers can be served at, and events per
// CPU-second of the process (client and server together), which varies
// less on a machine shared with other work.
func BenchmarkTrackEndpoint(b *testing.B) {
	rdb := redistest.Client(b, benchDB)
	tr := track.New(track.Options{Store: redisstore.New(rdb, redisstore.Options{})})
	h, err := trackapi.New(generated.Events(), trackapi.Options{
		Authenticate: authenticate, Authorize: authorize, Tracker: tr, Rate: rate.Inf,
	})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	var events []string
	for i := range trackapi.MaxEvents {
		switch i % 3 {
		case 0:
			events = append(events, fmt.Sprintf(`{"event":"create_issue","project_id":10,"namespace_id":100,"additional_properties":{"label":"incident","confidential":%t,"weight":%d}}`, i%2 == 0, i))
		case 1:
			events = append(events, fmt.Sprintf(`{"event":"search_code","project_id":10,"additional_properties":{"scope":"issues","results_count":%d,"label":"q"}}`, i))
		default:
			events = append(events, `{"event":"create_pipeline","project_id":10,"namespace_id":100,"additional_properties":{"label":"push","config_source":"repository","stages_count":1}}`)
		}
	}
	body := []byte(`{"events":[` + strings.Join(events, ",") + `]}`)
	client := srv.Client()
	client.Transport.(*http.Transport).MaxIdleConnsPerHost = 64
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v4/usage_data/track_events", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer user-42")
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N*trackapi.MaxEvents)/b.Elapsed().Seconds(), "events/s")
	if used := cpuTime() - cpu; used > 0 {
		b.ReportMetric(float64(b.N*trackapi.MaxEvents)/used.Seconds(), "events/CPU-s")
	}
	if err := tr.Close(context.Background()); err != nil {
		b.Fatal(err)
	}
	if got, want := rdb.Get(context.Background(), "{event_counters}_search_code").Val(), fmt.Sprint(b.N*17); got != want {
		b.Errorf("Redis counted %s search_code events, want %s", got, want)
	}
}
