package load_test

import (
	"slices"
	"testing"

	"github.com/usagekit/usagekit/generator/internal/load"
)

func TestSplitPointer(t *testing.T) {
	tests := []struct {
		ptr  string
		want []string
	}{
		{"", nil},
		{"/", []string{""}},
		{"/events/0/name", []string{"events", "0", "name"}},
		{"/filter/a~1b", []string{"filter", "a/b"}},
		{"/filter/t~0", []string{"filter", "t~"}},
		{"/~01", []string{"~1"}}, // not "/": ~1 is undone before ~0
		{"/a//b", []string{"a", "", "b"}},
	}
	for _, tt := range tests {
		if got := slices.Collect(load.SplitPointer(tt.ptr)); !slices.Equal(got, tt.want) {
			t.Errorf("SplitPointer(%q) = %q, want %q", tt.ptr, got, tt.want)
		}
	}
}

func TestPointerToken(t *testing.T) {
	for _, key := range []string{"label", "a/b", "t~", "~1", "/~/", ""} {
		tok := load.PointerToken(key)
		if got := slices.Collect(load.SplitPointer("/" + tok)); len(got) != 1 || got[0] != key {
			t.Errorf("PointerToken(%q) = %q, which splits into %q", key, tok, got)
		}
	}
	if got, want := load.PointerToken("a/b~c"), "a~1b~0c"; got != want {
		t.Errorf("PointerToken(a/b~c) = %q, want %q", got, want)
	}
}
