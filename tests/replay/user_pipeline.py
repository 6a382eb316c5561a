"""A user's pipeline outside Headrace's checkout (copied into a temporary directory by the
tests): function components, a data file beside it, and a runtime parameter that makes the
counting step slow enough to kill."""

import json
import os
import time

from headrace import Input, Output, Parameter, Pipeline, RuntimeParameter, component
from headrace.types import Examples, Model

HERE = os.path.dirname(os.path.abspath(__file__))


@component(file_parameters=("words_file",))
def read_words(words_file: Parameter[str], examples: Output[Examples]):
    """Split the data file into words."""
    with open(words_file) as f:
        words = f.read().split()
    os.makedirs(examples.uri, exist_ok=True)
    with open(os.path.join(examples.uri, "words.json"), "w") as f:
        json.dump(words, f)
    examples.properties["split_names"] = '["train"]'


@component
def count_words(examples: Input[Examples], model: Output[Model], pause: Parameter[float] = 0.0):
    """Count them (after `pause` seconds)."""
    with open(os.path.join(examples.uri, "words.json")) as f:
        words = json.load(f)
    time.sleep(pause)
    os.makedirs(model.uri, exist_ok=True)
    with open(os.path.join(model.uri, "count.json"), "w") as f:
        json.dump({"words": len(words)}, f)
    model.properties["words"] = len(words)


def create_pipeline():
    words = read_words(words_file=os.path.join(HERE, "data", "words.txt"))
    counted = count_words(
        examples=words.outputs["examples"],
        pause=RuntimeParameter(name="pause", ptype=float, default=0.0),
    )
    return Pipeline(name="user-words", components=[words, counted])
