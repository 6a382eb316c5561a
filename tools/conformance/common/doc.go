// Package common runs the Argo and Kubeflow Pipelines checks on Headrace's compiled YAML and
// prints one JSON report; each per-version module (argo34, argo35, ...) only supplies the
// Argo version's own parsing and validation through the Engine interface.
package common
