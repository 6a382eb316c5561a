"""The Flink and Spark job servers Headrace runs: Maven coordinates, main class, JVM flags.

Maven Central (as these machines reach it) serves Beam's runner artifacts only for some releases
and none of the shaded `-job-server` jars, and no 2.61 runner at all: 2.62.0 is the nearest to the
Python SDK the project locks (2.61.0). The job server talks to the 2.61 SDK workers through the
portable Fn API, which is versioned by its protos, and every Headrace Beam job was run on it
(tests/runner/test_beam_engines.py); `check_sdk` refuses pairs further apart than that.
"""

from __future__ import annotations

from dataclasses import dataclass

BEAM_RUNNER_VERSION = "2.62.0"
FLINK_VERSION = "1.19.0"  # what beam-runners-flink-1.19:2.62.0 depends on
SPARK_VERSION = "3.5.0"  # Beam 2.62's Spark 3 runner is built against 3.5.0 (provided scope)
# Beam releases whose job servers have run Headrace's jobs with this SDK (see module docstring).
COMPATIBLE_SDKS = ("2.61", "2.62")
_SLF4J = "org.slf4j:slf4j-simple:1.7.30"  # the runners' slf4j-api is 1.7: its binding, for logs

# Spark 3.5 on Java 17 reaches JDK internals; spark-submit adds these opens (Spark's
# JavaModuleOptions); a job server started with plain `java` must add them itself.
_SPARK_OPENS = tuple(
    f"--add-opens=java.base/{package}=ALL-UNNAMED"
    for package in (
        "java.lang",
        "java.lang.invoke",
        "java.lang.reflect",
        "java.io",
        "java.net",
        "java.nio",
        "java.util",
        "java.util.concurrent",
        "java.util.concurrent.atomic",
        "sun.nio.ch",
        "sun.nio.cs",
        "sun.security.action",
        "sun.util.calendar",
    )
)


@dataclass(frozen=True, kw_only=True)
class Engine:
    """One job server: what Maven resolves for it and how it is started."""

    name: str
    engine_version: str
    artifacts: tuple[str, ...]  # group:artifact:version, resolved with their dependencies
    # A jar that must be on the resolved classpath (engine-runner version pairing).
    engine_jar: str
    main_class: str
    jvm_options: tuple[str, ...] = ()

    @property
    def beam_version(self) -> str:
        return BEAM_RUNNER_VERSION

    def describe(self) -> str:
        return f"Beam {self.beam_version} {self.name} runner on {self.name} {self.engine_version}"

    def server_args(self, *, port: int, workers: int, conf_dir: str) -> list[str]:
        """Arguments of the job server's main class: the job service on localhost:`port`,
        its artifact and expansion services on free ports, the engine with `workers` slots."""
        common = [
            "--job-host=localhost",
            f"--job-port={port}",
            "--artifact-port=0",
            "--expansion-port=0",
        ]
        if self.name == "flink":
            # [local]: Flink's embedded mini-cluster, in the job server's JVM; its slots and
            # default parallelism come from the flink-conf.yaml written into conf_dir.
            return [*common, "--flink-master=[local]", f"--flink-conf-dir={conf_dir}"]
        return [*common, f"--spark-master-url=local[{workers}]"]

    def config_files(self, workers: int) -> dict[str, str]:
        """Files the engine reads from its configuration directory."""
        if self.name != "flink":
            return {}
        return {
            "flink-conf.yaml": (
                f"parallelism.default: {workers}\n"
                f"taskmanager.numberOfTaskSlots: {workers}\n"
                # The mini-cluster's managed memory default (128m) is too small for two slots'
                # sorts of a million rows.
                "taskmanager.memory.managed.size: 512m\n"
                # Everything of the mini-cluster listens on loopback only.
                "jobmanager.bind-host: localhost\n"
                "taskmanager.bind-host: localhost\n"
                "taskmanager.host: localhost\n"
                "rest.bind-address: localhost\n"
            )
        }


FLINK = Engine(
    name="flink",
    engine_version=FLINK_VERSION,
    artifacts=(f"org.apache.beam:beam-runners-flink-1.19:{BEAM_RUNNER_VERSION}", _SLF4J),
    engine_jar=f"flink-runtime-{FLINK_VERSION}.jar",
    main_class="org.apache.beam.runners.flink.FlinkJobServerDriver",
)
SPARK = Engine(
    name="spark",
    engine_version=SPARK_VERSION,
    artifacts=(
        f"org.apache.beam:beam-runners-spark-3:{BEAM_RUNNER_VERSION}",
        f"org.apache.spark:spark-core_2.12:{SPARK_VERSION}",
        f"org.apache.spark:spark-streaming_2.12:{SPARK_VERSION}",
        _SLF4J,
    ),
    engine_jar=f"spark-core_2.12-{SPARK_VERSION}.jar",
    main_class="org.apache.beam.runners.spark.SparkJobServerDriver",
    jvm_options=("-XX:+IgnoreUnrecognizedVMOptions", *_SPARK_OPENS),
)
ENGINES = {engine.name: engine for engine in (FLINK, SPARK)}


def check_sdk(sdk_version: str) -> str | None:
    """None if SDK workers of `sdk_version` are known to work with these job servers, else
    what is wrong and what to do."""
    if ".".join(sdk_version.split(".")[:2]) in COMPATIBLE_SDKS:
        return None
    return (
        f"the Beam SDK here is {sdk_version} but the job servers are Beam "
        f"{BEAM_RUNNER_VERSION}, which has run Headrace's jobs only with SDKs "
        f"{', '.join(COMPATIBLE_SDKS)}; install apache-beam {COMPATIBLE_SDKS[0]}.x (uv sync "
        f"--frozen) or change BEAM_RUNNER_VERSION in headrace/runner/beam/engines.py"
    )
