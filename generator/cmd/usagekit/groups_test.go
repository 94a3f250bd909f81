package main

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// paymentsEvent is cliEvent owned by a group of the project's own.
var paymentsEvent = strings.Replace(cliEvent, "product_group: project_management", "product_group: payments", 1)

// TestValidateProductGroups runs usagekit validate over trees with and
// without a project list of product groups.
func TestValidateProductGroups(t *testing.T) {
	const list = "payments: Checkout and refunds.\nsearch:\n"
	tests := []struct {
		name   string
		files  map[string]string
		args   []string
		code   int
		stdout string
	}{
		{"own group, own list", map[string]string{
			"definitions/product_groups.yml":      list,
			"definitions/events/create_issue.yml": paymentsEvent,
		}, []string{"validate"}, exitOK,
			"checked 2 files: 1 event, 0 metrics, 0 problems\n"},
		{"own group, no list", map[string]string{
			"definitions/events/create_issue.yml": paymentsEvent,
		}, []string{"validate"}, exitProblems,
			`definitions/events/create_issue.yml:3:16: product_group: "payments" is not one of GitLab's 91 product groups (schema/v1/product_groups.json); a project with its own groups lists them in product_groups.yml beside its definitions` + "\n" +
				"checked 1 file: 1 event, 0 metrics, 1 problem\n"},
		{"GitLab group not in the list", map[string]string{
			"definitions/product_groups.yml":      list,
			"definitions/events/create_issue.yml": cliEvent,
		}, []string{"validate"}, exitProblems,
			`definitions/events/create_issue.yml:3:16: product_group: "project_management" is not one of the product groups listed in definitions/product_groups.yml: payments, search` + "\n" +
				"checked 2 files: 1 event, 0 metrics, 1 problem\n"},
		{"typo, one file named", map[string]string{
			"definitions/product_groups.yml":      list,
			"definitions/events/create_issue.yml": strings.Replace(paymentsEvent, "payments", "payment", 1),
		}, []string{"validate", "definitions/events/create_issue.yml"}, exitProblems,
			`definitions/events/create_issue.yml:3:16: product_group: "payment" is not one of the product groups listed in definitions/product_groups.yml: payments, search (did you mean "payments"?)` + "\n" +
				"checked 1 file: 1 event, 0 metrics, 1 problem\n"},
		{"bad list", map[string]string{
			"definitions/product_groups.yml":      "- payments\n- Search\n- payments\n",
			"definitions/events/create_issue.yml": paymentsEvent,
		}, []string{"validate"}, exitProblems,
			`definitions/product_groups.yml:2:3: "Search" is not a product group name: use lowercase letters and digits, words joined by _ or -` + "\n" +
				`definitions/product_groups.yml:3:3: "payments" is listed twice (first at line 1); list each group once` + "\n" +
				"checked 2 files: 1 event, 0 metrics, 2 problems\n"},
		{"list of the wrong shape", map[string]string{
			"definitions/product_groups.yml":      "payments\n",
			"definitions/events/create_issue.yml": paymentsEvent,
		}, []string{"validate"}, exitProblems,
			"definitions/product_groups.yml:1:1: the top level is a string; expected a list of product group names, or a mapping of group name to description\n" +
				"checked 2 files: 1 event, 0 metrics, 1 problem\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tree(t, tt.files)
			var stdout, stderr bytes.Buffer
			if code := run(tt.args, &stdout, &stderr); code != tt.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, tt.code, stderr.String())
			}
			if stdout.String() != tt.stdout {
				t.Errorf("stdout:\n got: %s\nwant: %s", stdout.String(), tt.stdout)
			}
		})
	}
}

