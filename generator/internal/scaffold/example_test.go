package scaffold_test

import (
	"fmt"

	"github.com/usagekit/usagekit/generator/internal/scaffold"
	"github.com/usagekit/usagekit/generator/model"
)

func ExampleMetric() {
	set := &model.Set{Events: []*model.Event{{
		Action: "page_viewed", Identifiers: []model.Identifier{model.User},
		ProductGroup: "source_code", ProductCategories: []string{"navigation"}, Tiers: []string{"free"},
		InternalEvents: true,
	}}}
	f, keys, err := scaffold.Metric("definitions", set, scaffold.MetricOptions{
		Events: []string{"page_viewed"}, Unique: "user.id",
		Description: "Users who viewed a page.", Milestone: "17.4", IntroducedByURL: "https://example.com/mr/1",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(f.Path)
	fmt.Println(keys)
	// Output:
	// definitions/metrics/counts_28d/count_distinct_user_id_from_page_viewed.yml
	// [redis_hll_counters.count_distinct_user_id_from_page_viewed_weekly redis_hll_counters.count_distinct_user_id_from_page_viewed_monthly]
}
