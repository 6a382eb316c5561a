"""A small model server that speaks TF Serving's REST API: the InfraValidator loads a candidate
SavedModel in this separate process and queries it the way a serving system would.

The contract (the subset of TF Serving that the InfraValidator relies on, so that TF Serving's
`tensorflow_model_server` — e.g. the `tensorflow/serving` image on Kubernetes — can take this
process's place unchanged):

Command line, the same flags as `tensorflow_model_server`:

    python -m headrace.components.model_server \
        --rest_api_port=PORT --model_name=NAME --model_base_path=BASE

`BASE` holds numbered version directories (`BASE/1/saved_model.pb`); the highest is served.

HTTP on 127.0.0.1:PORT (https://www.tensorflow.org/tfx/serving/api_rest):

- `GET /v1/models/NAME` → `{"model_version_status": [{"version": "1", "state": "AVAILABLE",
  "status": {"error_code": "OK", "error_message": ""}}]}`.
- `GET /v1/models/NAME/metadata` → `{"model_spec": {...}, "metadata": {"signature_def":
  {"signature_def": {SIGNATURE: {"inputs": {NAME: {"dtype": "DT_STRING", ...}}, "outputs":
  {...}, "method_name": "tensorflow/serving/predict"}}}}}`.
- `POST /v1/models/NAME[/versions/V]:predict` with `{"signature_name": "serving_default",
  "instances": [...]}` (row format: one value per instance for a one-input signature, else one
  object per instance) or `{"inputs": ...}` (columnar). Binary strings, such as serialized
  tf.Examples, are written `{"b64": "<base64>"}`. Answers `{"predictions": [...]}` (row) or
  `{"outputs": ...}` (columnar); errors answer 4xx/5xx with `{"error": "<message>"}`.

This server starts listening only once the model has loaded; if loading fails it writes the
error to stderr and exits with status 1. (TF Serving keeps running and reports the version's
state and error instead; clients handle both, see `serving_client`.)
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PATH = re.compile(
    r"^/v1/models/(?P<name>[^/:]+)(?:/versions/(?P<version>\d+))?"
    r"(?:(?P<metadata>/metadata)|:(?P<verb>predict|classify|regress))?/?$"
)


class RequestError(Exception):
    """A request the model cannot answer; `status` is the HTTP status to reply with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def latest_version(base: str) -> tuple[int, str]:
    """The highest numbered version directory under `base` (TF Serving's default policy)."""
    versions = [int(d) for d in os.listdir(base) if d.isdigit()]
    if not versions:
        raise FileNotFoundError(
            f"{base} has no numbered version directory (expected e.g. {base}/1/saved_model.pb)"
        )
    version = max(versions)
    return version, os.path.join(base, str(version))


class LoadedModel:
    """A SavedModel's signatures, callable with JSON requests in TF Serving's REST format."""

    def __init__(self, name: str, version: int, path: str) -> None:
        import tensorflow as tf

        self.tf = tf
        self.name = name
        self.version = version
        self.saved = tf.saved_model.load(path)
        self.signatures = dict(self.saved.signatures)
        if not self.signatures:
            raise ValueError(f"The SavedModel at {path} has no signatures to serve.")

    def status(self) -> dict[str, Any]:
        return {
            "model_version_status": [
                {
                    "version": str(self.version),
                    "state": "AVAILABLE",
                    "status": {"error_code": "OK", "error_message": ""},
                }
            ]
        }

    def metadata(self) -> dict[str, Any]:
        signature_def = {}
        for key, fn in self.signatures.items():
            inputs = fn.structured_input_signature[1]
            signature_def[key] = {
                "inputs": {n: _tensor_info(s) for n, s in inputs.items()},
                "outputs": {n: _tensor_info(s) for n, s in fn.structured_outputs.items()},
                "method_name": "tensorflow/serving/predict",
            }
        return {
            "model_spec": {
                "name": self.name,
                "signature_name": "",
                "version": str(self.version),
            },
            "metadata": {"signature_def": {"signature_def": signature_def}},
        }

    def predict(self, request: dict[str, Any]) -> dict[str, Any]:
        name = request.get("signature_name") or "serving_default"
        fn = self.signatures.get(name)
        if fn is None:
            raise RequestError(
                f'Serving signature name: "{name}" not found in signature def; the model has '
                f"{sorted(self.signatures)}",
                status=404,
            )
        specs = fn.structured_input_signature[1]
        row = "instances" in request
        if row == ("inputs" in request):
            raise RequestError('The request must have exactly one of "instances" or "inputs".')
        if row:
            columns = _columns(request["instances"], specs)
        else:
            columns = _inputs(request["inputs"], specs)
        tensors = {}
        for input_name, spec in specs.items():
            try:
                tensors[input_name] = self.tf.constant(columns[input_name], dtype=spec.dtype)
            except (TypeError, ValueError) as exc:
                raise RequestError(f"Input {input_name!r} does not fit {spec}: {exc}") from None
        try:
            outputs = fn(**tensors)
        except self.tf.errors.OpError as exc:
            raise RequestError(exc.message, status=400) from None
        values = {k: _jsonable(v.numpy()) for k, v in outputs.items()}
        if not row:
            return {"outputs": next(iter(values.values())) if len(values) == 1 else values}
        if len(values) == 1:
            return {"predictions": next(iter(values.values()))}
        count = len(next(iter(values.values())))
        return {"predictions": [{k: v[i] for k, v in values.items()} for i in range(count)]}


