"""A job server's classpath: resolved once by Maven (`dependency:build-classpath`) into Maven's
local repository, then read from a small cache file, so later starts need no network and no mvn.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from headrace.errors import BeamServerError
from headrace.runner.beam.engines import Engine

# Where `headrace beam serve` keeps classpaths, configuration and logs.
CACHE_ENV = "HEADRACE_BEAM_CACHE"
# Maven's local repository (default ~/.m2/repository): the jar cache itself.
MAVEN_REPO_ENV = "HEADRACE_MAVEN_REPO"


def cache_dir() -> Path:
    default = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "headrace" / "beam"
    return Path(os.environ.get(CACHE_ENV) or default)


def _pom(engine: Engine) -> str:
    deps = []
    for coordinates in engine.artifacts:
        group, artifact, version = coordinates.split(":")
        deps.append(
            f"    <dependency><groupId>{group}</groupId><artifactId>{artifact}</artifactId>"
            f"<version>{version}</version></dependency>"
        )
    return (
        '<project xmlns="http://maven.apache.org/POM/4.0.0">\n'
        "  <modelVersion>4.0.0</modelVersion>\n"
        f"  <groupId>headrace</groupId><artifactId>{engine.name}-job-server</artifactId>"
        "<version>1</version>\n"
        "  <dependencies>\n" + "\n".join(deps) + "\n  </dependencies>\n</project>\n"
    )


def _key(engine: Engine, repo: str | None) -> str:
    text = "\n".join([*engine.artifacts, engine.main_class, repo or ""])
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def classpath(engine: Engine, log: Callable[[str], None] = print) -> list[str]:
    """The jars of `engine`'s job server, fetched by Maven the first time."""
    repo = os.environ.get(MAVEN_REPO_ENV)
    work = cache_dir() / f"{engine.name}-{_key(engine, repo)}"
    listing = work / "classpath.txt"
    if listing.exists():
        jars = listing.read_text().strip().split(os.pathsep)
        if all(os.path.exists(jar) for jar in jars):
            return _checked(engine, jars, listing)
    mvn = shutil.which("mvn")
    if mvn is None:
        raise BeamServerError(
            f"The {engine.name} job server's jars are not cached yet and Maven (mvn) is not on "
            f"PATH to fetch them; install it (apt-get install maven) and try again."
        )
    work.mkdir(parents=True, exist_ok=True)
    (work / "pom.xml").write_text(_pom(engine))
    log(
        f"Fetching the {engine.describe()} jars with Maven (once; cached in "
        f"{repo or '~/.m2/repository'})..."
    )
    command = [
        mvn,
        "-B",
        "-q",
        "-f",
        str(work / "pom.xml"),
        "dependency:build-classpath",
        f"-Dmdep.outputFile={listing}",
        # Hundreds of jars: more parallel downloads than Maven's default 5.
        "-Dmaven.artifact.threads=10",
    ]
    if repo:
        command.append(f"-Dmaven.repo.local={repo}")
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0 or not listing.exists():
        listing.unlink(missing_ok=True)
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise BeamServerError(
            f"Maven could not fetch the {engine.describe()} jars "
            f"({', '.join(engine.artifacts)}); pom: {work / 'pom.xml'}. Maven said:\n{tail}"
        )
    return _checked(engine, listing.read_text().strip().split(os.pathsep), listing)


def _checked(engine: Engine, jars: list[str], listing: Path) -> list[str]:
    """Refuse a classpath whose engine is not the one the runner was built for: a runner for
    Flink 1.19 on other Flink jars fails at the first job with a NoSuchMethodError."""
    names = {os.path.basename(jar) for jar in jars}
    if engine.engine_jar not in names:
        found = sorted(n for n in names if n.startswith(engine.engine_jar.split("-")[0]))
        raise BeamServerError(
            f"The {engine.name} job server's classpath ({listing}) lacks {engine.engine_jar}, "
            f"the {engine.name} {engine.engine_version} that Beam's {engine.name} runner "
            f"{engine.beam_version} is built for (found: {', '.join(found) or 'none'}); a "
            f"runner and an engine of different versions fail at the first job. Delete "
            f"{listing.parent} to resolve it again."
        )
    return jars
