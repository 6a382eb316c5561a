"""InfraValidator: loads the candidate SavedModel in a separate model-server process and, in
load-and-query mode, sends it predict requests built from examples → an InfraBlessing.

The server is `python -m headrace.components.model_server` by default; it speaks TF Serving's
REST API (the contract is in that module), so `serving_spec={"local_process": {"command":
["tensorflow_model_server", "--rest_api_port={port}", "--model_name={model_name}",
"--model_base_path={model_base_path}"]}}` validates with the real TF Serving, e.g. when the
node runs from an image built on `tensorflow/serving` on Kubernetes.
"""

# Until headrace.dsl types Input[T]/Output[T]/Parameter[T] as T for type checkers, mypy cannot see
# that the arguments are the artifacts and values the executor passes in.
# mypy: disable-error-code="attr-defined, arg-type, assignment, union-attr"

from __future__ import annotations

import base64
import logging
import os
from typing import Any

from headrace.components.model_paths import find_serving_model
from headrace.components.model_server_process import ModelServerProcess, server_command
from headrace.components.proto_parameters import to_parameter
from headrace.components.serving_client import ServingClient, ServingError
from headrace.components.split_files import split_file_patterns
from headrace.components.splits import split_names
from headrace.components.tfrecord_head import head_records
from headrace.dsl import ExecutionContext, Input, Output, Parameter, component
from headrace.dsl.node import Channel, Node
from headrace.errors import DefinitionError
from headrace.types import Examples, InfraBlessing, Model

log = logging.getLogger(__name__)

BLESSED_FILE, NOT_BLESSED_FILE = "INFRA_BLESSED", "INFRA_NOT_BLESSED"
LOAD_ONLY, LOAD_AND_QUERY = "LOAD_ONLY", "LOAD_AND_QUERY"
_SERVING_KEYS = {"model_name", "local_process", "tensorflow_serving"}


def InfraValidator(
    model: Channel,
    serving_spec: Any = None,
    examples: Channel | None = None,
    request_spec: Any = None,
    validation_spec: Any = None,
) -> Node:
    """A TFX InfraValidator node; output `blessing` (InfraBlessing).

    Load-only mode without `request_spec`; load-and-query mode with it, which needs `examples`.
    Specs are TFX's protos as dicts (or the protos themselves):
    `serving_spec={"model_name": "m", "local_process": {"command": [...]}}` (default: Headrace's
    model server; `tensorflow_serving` settings are accepted and unused),
    `request_spec={"tensorflow_serving": {"signature_names": ["serving_default"]},
    "split_name": "eval", "num_examples": 1}`,
    `validation_spec={"max_loading_time_seconds": 300, "num_tries": 1}`.
    """
    specs = {
        name: to_parameter(value, component="InfraValidator", argument=name, message=message)
        for name, value, message in (
            ("serving_spec", serving_spec, "ServingSpec"),
            ("request_spec", request_spec, "RequestSpec"),
            ("validation_spec", validation_spec, "ValidationSpec"),
        )
    }
    unsupported = sorted(set(specs["serving_spec"] or {}) - _SERVING_KEYS)
    if unsupported:
        raise DefinitionError(
            f"InfraValidator: serving_spec {unsupported} are not supported: the model server runs "
            f"as a process in the InfraValidator's own step. Drop them; to validate with TF "
            f"Serving, run the node from an image that has tensorflow_model_server and set "
            f'serving_spec={{"local_process": {{"command": ["tensorflow_model_server", '
            f'"--rest_api_port={{port}}", "--model_name={{model_name}}", '
            f'"--model_base_path={{model_base_path}}"]}}}}.'
        )
    if specs["request_spec"] is not None and examples is None:
        raise DefinitionError(
            "InfraValidator: request_spec asks for load-and-query mode, which builds its requests "
            "from examples: pass examples=... (or drop request_spec for load-only mode)."
        )
    return _infra_validator_component(model=model, examples=examples, **specs)


