//go:build tools

// The commands scripts/local-cluster.sh builds; this file only pins them in go.mod and go.sum.
package tools

import (
	_ "github.com/argoproj/argo-workflows/v3/cmd/argoexec"
	_ "github.com/argoproj/argo-workflows/v3/cmd/workflow-controller"
)
