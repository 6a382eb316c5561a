// Command conformance-argo37 checks Headrace's compiled workflows with Argo Workflows 3.7.3's own
// validate package, as `argo lint`, Argo's controller and Kubeflow Pipelines 2.15 do.
package main

import (
	"bytes"
	"encoding/json"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"

	"github.com/argoproj/argo-workflows/v3/workflow/validate"

	"headrace/tools/conformance/common/argo"
)

type engine struct{}

func (engine) ArgoVersion() string   { return "3.7.3" }
func (engine) KFPVersions() []string { return []string{"2.15"} }

func (engine) Validate(workflowJSON []byte, strict bool, opts argo.Opts) error {
	var wf wfv1.Workflow
	dec := json.NewDecoder(bytes.NewReader(workflowJSON))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(&wf); err != nil {
		return err
	}
	vopts := validate.ValidateOpts{Lint: opts.Lint, IgnoreEntrypoint: opts.IgnoreEntrypoint, Submit: opts.Submit}
	// No WorkflowTemplate getters: Headrace's workflows reference none, and KFP passes nil too.
	return validate.ValidateWorkflow(nil, nil, &wf, nil, vopts)
}

func main() { argo.Main("conformance-argo37", engine{}) }
