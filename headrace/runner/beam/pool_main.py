"""`python -m headrace.runner.beam.pool_main --port P --workers processes|threads`: Beam's SDK
worker pool service, with the choice Beam's own `worker_pool_main` does not offer on its command
line.

`processes` (Beam's `worker_pool_main`, the compiled workflow's sidecar): every SDK worker is a
fresh `python`, which imports Beam, TFX libraries and TensorFlow again (tens of seconds on a busy
2-core machine) for every job, and runs on its own core. `threads`: workers are threads of this
one process, so those imports happen once for all the jobs of a run; the GIL then limits a job's
Python work to about one core.
"""

from __future__ import annotations

import argparse
import logging


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", choices=("processes", "threads"), default="processes")
    args = parser.parse_args(argv)
    # Beam's own service class: only how workers start differs between the two modes.
    from apache_beam.runners.worker.worker_pool_main import BeamFnExternalWorkerPoolServicer

    logging.basicConfig(level=logging.INFO)
    address, server = BeamFnExternalWorkerPoolServicer.start(
        use_process=args.workers == "processes", port=args.port
    )
    logging.info("Beam SDK worker pool (%s) listening at %s", args.workers, address)
    server.wait_for_termination()


if __name__ == "__main__":
    main()
