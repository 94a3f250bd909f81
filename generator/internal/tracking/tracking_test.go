package tracking

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usagekit/usagekit/generator"
	"github.com/usagekit/usagekit/generator/emit"
	"github.com/usagekit/usagekit/generator/model"
)

func TestParseNameFunc(t *testing.T) {
	tests := []struct {
		in   string
		want NameFunc
		err  string
	}{
		{in: "example.com/shop/api.Track", want: NameFunc{Pkg: "example.com/shop/api", Name: "Track"}},
		{in: "example.com/shop/api.Track:1", want: NameFunc{Pkg: "example.com/shop/api", Name: "Track", Arg: 1}},
		{in: "github.com/usagekit/usagekit/runtime/track/tracktest.Recorder.AssertTracked:1",
			want: NameFunc{Pkg: "github.com/usagekit/usagekit/runtime/track/tracktest", Recv: "Recorder", Name: "AssertTracked", Arg: 1}},
		{in: "fmt.Sprint", want: NameFunc{Pkg: "fmt", Name: "Sprint"}},
		{in: "Track", err: `"Track": want IMPORTPATH.FUNC[:ARG] or IMPORTPATH.TYPE.METHOD[:ARG]`},
		{in: "example.com/api", err: `"example.com/api": want IMPORTPATH.FUNC[:ARG] or IMPORTPATH.TYPE.METHOD[:ARG]`},
		{in: "example.com/api.T.M.X", err: `"example.com/api.T.M.X": want IMPORTPATH.FUNC[:ARG] or IMPORTPATH.TYPE.METHOD[:ARG]`},
		{in: "example.com/api.1x", err: `"example.com/api.1x": want IMPORTPATH.FUNC[:ARG] or IMPORTPATH.TYPE.METHOD[:ARG]`},
		{in: "example.com/api.Track:", err: `"example.com/api.Track:": ARG must be an argument's index, 0 or more`},
		{in: "example.com/api.Track:-1", err: `"example.com/api.Track:-1": ARG must be an argument's index, 0 or more`},
	}
	for _, tt := range tests {
		got, err := ParseNameFunc(tt.in)
		switch {
		case tt.err != "":
			if err == nil || err.Error() != tt.err {
				t.Errorf("ParseNameFunc(%q) error = %v, want %q", tt.in, err, tt.err)
			}
		case err != nil || got != tt.want:
			t.Errorf("ParseNameFunc(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func load(t *testing.T, dir string) *model.Set {
	t.Helper()
	set, err := generator.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func sites(r *Report) string {
	var b strings.Builder
	for _, action := range []string{"", "cancel_order", "place_order", "plcae_order", "refund_order", "view_cart"} {
		for _, s := range r.Sites[action] {
			fmt.Fprintf(&b, "%s %s %s\n", action, s, s.Func)
		}
	}
	return b.String()
}

// TestScanShop scans the test module: call sites of Track functions
// (called, passed as a value, gone from the generated code) and of the
// endpoint's names, and which packages are generated.
func TestScanShop(t *testing.T) {
	t.Chdir(filepath.Join("testdata", "shop"))
	var stderr bytes.Buffer
	endpoint, _ := ParseNameFunc("example.com/shop/api.Track:1")
	r, err := Scan(load(t, "definitions"), Options{NameFuncs: []NameFunc{endpoint}, Stderr: &stderr})
	if err != nil {
		t.Fatal(err)
	}
	want := " legacy/legacy.go:21:8 TrackCancelOrdr\n" +
		"place_order api/api.go:11:13 example.com/shop/api.Track:1\n" +
		"place_order checkout/checkout.go:14:8 TrackPlaceOrder\n" +
		"plcae_order api/api.go:12:13 example.com/shop/api.Track:1\n" +
		"refund_order api/api.go:13:13 example.com/shop/api.Track:1\n" +
		"refund_order legacy/legacy.go:16:8 TrackRefundOrder\n" +
		"view_cart checkout/checkout.go:19:20 TrackViewCart\n"
	if got := sites(r); got != want {
		t.Errorf("sites:\n%s\nwant:\n%s", got, want)
	}
	if r.Packages != 3 || r.Events != 3 || r.Tracked != 2 || strings.Join(r.Generated, ",") != "example.com/shop/internal/usage" {
		t.Errorf("packages %d, events %d, tracked %d, generated %v", r.Packages, r.Events, r.Tracked, r.Generated)
	}
	if got := stderr.String(); got != "legacy/legacy.go:16:8: undefined: usage.TrackRefundOrder\nlegacy/legacy.go:21:8: undefined: usage.TrackCancelOrdr\n" {
		t.Errorf("stderr %q", got)
	}
}

// TestScanThisRepository scans generated/'s tests (the external test
// package; generated code itself is never scanned), with tracktest's
// AssertTracked as a name function.
func TestScanThisRepository(t *testing.T) {
	if testing.Short() {
		t.Skip("type-checks the generated package's tests")
	}
	t.Chdir(filepath.Join("..", "..", ".."))
	assert, _ := ParseNameFunc("github.com/usagekit/usagekit/runtime/track/tracktest.Recorder.AssertTracked:1")
	r, err := Scan(load(t, "definitions"), Options{Patterns: []string{"./generated"}, Tests: true, NameFuncs: []NameFunc{assert}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range r.Sites["create_issue"] {
		if s.Path == "generated/tracktest_test.go" {
			got = append(got, fmt.Sprintf("%s %s", s, s.Func))
		}
	}
	want := "generated/tracktest_test.go:15:12 TrackCreateIssue," +
		"generated/tracktest_test.go:31:23 github.com/usagekit/usagekit/runtime/track/tracktest.Recorder.AssertTracked:1"
	if strings.Join(got, ",") != want {
		t.Errorf("create_issue in tracktest_test.go: %v\nwant %s", got, want)
	}
	if r.Tracked != 5 || r.Packages != 1 || strings.Join(r.Generated, ",") != "github.com/usagekit/usagekit/generated" {
		t.Errorf("tracked %d of %d, packages %d, generated %v", r.Tracked, r.Events, r.Packages, r.Generated)
	}
	for _, d := range r.Findings {
		if d.Rule == UnknownEventTracked || d.Rule == RemovedEventTracked {
			t.Errorf("unexpected finding %s", d)
		}
	}
}

// TestShopGeneratedFresh keeps the test module's generated package in step
// with its definitions, as usagekit generate --check would.
func TestShopGeneratedFresh(t *testing.T) {
	t.Chdir(filepath.Join("testdata", "shop"))
	files, err := emit.Emit(load(t, "definitions"), emit.Options{Package: "usage", Root: "definitions"})
	if err != nil {
		t.Fatal(err)
	}
	changes, err := emit.Diff(filepath.Join("internal", "usage"), files)
	if err != nil {
		t.Fatal(err)
	}
	if !changes.Empty() {
		t.Errorf("testdata/shop/internal/usage is stale: %+v; run usagekit generate --definitions definitions --out internal/usage there", changes)
	}
}
