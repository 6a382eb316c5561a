module headrace/tools/conformance/kfpv2

go 1.26.8

require (
	google.golang.org/protobuf v1.27.1
	gopkg.in/yaml.v3 v3.0.1
	headrace/tools/conformance/common v0.0.0
)

require (
	github.com/kubeflow/pipelines/api v0.0.0-20250102152816-873e9dedd766
	google.golang.org/genproto v0.0.0-20211026145609-4688e4c4e024 // indirect
	gopkg.in/yaml.v2 v2.4.0 // indirect
	sigs.k8s.io/yaml v1.3.0 // indirect
)

replace headrace/tools/conformance/common => ../common
