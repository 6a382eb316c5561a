"""The container entrypoint: one node of a serialized IR, through launch()."""
