package argo

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/yaml"

	"headrace/tools/conformance/common"
)

// Main parses the command line, checks every file named on it with the Argo engine and prints
// the JSON report. Exit status: 0 all accepted, 1 something rejected, 2 usage or unreadable file.
func Main(tool string, engine Engine) {
	common.MainWith(tool, engine.ArgoVersion(), engine.KFPVersions(),
		func(path string, data []byte, params map[string]string, runOut string) common.FileReport {
			return CheckFile(engine, path, data, params, runOut)
		})
}

// CheckFile runs, on one workflow file, what `argo lint`, Argo's controller and each KFP
// release bundling this Argo version do with it.
func CheckFile(engine Engine, path string, data []byte, params map[string]string, runOut string) common.FileReport {
	argo := "Argo " + engine.ArgoVersion()
	kfp := "KFP " + strings.Join(engine.KFPVersions(), ", ")
	fr := common.FileReport{Path: path}
	add := func(check, by string, err error) {
		c := common.Check{Check: check, By: by, OK: err == nil}
		if err != nil {
			c.Message = err.Error()
		}
		fr.Checks = append(fr.Checks, c)
	}

	// `argo lint` parses strictly: duplicate keys and unknown fields are errors.
	strictJSON, err := yaml.YAMLToJSONStrict(data)
	if err == nil {
		err = validate(engine, strictJSON, true, Opts{Lint: true})
	}
	add("argo-lint", argo+" `argo lint` (strict parsing, workflow/validate with Lint)", err)

	// The API server and KFP decode leniently (sigs.k8s.io/yaml, unknown fields dropped).
	jsonData, err := yaml.YAMLToJSON(data)
	if err != nil {
		msg := fmt.Errorf("Failed to parse the workflow template: %v", err)
		add("argo-controller", argo+" controller", msg)
		add("kfp-upload", kfp+" upload", msg)
		add("kubernetes-api", kubernetesBy(), msg)
		add("kfp-run", kfp+" run creation", msg)
		return fr
	}
	add("argo-controller", argo+" controller (workflow/validate on submission)",
		validate(engine, jsonData, false, Opts{}))
	add("kubernetes-api", kubernetesBy(), KubernetesMetadata(jsonData))

	add("kfp-upload", kfp+" upload (template.New: a v1 template, "+argo+
		" workflow/validate with Lint, entrypoint not required)", kfpUpload(engine, jsonData))

	runJSON, err := KFPRunWorkflow(jsonData, params)
	if err == nil {
		err = validate(engine, runJSON, false, Opts{})
	}
	if err == nil {
		err = KubernetesMetadata(runJSON)
	}
	if err == nil && runOut != "" {
		name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)) + ".kfp-run.json"
		err = os.WriteFile(filepath.Join(runOut, name), runJSON, 0o644)
	}
	add("kfp-run", kfp+" run creation (parameters, labels; then "+argo+
		" controller's workflow/validate and Kubernetes' ObjectMeta checks of the workflow KFP submits)", err)
	return fr
}

// validate runs Argo's validation, turning a panic inside it into a rejection: Argo 3.7.3's
// template resolution dereferences a missing template when spec.podMetadata is set (as in the
// workflow KFP submits), and its controller would fail that workflow too.
func validate(engine Engine, workflowJSON []byte, strict bool, opts Opts) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("Argo %s panicked in workflow/validate: %v", engine.ArgoVersion(), r)
		}
	}()
	return engine.Validate(workflowJSON, strict, opts)
}

// kfpUpload is KFP's ValidateWorkflow for an uploaded v1 template: apiVersion and kind first.
func kfpUpload(engine Engine, jsonData []byte) error {
	var meta struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := json.Unmarshal(jsonData, &meta); err != nil {
		return fmt.Errorf("Failed to parse the workflow template: %v", err)
	}
	if meta.APIVersion != "argoproj.io/v1alpha1" {
		return fmt.Errorf("Unsupported argo version. Expected: argoproj.io/v1alpha1. Received: %s", meta.APIVersion)
	}
	if meta.Kind != "Workflow" {
		return fmt.Errorf("Unexpected resource type. Expected: Workflow. Received: %s", meta.Kind)
	}
	return validate(engine, jsonData, false, Opts{Lint: true, IgnoreEntrypoint: true})
}
