"""HTML views of artifacts: one self-contained page per artifact type, shared by the launcher's
run summaries, the interactive context and the run report."""
