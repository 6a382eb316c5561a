package argo

import (
	"encoding/json"
	"fmt"
	"runtime/debug"

	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metavalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

type objectMeta struct {
	Name         string            `json:"name"`
	GenerateName string            `json:"generateName"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
}

// KubernetesMetadata runs the Kubernetes API server's own ObjectMeta checks (apimachinery's
// validation) on the workflow's name, labels and annotations, and on those of spec.podMetadata
// and each template's metadata, which Argo copies onto every pod it creates: Argo's validation
// does not look at them, and the API server refuses the workflow or the pod.
func KubernetesMetadata(workflowJSON []byte) error {
	var wf struct {
		Metadata objectMeta `json:"metadata"`
		Spec     struct {
			PodMetadata *objectMeta `json:"podMetadata"`
			Templates   []struct {
				Name     string     `json:"name"`
				Metadata objectMeta `json:"metadata"`
			} `json:"templates"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(workflowJSON, &wf); err != nil {
		return err
	}
	var errs field.ErrorList
	meta := field.NewPath("metadata")
	if wf.Metadata.GenerateName != "" {
		for _, msg := range apivalidation.NameIsDNSSubdomain(wf.Metadata.GenerateName, true) {
			errs = append(errs, field.Invalid(meta.Child("generateName"), wf.Metadata.GenerateName, msg))
		}
	}
	if wf.Metadata.Name != "" {
		for _, msg := range apivalidation.NameIsDNSSubdomain(wf.Metadata.Name, false) {
			errs = append(errs, field.Invalid(meta.Child("name"), wf.Metadata.Name, msg))
		}
	}
	check := func(m objectMeta, path *field.Path) {
		errs = append(errs, metavalidation.ValidateLabels(m.Labels, path.Child("labels"))...)
		errs = append(errs, apivalidation.ValidateAnnotations(m.Annotations, path.Child("annotations"))...)
	}
	check(wf.Metadata, meta)
	if wf.Spec.PodMetadata != nil {
		check(*wf.Spec.PodMetadata, field.NewPath("spec", "podMetadata"))
	}
	for i, t := range wf.Spec.Templates {
		check(t.Metadata, field.NewPath("spec", "templates").Index(i).Child("metadata"))
	}
	if len(errs) > 0 {
		return errs.ToAggregate()
	}
	return nil
}

// ApimachineryVersion is the k8s.io/apimachinery version linked in (it varies per Argo version).
func ApimachineryVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == "k8s.io/apimachinery" {
				return dep.Version
			}
		}
	}
	return "unknown"
}

func kubernetesBy() string {
	return fmt.Sprintf("Kubernetes API server ObjectMeta validation (k8s.io/apimachinery %s)", ApimachineryVersion())
}
