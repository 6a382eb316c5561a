package common

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
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
