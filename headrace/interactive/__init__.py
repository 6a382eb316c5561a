"""InteractiveContext: run one component at a time (in a notebook) and look at its artifacts."""