func TestValidateProductGroupsJSON(t *testing.T) {
	tree(t, map[string]string{
		"definitions/product_groups.yml":      "- payments\n- payments\n",
		"definitions/events/create_issue.yml": strings.Replace(paymentsEvent, "payments", "paymnts", 1),
	})
	var stdout, stderr bytes.Buffer
	if code := run([]string{"validate", "--format", "json"}, &stdout, &stderr); code != exitProblems {
		t.Fatalf("exit %d; stderr %s", code, stderr.String())
	}
	var out struct {
		Diagnostics []struct {
			Path, Message, Rule string
			Line, Column        int
		} `json:"diagnostics"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout.String())
	}
	var got []string
	for _, d := range out.Diagnostics {
		got = append(got, strings.Join([]string{d.Path, itoa(d.Line), itoa(d.Column), d.Rule, d.Message}, " | "))
	}
	want := []string{
		`definitions/events/create_issue.yml | 3 | 16 | product-group | product_group: "paymnts" is not one of the product groups listed in definitions/product_groups.yml: payments (did you mean "payments"?)`,
		`definitions/product_groups.yml | 2 | 3 | product-groups | "payments" is listed twice (first at line 1); list each group once`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("diagnostics:\n got:\n\t%s\nwant:\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestNewProductGroups: usagekit new accepts the project's own groups and
// refuses an unknown one before writing anything.
func TestNewProductGroups(t *testing.T) {
	asTerminal(t, nil)
	tree(t, map[string]string{"definitions/product_groups.yml": "payments: Checkout and refunds.\nsearch:\n"})
	flags := []string{"--description", "A refund was issued.", "--product-categories", "refunds",
		"--milestone", "17.4", "--introduced-by-url", "https://example.com/mr/1"}

	code, _, errOut := runNewCmd(append([]string{"event", "issue_refund", "--product-group", "payment"}, flags...)...)
	want := `definitions/events/issue_refund.yml:8:16: product_group: "payment" is not one of the product groups listed in definitions/product_groups.yml: payments, search (did you mean "payments"?)` + "\n" +
		"usagekit new: definitions/events/issue_refund.yml would have 1 problem; nothing was written\n"
	if code != exitProblems || errOut != want {
		t.Errorf("unknown group: exit %d\nstderr %q\nwant   %q", code, errOut, want)
	}
	if _, err := os.Stat("definitions/events"); !os.IsNotExist(err) {
		t.Errorf("a refused event was written (stat: %v)", err)
	}

	code, out, errOut := runNewCmd(append([]string{"event", "issue_refund", "--product-group", "payments"}, flags...)...)
	if code != exitOK || !strings.HasPrefix(out, "created definitions/events/issue_refund.yml\n") {
		t.Fatalf("own group: exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	// The metric inherits the event's group, checked the same way.
	code, out, errOut = runNewCmd("metric", "--event", "issue_refund", "--time-frame", "all", "--description", "Refunds.",
		"--milestone", "17.4", "--introduced-by-url", "https://example.com/mr/1")
	if code != exitOK || !strings.HasPrefix(out, "created definitions/metrics/counts_all/count_total_issue_refund.yml\n") {
		t.Fatalf("metric: exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	code, _, errOut = runNewCmd("metric", "--event", "issue_refund", "--name", "refunds_by_search", "--product-group", "project_management",
		"--description", "Refunds.", "--milestone", "17.4", "--introduced-by-url", "https://example.com/mr/1")
	want = `definitions/metrics/counts_all/refunds_by_search.yml:3:16: product_group: "project_management" is not one of the product groups listed in definitions/product_groups.yml: payments, search` + "\n" +
		"usagekit new: definitions/metrics/counts_all/refunds_by_search.yml would have 1 problem; nothing was written\n"
	if code != exitProblems || errOut != want {
		t.Errorf("metric with a group not listed: exit %d\nstderr %q\nwant   %q", code, errOut, want)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"validate"}, &stdout, &stderr); code != exitOK {
		t.Errorf("the created files do not validate:\n%s", stdout.String())
	}
}

// TestNewAsksForAGroupFromTheList: the interactive question names the
// groups when the project's list is short.
func TestNewAsksForAGroupFromTheList(t *testing.T) {
	input := "payments\n"
	asTerminal(t, &input)
	tree(t, map[string]string{"definitions/product_groups.yml": "- payments\n- search\n"})
	code, _, errOut := runNewCmd("event", "issue_refund", "--description", "A refund.", "--milestone", "17.4",
		"--introduced-by-url", "https://example.com/mr/1")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if want := "Product group (payments, search): "; !strings.Contains(errOut, want) {
		t.Errorf("prompt %q lacks %q", errOut, want)
	}
}

// refundEvent is an event of a group only the project's list has.
var refundEvent = strings.NewReplacer("action: search_code", "action: issue_refund",
	"product_group: global_search", "product_group: payments").Replace(diffSearchEvent)

// TestDiffProductGroups: the base is read with the lists that applied to
// it, even when only a folder below them is compared, and the working tree
// with its own.
func TestDiffProductGroups(t *testing.T) {
	const list = "- global_search\n- payments\n- project_management\n"
	tests := []struct {
		name   string
		head   map[string]*string
		args   []string
		code   int
		stdout string
	}{
		{name: "folder below the list", args: []string{"--base", "HEAD", "definitions/events"}, code: exitOK,
			stdout: "checked 3 files: 3 events, 0 metrics, 0 problems\n"},
		{name: "event removed, folder below the list",
			head: map[string]*string{"definitions/events/issue_refund.yml": nil},
			args: []string{"--base", "HEAD", "definitions/events"}, code: exitOK,
			stdout: "checked 2 files: 2 events, 0 metrics, 0 problems\n"},
		{name: "group dropped from the list while used",
			head: map[string]*string{"definitions/product_groups.yml": ptr("- global_search\n- project_management\n")},
			code: exitProblems,
			stdout: `definitions/events/issue_refund.yml:7:16: product_group: "payments" is not one of the product groups listed in definitions/product_groups.yml: global_search, project_management` + "\n" +
				"checked 6 files: 3 events, 2 metrics, 1 problem\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := diffBase()
			base["definitions/product_groups.yml"] = list
			base["definitions/events/issue_refund.yml"] = refundEvent
			diffRepo(t, base, tt.head)
			args := tt.args
			if args == nil {
				args = []string{"--base", "HEAD"}
			}
			var stdout, stderr bytes.Buffer
			if code := run(append([]string{"diff"}, args...), &stdout, &stderr); code != tt.code {
				t.Errorf("exit %d, want %d\nstderr:\n%s", code, tt.code, stderr.String())
			}
			if stdout.String() != tt.stdout {
				t.Errorf("stdout:\n%s\nwant:\n%s", stdout.String(), tt.stdout)
			}
			if stderr.Len() > 0 {
				t.Errorf("stderr (the base did not load cleanly?):\n%s", stderr.String())
			}
		})
	}
}
