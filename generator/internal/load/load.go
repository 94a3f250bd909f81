// Package load finds definition files and decodes them into documents that
// keep every value's position, so later stages can report problems at the
// line and column that caused them.
//
// Load accepts usagekit's layout (definitions/events, definitions/metrics/...)
// and GitLab's (config/events, ee/config/events, config/metrics/counts_28d/...,
// removed/ subfolders). A file is an event or a metric according to the
// nearest "events" or "metrics" directory on its path; outside such a
// directory its content decides (an action key makes an event, a key_path key
// a metric). Folders named schema and hidden folders are skipped, as are files
// whose names do not end in .yml or .yaml.
//
// Everything a file can do wrong at this stage becomes a diag.Diagnostic:
// unreadable or oversized files, invalid UTF-8, YAML syntax errors, duplicate
// keys, a top level that is not a mapping, more than one document, and
// anchors whose aliases would expand a file beyond MaxExpandedNodes.
package load

import (
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/usagekit/usagekit/generator/diag"
)

// MaxFileSize is the largest definition file read. Real definitions are a
// few kilobytes; a larger file is a mistake or an attack on the tool.
const MaxFileSize = 1 << 20

// ReadFile reads and decodes one file, turning a panic anywhere below into a
// diagnostic for that file so one pathological input cannot stop the run.
func ReadFile(f File) (doc *Document, diags diag.List) {
	defer diag.Recover(&diags, f.Path, "reading this file")
	bp := buffers.Get().(*[]byte)
	defer buffers.Put(bp)
	data, err := readLimited(f.FSPath, bp)
	if err != nil {
		return nil, diag.List{{Path: f.Path, Rule: "path", Message: err.Error()}}
	}
	// Nothing decoded keeps a reference to data, so the buffer is reused.
	return Parse(f.Path, data)
}

// buffers holds read buffers, so reading thousands of files does not
// allocate thousands of buffers.
var buffers = sync.Pool{New: func() any { b := make([]byte, 0, 8192); return &b }}

// readLimited reads at most MaxFileSize bytes and fails on anything larger,
// without reading the rest.
func readLimited(path string, bp *[]byte) ([]byte, error) {
	data, err := readFile(path, MaxFileSize+1, *bp)
	if err != nil {
		return nil, err
	}
	if cap(data) <= 64<<10 {
		*bp = data // keep a grown buffer, unless an odd file made it huge
	}
	if len(data) > MaxFileSize {
		msg := "file is larger than 1 MiB, the limit"
		if info, err := os.Stat(path); err == nil {
			msg = fmt.Sprintf("file is %s; the limit is 1 MiB", sizeText(info.Size()))
		}
		return nil, errors.New(msg)
	}
	return data, nil
}

func sizeText(n int64) string {
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
