package generated_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usagekit/usagekit/internal/tstest"
)

// TestTypeScriptClient type-checks usage.ts with tsc --strict, with calls
// as an application writes them, and checks that a wrong property type
// and a value outside an enum are compile errors.
func TestTypeScriptClient(t *testing.T) {
	tstest.TSC(t)
	dir := t.TempDir()
	copyFile(t, "usage.ts", filepath.Join(dir, "usage.ts"))
	for _, f := range []string{"calls.ts", "wrong_type.ts", "not_in_enum.ts"} {
		copyFile(t, filepath.Join("testdata", "ts", f), filepath.Join(dir, f))
	}
	if out, ok := tstest.Run(t, dir, "--noEmit", "usage.ts", "calls.ts"); !ok {
		t.Fatalf("tsc usage.ts calls.ts:\n%s", out)
	}
	for file, want := range map[string]string{
		"wrong_type.ts":  `wrong_type.ts(4,35): error TS2322: Type 'string' is not assignable to type 'boolean | undefined'.`,
		"not_in_enum.ts": `not_in_enum.ts(4,19): error TS2322: Type '"wikis"' is not assignable to type 'SearchCodeScope | undefined'.`,
	} {
		out, ok := tstest.Run(t, dir, "--noEmit", file)
		if ok || !strings.Contains(out, want) {
			t.Errorf("tsc %s: compiled %v, output:\n%s\nwant it to fail with:\n%s", file, ok, out, want)
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
