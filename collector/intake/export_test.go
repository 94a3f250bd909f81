package intake

import (
	"errors"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// Check is the intake's check of a ping, for benchmarks.
func (in *Intake) Check(payload []byte) []string { return in.check(payload) }

// CheckFull is the check of a ping without the fast path.
func CheckFull(s *jsonschema.Schema) (func([]byte) []string, error) {
	if s == nil {
		return nil, errors.New("no schema")
	}
	in := &Intake{opt: Options{PayloadSchema: s}}
	return in.check, nil
}
