package common

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/yaml"
)

// Check is one consumer's verdict on one file.
type Check struct {
	Check   string `json:"check"`
	By      string `json:"by"`
	OK      bool   `json:"ok"`
	Message string `json:"message,omitempty"`
	// Skipped says why a check could not run here (OK is then true: nothing was rejected).
	Skipped string `json:"skipped,omitempty"`
}

// FileReport holds every check run on one file.
type FileReport struct {
	Path   string  `json:"path"`
	Checks []Check `json:"checks"`
}

// Report is what a conformance binary prints: which versions it is, and its verdicts.
type Report struct {
	Tool        string       `json:"tool"`
	ArgoVersion string       `json:"argo_version"`
	KFPVersions []string     `json:"kfp_versions"`
	Files       []FileReport `json:"files"`
}

type paramFlags map[string]string

func (p paramFlags) String() string { return fmt.Sprint(map[string]string(p)) }
func (p paramFlags) Set(v string) error {
	name, value, ok := strings.Cut(v, "=")
	if !ok || name == "" {
		return fmt.Errorf("--param wants NAME=VALUE, got %q", v)
	}
	p[name] = value
	return nil
}

// Main parses the command line, checks every file named on it with the Argo engine and prints
// the JSON report. Exit status: 0 all accepted, 1 something rejected, 2 usage or unreadable file.
func Main(tool string, engine Engine) {
	MainWith(tool, engine.ArgoVersion(), engine.KFPVersions(),
		func(path string, data []byte, params map[string]string, runOut string) FileReport {
			return CheckFile(engine, path, data, params, runOut)
		})
}

// FileChecker checks one file's contents.
type FileChecker func(path string, data []byte, params map[string]string, runOut string) FileReport

// MainWith is Main for any checker (the KFP v2 tool has no Argo engine).
func MainWith(tool, argoVersion string, kfpVersions []string, check FileChecker) {
	params := paramFlags{}
	fs := flag.NewFlagSet(tool, flag.ExitOnError)
	fs.Var(params, "param", "run parameter NAME=VALUE for the KFP run-creation check (repeatable)")
	runOut := fs.String("run-out", "", "directory to write, per file, the workflow KFP would submit")
	fs.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: %s [--param NAME=VALUE]... [--run-out DIR] WORKFLOW.yaml...\n", tool)
		fs.PrintDefaults()
	}
	_ = fs.Parse(os.Args[1:])
	if fs.NArg() == 0 {
		fs.Usage()
		os.Exit(2)
	}
	report := Report{Tool: tool, ArgoVersion: argoVersion, KFPVersions: kfpVersions}
	rejected := false
	for _, path := range fs.Args() {
		data, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fr := check(path, data, params, *runOut)
		for _, c := range fr.Checks {
			rejected = rejected || !c.OK
		}
		report.Files = append(report.Files, fr)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	_ = enc.Encode(report)
	if rejected {
		os.Exit(1)
	}
}

// CheckFile runs, on one workflow file, what `argo lint`, Argo's controller and each KFP
// release bundling this Argo version do with it.
func CheckFile(engine Engine, path string, data []byte, params map[string]string, runOut string) FileReport {
	argo := "Argo " + engine.ArgoVersion()
	kfp := "KFP " + strings.Join(engine.KFPVersions(), ", ")
	fr := FileReport{Path: path}
	add := func(check, by string, err error) {
		c := Check{Check: check, By: by, OK: err == nil}
		if err != nil {
			c.Message = err.Error()
		}
		fr.Checks = append(fr.Checks, c)
	}

	// `argo lint` parses strictly: duplicate keys and unknown fields are errors.
	strictJSON, err := yaml.YAMLToJSONStrict(data)
	if err == nil {
		err = engine.Validate(strictJSON, true, Opts{Lint: true})
	}
	add("argo-lint", argo+" `argo lint` (strict parsing, workflow/validate with Lint)", err)

	// The API server and KFP decode leniently (sigs.k8s.io/yaml, unknown fields dropped).
	jsonData, err := yaml.YAMLToJSON(data)
	if err != nil {
		msg := fmt.Errorf("Failed to parse the workflow template: %v", err)
		add("argo-controller", argo+" controller", msg)
		add("kfp-upload", kfp+" upload", msg)
		add("kfp-run", kfp+" run creation", msg)
		return fr
	}
	add("argo-controller", argo+" controller (workflow/validate on submission)",
		engine.Validate(jsonData, false, Opts{}))

	add("kfp-upload", kfp+" upload (template.New: a v1 template, "+argo+
		" workflow/validate with Lint, entrypoint not required)", kfpUpload(engine, jsonData))

	runJSON, err := KFPRunWorkflow(jsonData, params)
	if err == nil {
		err = engine.Validate(runJSON, false, Opts{})
		if err == nil && runOut != "" {
			name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)) + ".kfp-run.json"
			err = os.WriteFile(filepath.Join(runOut, name), runJSON, 0o644)
		}
	}
	add("kfp-run", kfp+" run creation (parameters, labels; then "+argo+
		" controller's workflow/validate of the workflow KFP submits)", err)
	return fr
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
	return engine.Validate(jsonData, false, Opts{Lint: true, IgnoreEntrypoint: true})
}
