package trackapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/usagekit/usagekit/generated"
	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/store/memstore"
	"github.com/usagekit/usagekit/runtime/track"
	"github.com/usagekit/usagekit/runtime/trackapi"
)

// A service posts a batch of events with its token; the endpoint counts
// the valid ones and says what is wrong with the others.
func Example() {
	store := memstore.New(memstore.Options{})
	tracker := track.New(track.Options{Store: store, Sync: true})
	defer tracker.Close(context.Background())
	api, err := trackapi.New(generated.Events(), trackapi.Options{
		Authenticate: func(r *http.Request) (trackapi.Identity, error) {
			if r.Header.Get("Authorization") != "Bearer s3cret" {
				return trackapi.Identity{}, fmt.Errorf("bad token")
			}
			return trackapi.Identity{User: 42}, nil
		},
		Authorize: func(*http.Request, trackapi.Identity, event.ProjectID, event.NamespaceID) error { return nil },
		Tracker:   tracker,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	post := func(body string) {
		req := httptest.NewRequest("POST", "/api/v4/usage_data/track_events", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer s3cret")
		w := httptest.NewRecorder()
		api.ServeHTTP(w, req)
		fmt.Print(w.Code, " ", w.Body.String())
	}
	post(`{"events":[{"event":"create_issue","project_id":10,"additional_properties":{"label":"incident","confidential":true}}]}`)
	post(`{"events":[{"event":"create_issue","additional_properties":{"confidential":"yes"}}]}`)
	n, _ := store.Get("{event_counters}_create_issue")
	fmt.Println("create_issue counted", n)
	// Output:
	// 200 {"tracked":1}
	// 400 {"message":"400 Bad request - 1 problem; nothing was tracked","problems":[{"index":0,"event":"create_issue","property":"confidential","message":"got \"yes\"","expected":"true or false"}]}
	// create_issue counted 1
}
