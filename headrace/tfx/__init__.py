"""Headrace's TFX-API layer: what `import tfx` gives when TFX itself is not installed.

`from tfx import v1 as tfx` (and the older module paths TFX examples import, such as
`tfx.components`, `tfx.proto.trainer_pb2`, `tfx.orchestration.kubeflow.kubeflow_dag_runner`,
`tfx.dsl.components.base.base_component`) reach these modules through `_headrace_tfx_finder`,
which `headrace-tfx.pth` installs at interpreter start and which always lets a real TFX win.
`from headrace.tfx import v1 as tfx` uses this layer explicitly, TFX installed or not.

Everything maps onto Headrace's own DSL, components, runner and compiler; a TFX name this layer
does not provide fails at import or construction with one line (headrace.tfx.unsupported).
"""

from headrace.tfx.unsupported import module_getattr

# TFX's release whose public API this layer follows (tfx/v1 of TFX 1.14/1.15).
__version__ = "1.15.0"


def install() -> bool:
    """Serve `import tfx` from this layer (the .pth does it at start-up); False, with a note on
    stderr, if a real TFX is installed and so is used instead."""
    import _headrace_tfx_finder

    return _headrace_tfx_finder.install(asked=True)


__getattr__ = module_getattr(
    "", ("v1", "components", "dsl", "orchestration", "proto", "types", "utils")
)
