"""The pipelines compiled to KFP v2 pipeline specs for the checks (tests, and the Go conformance
tool: `uv run python -m tests.compiler.kfp_cases OUT_DIR` writes one file per case)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from headrace.compiler import BeamOptions, CompileOptions
from headrace.compiler.kfp_v2 import compile_kfp
from headrace.ir import PipelineIR
from tests.compiler.cases import DIRECT_MINIMAL, FLINK_PVC_MYSQL, SPARK_STEP_GCS_GRPC
from tests.compiler.pipelines import chain, fan_out, penguin, word_count

# The Argo cases' options, less the workflow-only settings a v2 spec refuses.
_V2 = {
    "namespace": CompileOptions().namespace,
    "service_account": CompileOptions().service_account,
    "pod_gc": CompileOptions().pod_gc,
}
FLINK_V2 = FLINK_PVC_MYSQL.override(**_V2)
GCS_GRPC_V2 = SPARK_STEP_GCS_GRPC.override(
    **_V2,
    beam=BeamOptions(
        runner="spark", job_endpoint="spark-job-server:8099", nodes=("StatisticsGen",)
    ),
)
MINIMAL_V2 = DIRECT_MINIMAL.override(**_V2)

KFP_CASES: dict[str, Callable[[], tuple[PipelineIR, CompileOptions]]] = {
    "penguin-flink-pvc-mysql": lambda: (penguin(), FLINK_V2),
    "penguin-spark-gcs-grpc": lambda: (penguin(), GCS_GRPC_V2),
    "word-count-direct": lambda: (word_count(), MINIMAL_V2),
    "chain-50": lambda: (chain(50), FLINK_V2.override(beam=BeamOptions())),
    "fan-out-150": lambda: (fan_out(150), GCS_GRPC_V2.override(beam=BeamOptions())),
}


def write_kfp_cases(directory: str | Path) -> list[Path]:
    """Compile every case into `directory` as `<case>.kfp.yaml`; the same bytes every time."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, make in sorted(KFP_CASES.items()):
        ir, options = make()
        path = out / f"{name}.kfp.yaml"
        path.write_text(compile_kfp(ir, options).yaml)
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_kfp_cases(sys.argv[1] if len(sys.argv) > 1 else "kfp-cases"):
        print(path)
