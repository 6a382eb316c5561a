# Argo's executor image for scripts/local-cluster.sh: argoexec built from Argo's Go module
# (tools/cluster/argo, static), on the local Debian base `headrace image base` makes. Argo's
# init container copies /bin/argoexec into each step's pod; its `wait` sidecar reports results.
# Context: a folder holding the built `argoexec` binary. The base is a build argument.
ARG BASE_IMAGE=headrace-base/python:3.11-bookworm
FROM ${BASE_IMAGE}
COPY argoexec /bin/argoexec
ENTRYPOINT ["/bin/argoexec"]
