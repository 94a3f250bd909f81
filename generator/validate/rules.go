package validate

import (
	"github.com/usagekit/usagekit/generator/diag"
	"github.com/usagekit/usagekit/generator/model"
)

// checkRules applies the rules that span files.
func checkRules(set *model.Set) diag.List {
	return nil
}
