// Command conformance-kfpv2 checks a KFP v2 pipeline spec (the IR YAML kfp.compiler writes) the
// way Kubeflow Pipelines' API server parses an upload: KFP's own PipelineSpec protos, strictly.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"

	"github.com/kubeflow/pipelines/api/v2alpha1/go/pipelinespec"
	"google.golang.org/protobuf/encoding/protojson"
	goyaml "gopkg.in/yaml.v3"

	"headrace/tools/conformance/common"
)

// The newest github.com/kubeflow/pipelines/api the Go module proxy serves (KFP's 2.4/2.5 era);
// the protos KFP 2.17 builds from (its ./api) are not served, nor is KFP's root module.
const protoVersion = "kubeflow/pipelines/api v0.0.0-20250102152816-873e9dedd766"

// KFP's pattern, unanchored as KFP applies it (regexp.MatchString), so it is as lax as KFP.
var pipelineName = regexp.MustCompile(`[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*`)

// parseV2 follows the steps of KFP's NewV2SpecTemplate (backend/src/apiserver/template,
// read at KFP 2.17; Headrace's own code, as KFP's Go module is not served): every YAML document
// is decoded, the one that is a PipelineSpec is parsed with protojson (unknown fields are an
// error) and its schema version, name and root checked; a document with platforms.kubernetes
// is parsed as the PlatformSpec.
func parseV2(data []byte) (*pipelinespec.PipelineSpec, error) {
	var spec *pipelinespec.PipelineSpec
	var platform *pipelinespec.PlatformSpec
	dec := goyaml.NewDecoder(bytes.NewReader(data))
	for {
		var value map[string]any
		err := dec.Decode(&value)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("pipeline spec is invalid: unable to decode yaml document: %v", err)
		}
		if value == nil {
			continue
		}
		jsonData, err := json.Marshal(value)
		if err != nil {
			return nil, fmt.Errorf("pipeline spec is invalid: cannot convert v2 pipeline spec to json format: %v", err)
		}
		if _, isPlatform := value["platforms"]; isPlatform && spec != nil {
			if platform != nil {
				return nil, fmt.Errorf("platform spec is invalid: multiple platform specs provided")
			}
			platform = &pipelinespec.PlatformSpec{}
			if err := protojson.Unmarshal(jsonData, platform); err != nil {
				return nil, fmt.Errorf("platform spec is invalid: cannot unmarshal platform specific configs: %v", err)
			}
			continue
		}
		if spec != nil {
			return nil, fmt.Errorf("pipeline spec is invalid: multiple pipeline specs provided")
		}
		spec = &pipelinespec.PipelineSpec{}
		if err := protojson.Unmarshal(jsonData, spec); err != nil {
			return nil, fmt.Errorf("pipeline spec is invalid: invalid v2 pipeline spec: %v", err)
		}
		if spec.GetSchemaVersion() != "2.1.0" {
			return nil, fmt.Errorf("pipeline spec is invalid: KFP only supports schema version 2.1.0, but the pipeline spec has version %s", spec.GetSchemaVersion())
		}
		if spec.GetPipelineInfo().GetName() == "" {
			return nil, fmt.Errorf("pipeline spec is invalid: invalid v2 pipeline spec: name is empty")
		}
		if !pipelineName.MatchString(spec.GetPipelineInfo().GetName()) {
			return nil, fmt.Errorf("pipeline spec is invalid: invalid v2 pipeline spec: name should consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character")
		}
		if spec.GetRoot() == nil {
			return nil, fmt.Errorf("pipeline spec is invalid: invalid v2 pipeline spec: root component is empty")
		}
	}
	if spec == nil {
		return nil, fmt.Errorf("pipeline spec is invalid: no pipeline spec is provided")
	}
	return spec, nil
}

func check(path string, data []byte, _ map[string]string, _ string) common.FileReport {
	fr := common.FileReport{Path: path}
	_, err := parseV2(data)
	c := common.Check{Check: "kfp-v2-upload", OK: err == nil,
		By: "KFP upload (template.New: a V2 template, PipelineSpec protos of " + protoVersion + ")"}
	if err != nil {
		c.Message = err.Error()
	}
	fr.Checks = append(fr.Checks, c)
	fr.Checks = append(fr.Checks, common.Check{Check: "kfp-v2-argo-compile", OK: true,
		By: "KFP v2 Argo compiler (backend/src/v2/compiler/argocompiler)",
		Skipped: "KFP's backend Go module (github.com/kubeflow/pipelines) is not served by the " +
			"Go module proxy, so its v2 compiler cannot be linked in"})
	return fr
}

func main() { common.MainWith("conformance-kfpv2", "", []string{"2.x upload"}, check) }
