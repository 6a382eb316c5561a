package argo

// Opts mirrors the ValidateOpts fields of Argo's workflow/validate package that Argo's CLI,
// controller and Kubeflow Pipelines' API server set; each Engine maps them onto its own type.
type Opts struct {
	Lint             bool
	IgnoreEntrypoint bool
	Submit           bool
}

// Engine is one Argo version's real code: its Workflow type and its validate package.
type Engine interface {
	// ArgoVersion is the Argo module version linked into the binary, e.g. "3.5.14".
	ArgoVersion() string
	// KFPVersions are the Kubeflow Pipelines releases that bundle this Argo minor version.
	KFPVersions() []string
	// Validate decodes workflow JSON into Argo's Workflow type (rejecting unknown fields when
	// strict, as `argo lint` does) and runs Argo's ValidateWorkflow with opts.
	Validate(workflowJSON []byte, strict bool, opts Opts) error
}
