"""A step killed for memory is retried with more: the template's `podSpecPatch` raises the main
container's memory limit (and request) with Argo's `{{retries}}`, up to a stated cap, and the
step learns through the downward API what it had, so each attempt is recorded with it."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from headrace.compiler.options import CompileOptions
from headrace.compiler.quantity import format_bytes, parse_quantity
from headrace.errors import DefinitionError

# What the launcher reads (headrace.launcher.attempts; a test keeps them equal): the container's
# memory limit in bytes (downward API, so it is the patched one), Argo's 0-based retry number,
# and the exit code of the attempt before (Argo's `lastRetry.exitCode`, "0" on the first).
MEMORY_LIMIT_ENV = "HEADRACE_MEMORY_LIMIT"
ATTEMPT_ENV = "HEADRACE_ATTEMPT"
LAST_EXIT_CODE_ENV = "HEADRACE_LAST_EXIT_CODE"


def memory_ladder(
    request: str, limit: str, options: CompileOptions, where: str
) -> list[tuple[str, str]]:
    """(request, limit) of each attempt, 0 to `retry_limit`: attempt n has the declared ones
    times factor^n, the limit capped, the request never above that attempt's limit."""
    declared = parse_quantity(limit)
    cap = memory_cap(options, declared, where)
    factor = Decimal(str(options.memory_retry_factor))
    base_request = parse_quantity(request)
    ladder = []
    for n in range(options.retry_limit + 1):
        grown = min(declared * factor**n, cap) if n else declared
        asked = min(base_request * factor**n, grown) if n else base_request
        ladder.append((request if n == 0 else format_bytes(asked),
                       limit if n == 0 else format_bytes(grown)))
    return ladder


def memory_cap(options: CompileOptions, declared: Decimal, where: str) -> Decimal:
    """The most memory any retry of a step whose declared limit is `declared` may get."""
    cap = options.memory_retry_cap
    if cap.endswith("x"):
        return declared * Decimal(cap[:-1])
    value = parse_quantity(cap, "--memory-retry-cap")
    if value < declared:
        raise DefinitionError(
            f"{where}: --memory-retry-cap={cap} (memory_retry_cap) is below the step's "
            f"declared memory limit {format_bytes(declared)}; a retry would get less memory "
            f"than the attempt that failed. Raise the cap (e.g. --memory-retry-cap="
            f"{format_bytes(declared * 4)}), give it as a multiple (--memory-retry-cap=4x), or "
            f"lower the node's Resources(memory_limit=...)."
        )
    return value


def pod_spec_patch(ladder: list[tuple[str, str]]) -> str | None:
    """The template's `podSpecPatch`: attempt `{{retries}}` gets its rung of the ladder. None
    when no retry gets a higher limit (a cap of 1x, or no retries)."""
    if len({limit for _, limit in ladder}) < 2:
        return None

    def pick(values: list[str]) -> str:
        # An expression tag (Argo 3.1+) indexing a list by the retry number; single quotes, as
        # the template is JSON when Argo substitutes it. Argo's own tests patch memory this way.
        return "{{=[" + ",".join(f"'{v}'" for v in values) + "][sprig.int(retries)]}}"

    resources = {
        "limits": {"memory": pick([limit for _, limit in ladder])},
        "requests": {"memory": pick([request for request, _ in ladder])},
    }
    return json.dumps({"containers": [{"name": "main", "resources": resources}]},
                      separators=(",", ":"))


def attempt_env(retries: bool) -> list[dict[str, Any]]:
    """Env of a step's main container that tells the launcher what this attempt had."""
    env: list[dict[str, Any]] = [{
        "name": MEMORY_LIMIT_ENV,
        "valueFrom": {"resourceFieldRef": {"containerName": "main", "resource": "limits.memory"}},
    }]
    if retries:  # Argo binds these only in a template with a retryStrategy
        env += [{"name": ATTEMPT_ENV, "value": "{{retries}}"},
                {"name": LAST_EXIT_CODE_ENV, "value": "{{lastRetry.exitCode}}"}]
    return env
