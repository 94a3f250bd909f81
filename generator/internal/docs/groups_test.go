package docs

import (
	"strings"
	"testing"

	"github.com/usagekit/usagekit/generator/model"
)

// TestProjectGroups: with the project's own list, the index and the pages
// list every group of it, with its description, including one that owns
// nothing yet; the HTML filter offers every group.
func TestProjectGroups(t *testing.T) {
	refund := &model.Event{Action: "issue_refund", Description: "A refund.", Identifiers: []model.Identifier{model.User},
		ProductGroup: "payments", Tiers: []string{"free"}}
	set := &model.Set{
		Events: []*model.Event{refund},
		ProductGroups: []model.ProductGroup{
			{Name: "payments", Description: "Checkout | refunds."},
			{Name: "search"},
		},
	}
	files, err := Generate(set)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	var names []string
	for _, f := range files {
		got[f.Name] = string(f.Data)
		names = append(names, f.Name)
	}
	if n := strings.Join(names, " "); n != "groups/payments.md groups/search.md index.html index.md" {
		t.Fatalf("files: %s", n)
	}
	want := map[string]string{
		"index.md": "# Metrics dictionary\n\n1 events and 0 metrics. The searchable page is [index.html](index.html).\n\n" +
			"| Product group | Description | Events | Metrics |\n|---|---|---:|---:|\n" +
			"| [payments](groups/payments.md) | Checkout \\| refunds. | 1 | 0 |\n" +
			"| [search](groups/search.md) |  | 0 | 0 |\n",
		"groups/payments.md": "# payments\n\nCheckout | refunds.\n\n[Back to the index](../index.md)\n\n## Events\n\n" +
			"| Event | Description | Identifiers | Properties | Status | Tiers |\n|---|---|---|---|---|---|\n" +
			"| <a id=\"event-issue_refund\"></a>`issue_refund` | A refund. | user |  | active | free |\n",
		"groups/search.md": "# search\n\n[Back to the index](../index.md)\n\nNo events or metrics yet.\n",
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s:\n--- got\n%s\n--- want\n%s", name, got[name], w)
		}
	}
	for _, opt := range []string{`<option value="payments">payments</option>`, `<option value="search">search</option>`} {
		if !strings.Contains(got["index.html"], opt) {
			t.Errorf("index.html lacks %s", opt)
		}
	}
}
