// Command conformance-argo40 checks Headrace's compiled workflows with Argo Workflows 4.0.5's own
// validate package, as `argo lint`, Argo's controller and Kubeflow Pipelines 2.17 do.
package main

import (
	"bytes"
	"encoding/json"
	wfv1 "github.com/argoproj/argo-workflows/v4/pkg/apis/workflow/v1alpha1"
	"github.com/argoproj/argo-workflows/v4/util/logging"
	"github.com/argoproj/argo-workflows/v4/workflow/validate"

	"headrace/tools/conformance/common/argo"
)

type engine struct{}

func (engine) ArgoVersion() string   { return "4.0.5" }
func (engine) KFPVersions() []string { return []string{"2.17"} }

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
	return validate.ValidateWorkflow(logging.InitLoggerInContext(), nil, nil, &wf, nil, vopts)
}

func main() { argo.Main("conformance-argo40", engine{}) }
