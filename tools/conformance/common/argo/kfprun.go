package argo

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// The run id KFP would give a run; any valid UUID does, a fixed one keeps output reproducible.
const sampleRunID = "123e4567-e89b-12d3-a456-426655440000"

// KFPRunWorkflow applies, to a v1 (Argo) template's JSON, the steps Kubeflow Pipelines' API
// server takes when a run is created from it (backend/src/apiserver/template, Argo.RunWorkflow,
// read from KFP 2.2 to 2.17, where they are the same): refuse run parameters the template does
// not declare, rewrite spec.arguments.parameters to name/value pairs (KFP drops every other
// field of a parameter, e.g. enum and description), expand [[RunUUID]], default the service
// account, add its labels and annotations and replace {{workflow.uid}} with the run id. The
// result is the workflow KFP hands to Argo. KFP's Go module is not served by the Go module
// proxy (its root module is refused), so these steps are Headrace's own code; the validation
// that follows them is Argo's own.
func KFPRunWorkflow(workflowJSON []byte, params map[string]string) ([]byte, error) {
	var wf map[string]any
	if err := json.Unmarshal(workflowJSON, &wf); err != nil {
		return nil, fmt.Errorf("Failed to parse the workflow template: %v", err)
	}
	spec := child(wf, "spec")
	arguments := child(spec, "arguments")
	declared, _ := arguments["parameters"].([]any)
	known := map[string]bool{}
	for _, p := range declared {
		if pm, ok := p.(map[string]any); ok {
			known[fmt.Sprint(pm["name"])] = true
		}
	}
	names := make([]string, 0, len(params))
	for name := range params {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if !known[name] {
			return nil, fmt.Errorf("Failed to verify parameters: Unrecognized input parameter: %s", name)
		}
	}
	rewritten := make([]any, 0, len(declared))
	for _, p := range declared {
		pm, _ := p.(map[string]any)
		name := fmt.Sprint(pm["name"])
		entry := map[string]any{"name": name}
		if v, ok := params[name]; ok {
			entry["value"] = expandMacros(v)
		} else if v, ok := pm["value"]; ok && v != nil {
			entry["value"] = expandMacros(anyString(v))
		}
		rewritten = append(rewritten, entry)
	}
	if len(declared) > 0 {
		arguments["parameters"] = rewritten
	}
	if sa, _ := spec["serviceAccountName"].(string); sa == "" {
		spec["serviceAccountName"] = "pipeline-runner"
	}
	templates, _ := spec["templates"].([]any)
	for _, t := range templates {
		tm, ok := t.(map[string]any)
		if !ok {
			continue
		}
		meta := child(tm, "metadata")
		child(meta, "labels")["pipelines.kubeflow.org/cache_enabled"] = "true"
		annotations := child(meta, "annotations")
		if _, set := annotations["sidecar.istio.io/inject"]; !set {
			annotations["sidecar.istio.io/inject"] = "false"
		}
	}
	meta := child(wf, "metadata")
	child(meta, "labels")["pipeline/runid"] = sampleRunID
	child(meta, "annotations")["pipelines.kubeflow.org/run_name"] = "headrace-conformance"
	child(child(spec, "podMetadata"), "labels")["pipeline/runid"] = sampleRunID
	out, err := json.Marshal(wf)
	if err != nil {
		return nil, err
	}
	return []byte(strings.ReplaceAll(string(out), "{{workflow.uid}}", sampleRunID)), nil
}

// child returns m[key] as an object, creating it when absent (as KFP's setters do).
func child(m map[string]any, key string) map[string]any {
	if c, ok := m[key].(map[string]any); ok {
		return c
	}
	c := map[string]any{}
	m[key] = c
	return c
}

// anyString renders a parameter value the way Argo's AnyString does (numbers and booleans
// become their text).
func anyString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func expandMacros(v string) string {
	return strings.ReplaceAll(v, "[[RunUUID]]", sampleRunID)
}
