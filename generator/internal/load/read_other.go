//go:build !unix

package load

import (
	"fmt"
	"io"
	"os"
)

// readFile reads up to limit bytes of the file at path; buf is unused.
func readFile(path string, limit int, _ []byte) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot open: %s", statMessage(err))
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("cannot read: %s", errText(err))
	}
	return data, nil
}
