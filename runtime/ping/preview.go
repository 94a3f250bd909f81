package ping

import (
	"encoding/json"
	"net/http"
)

// Handler returns an http.Handler that computes the ping and answers with
// its payload as JSON, without sending anything: what an administrator
// reviews before (or instead of) sharing data. With ?metadata=1 it answers
// {"payload": ..., "metadata": ...}. It works when the instance opted out.
func (p *Pinger) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		pl, err := p.Build(r.Context())
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		var body any = pl
		if r.URL.Query().Get("metadata") != "" {
			body = struct {
				Payload  *Payload `json:"payload"`
				Metadata Metadata `json:"metadata"`
			}{pl, pl.Metadata()}
		}
		b, err := json.MarshalIndent(body, "", "  ")
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(append(b, '\n')) //nolint:errcheck // the client went away
	})
}
