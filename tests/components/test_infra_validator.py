"""InfraValidator with real model-server processes: a good model loads and answers; a corrupt
SavedModel fails to load; a model whose signature fails loads (load-only mode) but does not answer
(load-and-query mode). And the model server's TF Serving REST contract, in process."""

from __future__ import annotations

import base64
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from http.server import ThreadingHTTPServer

import pytest

from headrace.components.infra_validator import InfraValidator, _infra_validator_component
from headrace.components.model_server import LoadedModel, RequestError, _handler
from headrace.components.serving_client import ServingClient, ServingError
from headrace.errors import DefinitionError
from headrace.types import Model
from tests.components import _model_fixtures as fixtures

QUERY = {
    "tensorflow_serving": {"signature_names": ["serving_default"]},
    "split_name": "eval",
    "num_examples": 3,
}
# The default server, spelled as a command template, as a TF Serving command would be.
TEMPLATE = [
    sys.executable,
    "-m",
    "headrace.components.model_server",
    "--rest_api_port={port}",
    "--model_name={model_name}",
    "--model_base_path={model_base_path}",
]


def validate(**arguments):
    node = InfraValidator(**{"model": None, **arguments})
    parameters = {k: v for k, v in node.arguments.items() if k not in ("model", "examples")}
    outputs = fixtures.call_component(
        _infra_validator_component,
        model=arguments["model"],
        examples=arguments.get("examples"),
        **parameters,
    )
    return outputs["blessing"]


@pytest.fixture(scope="module")
def blessings():
    """Each case in its own model-server process, all at once (each pays TensorFlow's import)."""
    examples = fixtures.penguin_examples()
    failing = fixtures.failing_model()
    cases = {
        "good": dict(
            model=fixtures.model("good"),
            examples=examples,
            request_spec=QUERY,
            serving_spec={"model_name": "penguin", "local_process": {"command": TEMPLATE}},
        ),
        "corrupt": dict(model=fixtures.broken_model()),
        "failing, load only": dict(model=failing),
        "failing, queried": dict(model=failing, examples=examples, request_spec={}),
    }
    with ThreadPoolExecutor(len(cases)) as pool:
        done = dict(zip(cases, pool.map(lambda kw: validate(**kw), cases.values()), strict=True))
    return done


def test_good_model_loads_and_answers_queries(blessings):
    blessing = blessings["good"]
    assert blessing.properties["blessed"] is True
    assert blessing.properties["validation_mode"] == "LOAD_AND_QUERY"
    assert blessing.properties["reason"].endswith("and answered 3 example(s) on serving_default")
    assert os.listdir(blessing.uri) == ["INFRA_BLESSED"]


def test_corrupt_saved_model_is_not_blessed(blessings):
    blessing = blessings["corrupt"]
    assert blessing.properties["blessed"] is False
    assert blessing.properties["validation_mode"] == "LOAD_ONLY"
    reason = blessing.properties["reason"]
    assert reason.startswith("the model failed to load: the model server exited with status 1")
    assert "saved_model.pb" in reason
    assert os.listdir(blessing.uri) == ["INFRA_NOT_BLESSED"]


def test_a_model_that_loads_but_cannot_answer_passes_only_load_only_mode(blessings):
    loaded = blessings["failing, load only"]
    assert loaded.properties["blessed"] is True
    assert loaded.properties["reason"].endswith("(load-only mode)")
    queried = blessings["failing, queried"]
    assert queried.properties["blessed"] is False
    reason = queried.properties["reason"]
    assert "the model loaded but failed to answer 'serving_default': HTTP 400" in reason
    assert "refusing on purpose" in reason
    assert "\n" not in reason


def test_model_without_a_saved_model_is_not_blessed(tmp_path):
    blessing = validate(model=Model(str(tmp_path)))
    assert blessing.properties["blessed"] is False
    assert "holds no SavedModel" in blessing.properties["reason"]


def test_server_that_never_becomes_available_or_cannot_start(tmp_path):
    model = fixtures.broken_model()  # never loaded: the "servers" below do not try
    sleeper = [sys.executable, "-c", "import time; time.sleep(60)", "{port}"]
    slow = validate(
        model=model,
        serving_spec={"local_process": {"command": sleeper}},
        validation_spec={"max_loading_time_seconds": 1, "num_tries": 2},
    )
    assert slow.properties["blessed"] is False
    assert slow.properties["reason"] == (
        "the model failed to load: the model was not AVAILABLE within 1 s "
        "(validation_spec max_loading_time_seconds)"
    )
    missing = validate(
        model=model, serving_spec={"local_process": {"command": ["no-such-model-server"]}}
    )
    assert missing.properties["blessed"] is False
    assert "cannot start 'no-such-model-server'" in missing.properties["reason"]


def test_definition_errors_say_what_to_do():
    with pytest.raises(DefinitionError, match=r"serving_spec \['kubernetes'\] are not supported"):
        InfraValidator(model=None, serving_spec={"kubernetes": {}})
    with pytest.raises(DefinitionError, match="pass examples="):
        InfraValidator(model=None, request_spec={"num_examples": 1})


@pytest.fixture(scope="module")
def served():
    """The good model behind the model server's HTTP handler, in this process."""
    path = os.path.join(fixtures.model("good").uri, "Format-Serving")
    model = LoadedModel("penguin", 3, path)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(model))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield (
        model,
        ServingClient(base_url=f"http://127.0.0.1:{server.server_port}", model_name="penguin"),
    )
    server.shutdown()
    server.server_close()


def _instances(count: int) -> list[dict[str, str]]:
    rows = fixtures.penguin_splits()["unlabelled"][:count]
    return [{"b64": base64.b64encode(fixtures.to_example(r)).decode()} for r in rows]


def test_server_speaks_tf_servings_rest_api(served):
    model, client = served
    assert client.wait_until_available(5, lambda: None) < 5
    signature = client.signatures()["serving_default"]
    assert signature["inputs"]["examples"]["dtype"] == "DT_STRING"
    assert signature["method_name"] == "tensorflow/serving/predict"
    predictions = client.predict("serving_default", _instances(4))
    assert len(predictions) == 4 and all(abs(sum(p) - 1) < 1e-4 for p in predictions)
    columnar = model.predict({"inputs": {"examples": _instances(2)}})
    assert len(columnar["outputs"]) == 2
    with pytest.raises(ServingError, match=r"HTTP 404 .* signature name: \"classify\" not found"):
        client.predict("classify", _instances(1))
    with pytest.raises(ServingError, match=r"HTTP 400 .*does not fit"):
        client.predict("serving_default", [1.5])
    with pytest.raises(RequestError, match='exactly one of "instances" or "inputs"'):
        model.predict({})
