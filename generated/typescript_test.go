package generated_test

import (
	"os"
	"path/filepath"
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
	// One run of the compiler, which takes seconds: the output must be
	// exactly the errors of the two files written to fail.
	want := "not_in_enum.ts(4,19): error TS2322: Type '\"wikis\"' is not assignable to type 'SearchCodeScope | undefined'.\n" +
		"wrong_type.ts(4,35): error TS2322: Type 'string' is not assignable to type 'boolean | undefined'.\n"
	out, ok := tstest.Run(t, dir, "--noEmit", "--pretty", "false", "usage.ts", "calls.ts", "not_in_enum.ts", "wrong_type.ts")
	if ok || out != want {
		t.Errorf("tsc: compiled %v, output:\n%s\nwant:\n%s", ok, out, want)
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
