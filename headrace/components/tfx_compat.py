"""TFX names in user module files (`from tfx.components.trainer.fn_args_utils import FnArgs`,
`from tfx import v1 as tfx`), served when TFX itself is not installed.

`headrace-tfx.pth` installs the finder at interpreter start (see `_headrace_tfx_finder`); this
installs it again before a module file is loaded, for interpreters that did not process the .pth
(an embedded one, `python -S`). With TFX installed nothing is installed and the real modules
are used. The names themselves live in headrace.tfx (TFX's public API over Headrace).
"""

from __future__ import annotations


def install() -> None:
    """Serve `tfx` from Headrace's TFX layer unless TFX is installed (idempotent)."""
    import _headrace_tfx_finder

    _headrace_tfx_finder.install()