def _tensor_info(spec: Any) -> dict[str, Any]:
    dims = [{"size": str(-1 if d is None else d)} for d in spec.shape.as_list()]
    return {
        "dtype": f"DT_{spec.dtype.name.upper()}",
        "tensor_shape": {"dim": dims, "unknown_rank": False},
        "name": spec.name or "",
    }


def _decode(value: Any) -> Any:
    # {"b64": "..."} is how TF Serving's REST API carries binary strings.
    if isinstance(value, dict) and set(value) == {"b64"}:
        return base64.b64decode(value["b64"])
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _columns(instances: Any, specs: dict[str, Any]) -> dict[str, list[Any]]:
    if not isinstance(instances, list) or not instances:
        raise RequestError('"instances" must be a non-empty list.')
    names = list(specs)
    columns: dict[str, list[Any]] = {n: [] for n in names}
    for instance in instances:
        if isinstance(instance, dict) and set(instance) != {"b64"}:
            missing = [n for n in names if n not in instance]
            if missing:
                raise RequestError(f"An instance lacks the inputs {missing}.")
            for n in names:
                columns[n].append(_decode(instance[n]))
        elif len(names) == 1:
            columns[names[0]].append(_decode(instance))
        else:
            raise RequestError(f"The signature has inputs {names}: give instances as objects.")
    return columns


def _inputs(inputs: Any, specs: dict[str, Any]) -> dict[str, Any]:
    names = list(specs)
    if isinstance(inputs, dict) and set(inputs) != {"b64"}:
        missing = [n for n in names if n not in inputs]
        if missing:
            raise RequestError(f'"inputs" lacks {missing}.')
        return {n: _decode(inputs[n]) for n in names}
    if len(names) != 1:
        raise RequestError(f'The signature has inputs {names}: give "inputs" as an object.')
    return {names[0]: _decode(inputs)}


def _jsonable(value: Any) -> Any:
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, bytes):
        try:
            return value.decode()
        except UnicodeDecodeError:
            return {"b64": base64.b64encode(value).decode()}
    return value


def _handler(model: LoadedModel) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            match = self._match()
            if match is None:
                return
            if match["verb"]:
                self._reply(405, {"error": f"Use POST for :{match['verb']}."})
            else:
                self._reply(200, model.metadata() if match["metadata"] else model.status())

        def do_POST(self) -> None:
            match = self._match()
            if match is None:
                return
            if match["verb"] != "predict":
                verb = match["verb"] or "(none)"
                self._reply(400, {"error": f"This server answers :predict only, not {verb}."})
                return
            try:
                length = int(self.headers.get("Content-Length") or 0)
                request = json.loads(self.rfile.read(length) or b"{}")
                if not isinstance(request, dict):
                    raise RequestError("The request body must be a JSON object.")
                self._reply(200, model.predict(request))
            except json.JSONDecodeError as exc:
                self._reply(400, {"error": f"The request body is not JSON: {exc}"})
            except RequestError as exc:
                self._reply(exc.status, {"error": str(exc)})
            except Exception as exc:  # the model failed: say so, keep serving
                self._reply(500, {"error": f"{type(exc).__name__}: {exc}"})

        def _match(self) -> Any:
            match = PATH.match(self.path)
            if match is None or match["name"] != model.name:
                self._reply(404, {"error": f"No model at {self.path}; this serves {model.name!r}."})
                return None
            if match["version"] and int(match["version"]) != model.version:
                self._reply(404, {"error": f"Version {match['version']} is not loaded."})
                return None
            return match

        def _reply(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            sys.stderr.write(f"model_server: {format % args}\n")

    return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rest_api_port", type=int, required=True)
    parser.add_argument("--model_name", required=True)
    parser.add_argument("--model_base_path", required=True)
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        print(f"model_server: ignoring TF Serving flags: {unknown}", file=sys.stderr)
    try:
        version, path = latest_version(args.model_base_path)
        model = LoadedModel(args.model_name, version, path)
    except Exception as exc:
        print(f"model_server: failed to load: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    server = ThreadingHTTPServer(("127.0.0.1", args.rest_api_port), _handler(model))
    print(
        f"model_server: serving {args.model_name} version {version} from {path} on "
        f"http://127.0.0.1:{args.rest_api_port}",
        file=sys.stderr,
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
