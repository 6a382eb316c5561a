"""Process exit codes of a node run; they tell Argo's retryStrategy whether a retry can help."""

from __future__ import annotations

OK = 0
# The pipeline definition or the user's component code failed: the same inputs fail again.
USER_ERROR = 10
# Infrastructure trouble (metadata store unreachable, I/O, a lost connection): a retry may help.
INFRA_ERROR = 20
# Killed by the kernel (OOM: 128 + SIGKILL) or stopped (128 + SIGTERM): worth another try.
KILLED = 137
TERMINATED = 143

RETRYABLE: tuple[int, ...] = (INFRA_ERROR, KILLED, TERMINATED)
