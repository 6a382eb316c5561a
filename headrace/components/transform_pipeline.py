"""The Beam pipeline of Transform: TFT analysis over the analyze splits, then each split
transformed and written as gzipped tf.Example TFRecords.

Imports Beam, TFT and tfx_bsl at module import: only the Transform executor imports it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import apache_beam as beam
import tensorflow_transform.beam as tft_beam
from tensorflow_transform.tf_metadata import dataset_metadata, metadata_io
from tfx_bsl.public import tfxio

from headrace.components.beam import beam_pipeline
from headrace.components.record_batches import ReadRecordBatches, WriteExampleShards, match_files

# TFT's TFTransformOutput reads the raw schema from here (its RAW_METADATA_DIR).
RAW_METADATA_DIR = "metadata"
TRANSFORMED_EXAMPLES_PREFIX = "transformed_examples"


def run_transform(
    *,
    split_dirs: dict[str, str],
    raw_schema: Any,
    preprocessing_fn: Callable[..., Any],
    analyze: list[str],
    transform: list[str],
    graph_uri: str,
    examples_uri: str,
    force_tf_compat_v1: bool,
    beam_args: tuple[str, ...],
    temp_dir: str,
) -> None:
    """Analyse `analyze`, write the TransformGraph to `graph_uri`, transform `transform`."""

    # One schema, so one tensor adapter config for every split.
    adapter_config = tfxio.TFExampleRecord(
        file_pattern=[os.path.join(split_dirs[analyze[0]], "*")],
        schema=raw_schema,
        telemetry_descriptors=["Transform"],
    ).TensorAdapterConfig()
    with (
        beam_pipeline(beam_args) as p,
        tft_beam.Context(temp_dir=temp_dir, force_tf_compat_v1=force_tf_compat_v1),
    ):
        # Each split is read once, even when it is both analysed and transformed.
        raw = {
            s: p | f"Read[{s}]" >> ReadRecordBatches(_files(split_dirs[s]), raw_schema)
            for s in dict.fromkeys(analyze + transform)
        }
        analyze_data = (
            raw[analyze[0]]
            if len(analyze) == 1
            else [raw[s] for s in analyze] | "FlattenAnalyzeSplits" >> beam.Flatten()
        )
        transform_fn = (analyze_data, adapter_config) | "Analyze" >> tft_beam.AnalyzeDataset(
            preprocessing_fn
        )
        _ = transform_fn | "WriteTransformFn" >> tft_beam.WriteTransformFn(graph_uri)
        for split in transform:
            transformed, _ = ((raw[split], adapter_config), transform_fn) | (
                f"Transform[{split}]" >> tft_beam.TransformDataset(output_record_batches=True)
            )
            directory = os.path.join(examples_uri, f"Split-{split}")
            _ = transformed | f"Write[{split}]" >> WriteExampleShards(
                directory, TRANSFORMED_EXAMPLES_PREFIX
            )
    # The raw schema next to the transform, where TFTransformOutput.raw_feature_spec() (and so
    # module files' serving functions) read it.
    metadata_io.write_metadata(
        dataset_metadata.DatasetMetadata(raw_schema), os.path.join(graph_uri, RAW_METADATA_DIR)
    )
    for split in transform:  # a split without rows still gets its (empty) directory
        os.makedirs(os.path.join(examples_uri, f"Split-{split}"), exist_ok=True)


def _files(directory: str) -> list[str]:
    return match_files([os.path.join(directory, "*")])
