package awssdk

import (
	"slices"
	"strings"
	"testing"

	"github.com/statecraft/statecraft/apimodel"
)

// TestOutputsMatchModels checks that the results this package renders name
// their top-level members as apimodel's checks of a mocked result
// (TestState's fieldValidationMode) expect them: the models' names, first
// letter upper-cased. A mismatch would make TestState refuse a mock shaped like
// a real result, or check a field under the wrong name.
func TestOutputsMatchModels(t *testing.T) {
	for _, svc := range Services() {
		model := apimodel.SDKService(svc)
		if model == "" {
			t.Errorf("aws-sdk service %s has no model in apimodel", svc)
			continue
		}
		checked := 0
		for _, op := range apimodel.Operations(model) {
			m, ok := action(svc, strings.ToLower(op[:1])+op[1:])
			if !ok {
				continue // an event-stream action, or one this SDK lacks
			}
			out := m.Type.Out(0).Elem()
			var fields []string
			for i := range out.NumField() {
				if f := out.Field(i); f.IsExported() && f.Name != "ResultMetadata" {
					fields = append(fields, f.Name)
				}
			}
			slices.Sort(fields)
			// The pinned SDK may be newer than the models (S3's
			// ObjectLockEventHold, Lambda's AcceleratorConfig) or add
			// members of its own (S3's ExpiresString): a field the model
			// lacks is not checked, so only the other way round matters.
			for _, want := range apimodel.Lookup(model, op).Members() {
				if _, found := slices.BinarySearch(fields, want); !found {
					t.Errorf("%s:%s: the model's member %s is not a field of the rendered result %v", svc, op, want, fields)
				}
			}
			checked++
		}
		if checked == 0 {
			t.Errorf("%s: no operation of the model found in the SDK", svc)
		}
	}
}
