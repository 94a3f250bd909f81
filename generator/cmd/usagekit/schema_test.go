package main

import (
	"os"
	"testing"
)

func TestSchemaCommand(t *testing.T) {
	for _, kind := range []string{"payload", "records"} {
		code, out, errs := runIn(t, "schema", kind, "--definitions", "../../../definitions")
		want, err := os.ReadFile("../../wireschema/testdata/" + kind + ".schema.json")
		if err != nil {
			t.Fatal(err)
		}
		if code != exitOK || out != string(want) || errs != "" {
			t.Errorf("schema %s: exit %d, stderr %q, output differs from the package's golden: %v", kind, code, errs, out != string(want))
		}
	}
	for _, args := range [][]string{{"schema"}, {"schema", "metrics"}, {"schema", "payload", "records"}} {
		if code, _, errs := runIn(t, args...); code != exitUsage || errs != "usagekit schema: say which: usagekit schema payload or usagekit schema records\n" {
			t.Errorf("%q: exit %d, stderr %q", args, code, errs)
		}
	}
}
