# The pod sandbox image of scripts/local-cluster.sh: one static program (tools/cluster/pause).
# Context: a folder holding the built `pause` binary.
FROM scratch
COPY pause /pause
USER 65535:65535
ENTRYPOINT ["/pause"]
