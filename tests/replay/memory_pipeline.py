"""A user's pipeline whose one step needs more memory than it declares: it holds `megabytes`
(384 by default: 1.5x its 256Mi limit), so its first attempt is killed for memory and a retry
with the compiler's doubled limit completes. With HEADRACE_SIMULATE_OOM=1 (steps run as
processes, which have no cgroup limit) it kills itself as the kernel would, when its memory
limit (HEADRACE_MEMORY_LIMIT, the downward API's) is below what it needs."""

import json
import os
import signal

from headrace import Output, Parameter, Pipeline, component
from headrace.types import Model


@component
def hungry(model: Output[Model], megabytes: Parameter[int] = 384):
    """Hold `megabytes` of memory (every page written), then record how much that was."""
    need = megabytes * 2**20
    limit = int(os.environ.get("HEADRACE_MEMORY_LIMIT") or 0)
    if os.environ.get("HEADRACE_SIMULATE_OOM") == "1" and limit and limit < need:
        os.kill(os.getpid(), signal.SIGKILL)  # the kernel's OOM killer, for a process
    held = b"\xff" * need
    os.makedirs(model.uri, exist_ok=True)
    with open(os.path.join(model.uri, "held.json"), "w") as f:
        json.dump({"megabytes": len(held) // 2**20, "limit": limit}, f)
    model.properties["megabytes"] = len(held) // 2**20


def create_pipeline():
    step = hungry().with_resources(cpu="500m", memory="256Mi")
    return Pipeline(name="hungry", components=[step])
