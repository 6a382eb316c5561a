"""The output directory: TFX's shard layout, written in a staging directory and renamed.

Everything is written under a hidden sibling `.<name>.staging-<id>` and renamed to the output
directory in one step at the end, so the output directory either holds a complete result or
does not exist; a failed run removes its staging directory, and a killed run leaves only that
hidden directory, which nothing mistakes for a result.
"""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass

from headrace.components.example_gen.errors import ExampleGenError

SUMMARY_FILE = ".example_gen_summary.json"


def split_dir(root: str, split: str) -> str:
    return os.path.join(root, f"Split-{split}")


def shard_path(root: str, split: str, index: int, count: int) -> str:
    return os.path.join(split_dir(root, split), f"data_tfrecord-{index:05d}-of-{count:05d}.gz")


@dataclass(frozen=True, kw_only=True)
class StagedOutput:
    output_dir: str
    staging_dir: str

    @classmethod
    def create(cls, output_dir: str) -> StagedOutput:
        output_dir = os.path.abspath(output_dir)
        if os.path.exists(output_dir) and (not os.path.isdir(output_dir) or os.listdir(output_dir)):
            raise ExampleGenError(
                f"output directory {output_dir} already exists and is not empty; ExampleGen"
                " writes only into a new or empty directory (use a fresh output URI)"
            )
        parent, name = os.path.split(output_dir)
        os.makedirs(parent, exist_ok=True)
        staging = os.path.join(parent, f".{name}.staging-{uuid.uuid4().hex[:12]}")
        os.makedirs(staging)
        return cls(output_dir=output_dir, staging_dir=staging)

    def commit(self) -> None:
        summary = os.path.join(self.staging_dir, SUMMARY_FILE)
        if os.path.exists(summary):
            os.remove(summary)
        if os.path.isdir(self.output_dir):
            os.rmdir(self.output_dir)  # empty, checked at creation
        os.rename(self.staging_dir, self.output_dir)

    def discard(self) -> None:
        shutil.rmtree(self.staging_dir, ignore_errors=True)
