"""`headrace beam serve flink|spark`: a real Beam job server on this machine, until Ctrl-C."""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType

import click

from headrace.errors import HeadraceError


@click.group()
def beam() -> None:
    """Beam job servers on this machine (Flink, Spark) for `headrace run --beam-runner`."""


@beam.command("serve")
@click.argument("engine", type=click.Choice(["flink", "spark"]))
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=8099,
    show_default=True,
    help="Port of the job service on localhost.",
)
@click.option(
    "--workers",
    type=click.IntRange(1),
    default=2,
    show_default=True,
    help="Task slots of Flink's mini-cluster / threads of Spark's local master.",
)
def serve(engine: str, port: int, workers: int) -> None:
    """Start Beam's job server for ENGINE on a real engine (Flink's embedded mini-cluster, Spark's
    local master), fetching its jars with Maven the first time (cached in ~/.m2, so later starts
    are offline). Prints the endpoint; stops, JVM included, on Ctrl-C or SIGTERM."""
    from headrace.runner.beam import JobServer

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    try:  # Ctrl-C while starting: KeyboardInterrupt stops the half-started JVM
        server = JobServer.start(
            engine, port=port, workers=workers, log=lambda line: click.echo(line, err=True)
        )
    except HeadraceError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_signal)
    try:
        click.echo(
            f"{server.engine.describe()} with {workers} workers: job endpoint {server.endpoint}"
        )
        click.echo(f"  log: {server.log}")
        click.echo(
            f"  headrace run PIPELINE --beam-runner {engine} --beam-job-endpoint {server.endpoint}"
        )
        click.echo("Ctrl-C stops it.", err=True)
        while not stop.wait(1.0):
            if not server.service.alive():
                click.echo(
                    f"error: the {engine} job server exited "
                    f"(code {server.service.process.returncode}); see {server.log}",
                    err=True,
                )
                sys.exit(1)
    finally:
        server.stop()
    click.echo(f"Stopped the {engine} job server at {server.endpoint}.", err=True)


@beam.command("fetch")
@click.argument("engines", nargs=-1, type=click.Choice(["flink", "spark"]))
def fetch(engines: tuple[str, ...]) -> None:
    """Fetch (with Maven, into ~/.m2) the jars of the job servers of ENGINES (default: both), so
    that `beam serve` starts offline; prints each classpath's size."""
    import os

    from headrace.runner.beam import ENGINES
    from headrace.runner.beam.jars import classpath

    for name in engines or tuple(ENGINES):
        try:
            jars = classpath(ENGINES[name], log=lambda line: click.echo(line, err=True))
        except HeadraceError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        size = sum(os.path.getsize(jar) for jar in jars)
        click.echo(f"{ENGINES[name].describe()}: {len(jars)} jars, {size / 2**20:.0f} MiB")
