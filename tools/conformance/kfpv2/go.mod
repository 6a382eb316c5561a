module headrace/tools/conformance/kfpv2

go 1.26.8

require (
	google.golang.org/protobuf v1.27.1
	gopkg.in/yaml.v3 v3.0.1
	headrace/tools/conformance/common v0.0.0
)

require (
	github.com/kr/text v0.2.0 // indirect
	github.com/niemeyer/pretty v0.0.0-20200227124842-a10e7caefd8e // indirect
	gopkg.in/check.v1 v1.0.0-20200227125254-8fa46927fb4f // indirect
)

require (
	github.com/kubeflow/pipelines/api v0.0.0-20250102152816-873e9dedd766
	google.golang.org/genproto v0.0.0-20211026145609-4688e4c4e024 // indirect
)

replace headrace/tools/conformance/common => ../common