@component(name="InfraValidator")
def _infra_validator_component(
    model: Input[Model],
    blessing: Output[InfraBlessing],
    examples: Input[Examples] | None = None,
    serving_spec: Parameter[dict] | None = None,
    request_spec: Parameter[dict] | None = None,
    validation_spec: Parameter[dict] | None = None,
    context: ExecutionContext = None,
) -> None:
    """Load `model` in a separate model server (TF Serving's REST API) and, with a
    `request_spec`, query it with examples; bless it if it loads (and answers)."""
    serving: dict[str, Any] = serving_spec or {}
    validation: dict[str, Any] = validation_spec or {}
    mode = LOAD_AND_QUERY if request_spec is not None else LOAD_ONLY
    model_name = str(serving.get("model_name") or "model")
    tries = max(1, int(validation.get("num_tries", 1)))
    max_loading = float(validation.get("max_loading_time_seconds", 300))

    blessed, reason = False, ""
    path = find_serving_model(model)
    requests: dict[str, list[Any]] = {}
    if path is None:
        reason = f"the Model artifact at {model.uri} holds no SavedModel (no saved_model.pb)"
    elif mode == LOAD_AND_QUERY:
        requests, reason = _requests(examples, request_spec)
    if path is not None and not reason:
        base = _model_base(path, model_name, context.temp_dir)
        command = server_command(
            (serving.get("local_process") or {}).get("command"),
            model_name=model_name,
            model_base_path=base,
        )
        for attempt in range(1, tries + 1):
            blessed, reason = _validate(command, model_name, max_loading, requests, context)
            reason = _readable(reason)
            log.info("InfraValidator: try %d of %d: %s", attempt, tries, reason)
            if blessed:
                break
    name = BLESSED_FILE if blessed else NOT_BLESSED_FILE
    with open(os.path.join(blessing.uri, name), "w"):
        pass
    blessing.properties.update(
        {"blessed": blessed, "reason": reason, "validation_mode": mode, "model": model.uri}
    )
    if model.id is not None:
        blessing.properties["model_id"] = model.id


def _model_base(path: str, model_name: str, temp_dir: str) -> str:
    """A TF Serving model base path (`<base>/1/` = the SavedModel) without copying the model."""
    base = os.path.join(temp_dir, "serving", model_name)
    os.makedirs(base, exist_ok=True)
    os.symlink(os.path.abspath(path), os.path.join(base, "1"), target_is_directory=True)
    return base


def _requests(
    examples: Examples | None, request_spec: dict[str, Any]
) -> tuple[dict[str, list[Any]], str]:
    """Row-format predict instances per signature, from a few serialized examples; or why not."""
    if examples is None:
        return {}, "load-and-query mode needs examples to build requests from; none were given"
    serving = request_spec.get("tensorflow_serving") or {}
    signatures = list(serving.get("signature_names") or ["serving_default"])
    split = request_spec.get("split_name") or split_names(examples)[0]
    count = int(request_spec.get("num_examples") or 1)
    pattern = split_file_patterns(examples, [split], component="InfraValidator")[split]
    records = head_records(pattern, count)
    if not records:
        return {}, f"split {split!r} of the examples at {examples.uri} has no records to send"
    instances = [{"b64": base64.b64encode(r).decode()} for r in records]
    return {s: instances for s in signatures}, ""


def _validate(
    command: list[str],
    model_name: str,
    max_loading: float,
    requests: dict[str, list[Any]],
    context: ExecutionContext,
) -> tuple[bool, str]:
    log_file = os.path.join(context.temp_dir, f"model_server-{os.getpid()}.log")
    with ModelServerProcess(command, log_file) as server:
        client = ServingClient(base_url=server.url, model_name=model_name)
        try:
            seconds = client.wait_until_available(max_loading, server.stopped)
        except ServingError as exc:
            return False, f"the model failed to load: {exc}"
        loaded = f"the model server started and loaded the model in {seconds:.1f} s"
        if not requests:
            return True, f"{loaded} (load-only mode)"
        try:
            available = client.signatures()
        except (ServingError, OSError, KeyError) as exc:
            return False, f"the model loaded but its metadata could not be read: {exc}"
        for signature, instances in requests.items():
            if signature not in available:
                return False, (
                    f"the model has no signature {signature!r} to query (it has "
                    f"{sorted(available)})"
                )
            try:
                predictions = client.predict(signature, instances)
            except (ServingError, OSError, KeyError) as exc:
                return False, f"the model loaded but failed to answer {signature!r}: {exc}"
            if not isinstance(predictions, list) or len(predictions) != len(instances):
                return False, (
                    f"the model answered {signature!r} with {_count(predictions)} predictions "
                    f"for {len(instances)} examples"
                )
        queried = ", ".join(requests)
        n = len(next(iter(requests.values())))
        return True, f"{loaded} and answered {n} example(s) on {queried}"


def _readable(reason: str, limit: int = 600) -> str:
    # Server errors span lines (TensorFlow's op tracebacks): one line, of a length a UI shows.
    text = " ".join(reason.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _count(predictions: Any) -> str:
    return str(len(predictions)) if isinstance(predictions, list) else "no list of"
