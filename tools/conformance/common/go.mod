module headrace/tools/conformance/common

go 1.21

require sigs.k8s.io/yaml v1.3.0

require k8s.io/apimachinery v0.24.3
