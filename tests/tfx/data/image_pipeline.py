"""A TFX pipeline file with TFX's two custom-component patterns, as TFX users wrote them:

- the "inherit" pattern for a new data source: FileBasedExampleGen with a custom executor whose
  GetInputSourceToExamplePTransform returns a Beam ptransform_fn (PNG files -> tf.Examples);
- a BaseComponent subclass with SPEC_CLASS, EXECUTOR_SPEC (its executor's Do runs) and a
  DRIVER_CLASS whose resolve_exec_properties adds an exec property.

Used by tests/tfx/test_custom_components.py; ROOT and DATA come from the environment.
"""

import json
import os
from typing import Any, Dict  # noqa: UP035 (written as TFX users write it)

import apache_beam as beam
import tensorflow as tf
from tfx import v1 as tfx
from tfx.components.example_gen.base_example_gen_executor import BaseExampleGenExecutor
from tfx.dsl.components.base import base_component, base_driver, base_executor, executor_spec
from tfx.dsl.io import fileio
from tfx.types import artifact_utils, standard_artifacts
from tfx.types.component_spec import ChannelParameter, ExecutionParameter


def _image_to_example(path: str) -> tf.train.Example:
    with open(path, "rb") as f:
        raw = f.read()
    label = os.path.basename(os.path.dirname(path)).encode()
    return tf.train.Example(features=tf.train.Features(feature={
        "image_raw": tf.train.Feature(bytes_list=tf.train.BytesList(value=[raw])),
        "label": tf.train.Feature(bytes_list=tf.train.BytesList(value=[label])),
    }))


@beam.ptransform_fn
def ImageToExample(pipeline, exec_properties, split_pattern):
    pattern = os.path.join(exec_properties["input_base"], split_pattern)
    return (pipeline
            | "Files" >> beam.Create(sorted(tf.io.gfile.glob(pattern)))
            | "ToExample" >> beam.Map(_image_to_example))


class ImageExampleGenExecutor(BaseExampleGenExecutor):
    def GetInputSourceToExamplePTransform(self):
        return ImageToExample


class ImageCountSpec(tfx.types.ComponentSpec):
    PARAMETERS = {
        "min_bytes": ExecutionParameter(type=int),
        "labels": ExecutionParameter(type=Dict[str, Any], optional=True),  # noqa: UP006
        "splits": ExecutionParameter(type=tfx.proto.SplitsConfig, optional=True),
    }
    INPUTS = {"examples": ChannelParameter(type=standard_artifacts.Examples)}
    OUTPUTS = {"report": ChannelParameter(type=standard_artifacts.ExampleStatistics)}


class ImageCountExecutor(base_executor.BaseExecutor):
    def Do(self, input_dict, output_dict, exec_properties):
        examples = artifact_utils.get_single_instance(input_dict["examples"])
        report = artifact_utils.get_single_instance(output_dict["report"])
        labels = json.loads(exec_properties["labels"])
        splits = json.loads(exec_properties["splits"])["analyze"]
        counts = {}
        for split in artifact_utils.decode_split_names(examples.split_names):
            if split not in splits:
                continue
            files = fileio.glob(os.path.join(artifact_utils.get_split_uri([examples], split), "*"))
            per_label = dict.fromkeys(labels, 0)
            for record in tf.data.TFRecordDataset(files, compression_type="GZIP"):
                example = tf.train.Example.FromString(record.numpy())
                feature = example.features.feature
                assert len(feature["image_raw"].bytes_list.value[0]) >= exec_properties["min_bytes"]
                per_label[feature["label"].bytes_list.value[0].decode()] += 1
            counts[split] = per_label
        with fileio.open(os.path.join(report.uri, "counts.json"), "w") as f:
            json.dump(counts, f)
        report.split_names = artifact_utils.encode_split_names(sorted(counts))
        report.set_string_custom_property("note", exec_properties["note"])
        report.set_int_custom_property("context_id", int(self._context.unique_id))


class NoteDriver(base_driver.BaseDriver):
    def resolve_exec_properties(self, exec_properties, pipeline_info, component_info):
        exec_properties["note"] = f"resolved by the driver of {component_info.component_id}"
        return exec_properties


class ImageCount(base_component.BaseComponent):
    """Counts the images of each label in the chosen splits."""

    SPEC_CLASS = ImageCountSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(ImageCountExecutor)
    DRIVER_CLASS = NoteDriver

    def __init__(self, examples, labels, min_bytes=10, splits=None):
        report = tfx.dsl.Channel(type=standard_artifacts.ExampleStatistics)
        spec = ImageCountSpec(examples=examples, labels=labels, min_bytes=min_bytes,
                              splits=splits, report=report)
        super().__init__(spec=spec)


def _create_pipeline(pipeline_root: str, data_root: str, enable_cache: bool = True):
    example_gen = tfx.components.FileBasedExampleGen(
        input_base=data_root,
        input_config=tfx.proto.Input(splits=[
            tfx.proto.Input.Split(name="images", pattern="*/*.png")]),
        output_config=tfx.proto.Output(split_config=tfx.proto.SplitConfig(splits=[
            tfx.proto.SplitConfig.Split(name="train", hash_buckets=3),
            tfx.proto.SplitConfig.Split(name="eval", hash_buckets=1)])),
        custom_executor_spec=executor_spec.ExecutorClassSpec(ImageExampleGenExecutor))
    count = ImageCount(examples=example_gen.outputs["examples"],
                       labels={"circle": 0, "square": 1},
                       splits=tfx.proto.SplitsConfig(analyze=["train", "eval"]))
    return tfx.dsl.Pipeline(pipeline_name="images_tfx", pipeline_root=pipeline_root,
                            components=[example_gen, count], enable_cache=enable_cache)


if __name__ == "__main__":
    tfx.orchestration.LocalDagRunner().run(
        _create_pipeline(os.environ["IMAGES_ROOT"], os.environ["IMAGES_DATA"]))
