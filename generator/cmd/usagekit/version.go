package main

import (
	"fmt"
	"io"
	"runtime/debug"
)

func init() {
	register(command{
		name:    "version",
		summary: "print the usagekit version",
		usage:   "usagekit version",
		run: func(_ []string, stdout, _ io.Writer) int {
			fmt.Fprintf(stdout, "usagekit %s\n", version())
			return exitOK
		},
	})
}

// version is the module version the binary was built from, or "(devel)" for
// a build from a checkout.
func version() string {
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
		return info.Main.Version
	}
	return "(devel)"
}
