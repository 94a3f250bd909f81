package main

import "flag"

// update rewrites the golden files of this package's tests.
var update = flag.Bool("update", false, "rewrite the golden files in testdata")
