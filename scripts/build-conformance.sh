#!/usr/bin/env bash
# Builds the conformance tools of tools/conformance into tools/conformance/bin/: small Go programs
# that link Argo's own workflow/validate package (one per Argo version) and KFP's PipelineSpec
# protos, all pinned by each module's go.mod and go.sum and fetched from the Go module proxy.
# Usage: scripts/build-conformance.sh [TOOL...]   (default: all of them)
# Go's default caches (~/go/pkg/mod, ~/.cache/go-build) make a second build take seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
[ -x "$GO" ] || command -v "$GO" >/dev/null || { echo "Go is not installed (looked for go on PATH and /usr/local/go/bin/go)" >&2; exit 1; }
ALL=(argo34 argo35 argo37 argo40 kfpv2)
tools=("$@")
[ ${#tools[@]} -gt 0 ] || tools=("${ALL[@]}")
mkdir -p tools/conformance/bin
for tool in "${tools[@]}"; do
  [ -f "tools/conformance/$tool/go.mod" ] || { echo "no tool $tool (have: ${ALL[*]})" >&2; exit 1; }
  start=$SECONDS
  # -mod=readonly: build exactly what go.sum pins, never resolve anything anew.
  (cd "tools/conformance/$tool" && "$GO" build -mod=readonly -o "../bin/conformance-$tool" .)
  echo "built tools/conformance/bin/conformance-$tool ($((SECONDS - start)) s)"
done
