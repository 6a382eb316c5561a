"""Local HTTP servers for contract tests: each request is checked against the API it claims to
use (KFP's swagger specs; the Kubernetes custom-objects API for Argo workflows), violations are
collected for the test to assert on, and answers follow the same specs."""

from __future__ import annotations

import email.parser
import email.policy
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jsonschema

KFP_SPECS = Path("/work/shared/schemas/kfp")


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    form: dict[str, tuple[str | None, bytes]] = field(default_factory=dict)  # name: (file, data)

    def json(self) -> Any:
        return json.loads(self.body)


Route = Callable[[Request], tuple[int, Any]]


class FakeServer:
    """Serves `route` on 127.0.0.1; `requests` and `problems` fill as calls arrive."""

    def __init__(self, route: Route, check: Callable[[Request], list[str]]) -> None:
        self.requests: list[Request] = []
        self.problems: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(method=self.command, path=parts.path,
                                  query=parse_qs(parts.query, keep_blank_values=True),
                                  headers={k.lower(): v for k, v in self.headers.items()},
                                  body=self.rfile.read(length))
                outer.requests.append(request)
                found = check(request)
                outer.problems += found
                status, payload = (400, {"code": 3, "message": "; ".join(found)}) if found \
                    else route(request)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FakeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()


# --- Kubeflow Pipelines: requests against the swagger specs --------------------------------


@dataclass(frozen=True)
class Operation:
    spec: str
    method: str
    template: str
    pattern: re.Pattern[str]
    parameters: tuple[dict[str, Any], ...]
    consumes: tuple[str, ...]
    responses: dict[str, Any]
    definitions: dict[str, Any]


@cache
def kfp_operations() -> tuple[Operation, ...]:
    ops = []
    for spec_file in sorted(KFP_SPECS.glob("v*beta1-*.swagger.json")):
        spec = json.loads(spec_file.read_text())
        for template, methods in spec["paths"].items():
            regex = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
            for method, op in methods.items():
                ops.append(Operation(
                    spec=spec_file.name, method=method.upper(), template=template,
                    pattern=re.compile(f"^{regex}$"), parameters=tuple(op.get("parameters", [])),
                    consumes=tuple(op.get("consumes", spec.get("consumes", []))),
                    responses=op["responses"], definitions=spec["definitions"],
                ))
    return tuple(ops)


def kfp_operation(request: Request) -> Operation | None:
    for op in kfp_operations():
        if op.method == request.method and op.pattern.match(request.path):
            return op
    return None


# The kfp client asks the healthz service (whose spec is not among the ones we hold) whether the
# server is multi-user before anything else; its answer is {commit_sha, tag_name, multi_user}.
HEALTHZ = "/apis/v2beta1/healthz"


def check_kfp_request(request: Request) -> list[str]:
    """What in this request the KFP v2beta1 API does not define or requires otherwise."""
    where = f"{request.method} {request.path}"
    if request.path == HEALTHZ:
        return [] if request.method == "GET" and not request.query else [f"{where}: bad healthz"]
    op = kfp_operation(request)
    if op is None:
        return [f"{where}: no such operation in the KFP v1beta1/v2beta1 APIs"]
    problems = []
    declared = {p["name"]: p for p in op.parameters}
    for name in request.query:
        if declared.get(name, {}).get("in") != "query":
            problems.append(f"{where}: query parameter {name!r} is not in {op.spec}")
    for name, param in declared.items():
        if param.get("required") and param["in"] == "query" and name not in request.query:
            problems.append(f"{where}: required query parameter {name!r} is missing")
    body = [p for p in op.parameters if p["in"] == "body"]
    if body:
        problems += _body_problems(where, request, body[0], op.definitions)
    form = [p for p in op.parameters if p["in"] == "formData"]
    if form:
        kind = request.headers.get("content-type", "")
        if not any(kind.startswith(c) for c in op.consumes):
            problems.append(f"{where}: content type {kind!r}, the API consumes {op.consumes}")
            return problems
        request.form = _multipart(kind, request.body)
        for p in form:
            got = request.form.get(p["name"])
            if got is None and p.get("required"):
                problems.append(f"{where}: required form field {p['name']!r} is missing")
            elif got is not None and p["type"] == "file" and not got[0]:
                problems.append(f"{where}: form field {p['name']!r} must be a file upload")
    return problems


def _body_problems(where: str, request: Request, param: dict[str, Any],
                   definitions: dict[str, Any]) -> list[str]:
    if not request.headers.get("content-type", "").startswith("application/json"):
        return [f"{where}: body must be application/json"]
    try:
        body = request.json()
    except ValueError:
        return [f"{where}: body is not JSON"]
    schema = {**param["schema"], "definitions": definitions}
    problems = [f"{where}: body: {e.message}"
                for e in jsonschema.Draft4Validator(schema).iter_errors(body)]
    # The swagger definitions allow any extra property; a misspelt field would pass silently.
    return problems + _unknown_fields(where, body, param["schema"], definitions, "body")


def _unknown_fields(where: str, value: Any, schema: dict[str, Any],
                    definitions: dict[str, Any], path: str) -> list[str]:
    if "$ref" in schema:
        schema = definitions[schema["$ref"].rsplit("/", 1)[-1]]
    if isinstance(value, list) and "items" in schema:
        return [p for i, item in enumerate(value)
                for p in _unknown_fields(where, item, schema["items"], definitions,
                                         f"{path}[{i}]")]
    if not isinstance(value, dict) or "properties" not in schema:
        return []
    problems = [f"{where}: {path}.{key} is not a field of the API"
                for key in sorted(set(value) - set(schema["properties"]))]
    for key, item in value.items():
        if key in schema["properties"]:
            problems += _unknown_fields(where, item, schema["properties"][key], definitions,
                                        f"{path}.{key}")
    return problems


def _multipart(content_type: str, body: bytes) -> dict[str, tuple[str | None, bytes]]:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    return {part.get_param("name", header="content-disposition"):
            (part.get_filename(), part.get_payload(decode=True)) for part in message.iter_parts()}


def kfp_response_problems(request: Request, status: int, payload: Any) -> list[str]:
    """The fake's own answer must follow the spec too, or the test proves nothing."""
    op = kfp_operation(request)
    if op is None:
        return []
    response = op.responses.get(str(status)) or op.responses.get("default")
    schema = {**response["schema"], "definitions": op.definitions}
    validator = jsonschema.Draft4Validator(schema)
    return [f"answer to {request.method} {request.path}: {e.message}"
            for e in validator.iter_errors(payload)]


# --- Kubernetes: the custom-objects API for argoproj.io/v1alpha1 workflows ------------------

WORKFLOWS = re.compile(r"^/apis/argoproj\.io/v1alpha1/namespaces/([a-z0-9-]+)/workflows"
                       r"(?:/([a-z0-9.-]+))?$")


def check_k8s_request(request: Request) -> list[str]:
    where = f"{request.method} {request.path}"
    match = WORKFLOWS.match(request.path)
    if not match:
        return [f"{where}: not a path of the custom-objects API for argoproj.io workflows"]
    name = match.group(2)
    if request.method == "POST":
        problems = [] if name is None else [f"{where}: create POSTs to the collection"]
        if not request.headers.get("content-type", "").startswith("application/json"):
            problems.append(f"{where}: body must be application/json")
        body = request.json()
        if body.get("apiVersion") != "argoproj.io/v1alpha1" or body.get("kind") != "Workflow":
            problems.append(f"{where}: body is not an argoproj.io/v1alpha1 Workflow")
        if body.get("metadata", {}).get("namespace") not in (None, match.group(1)):
            problems.append(f"{where}: body namespace differs from the URL's")
        return problems
    if request.method == "GET" and name:
        return []
    return [f"{where}: the client should only create and get workflows"]


def k8s_status(code: int, reason: str, message: str) -> dict[str, Any]:
    """A Kubernetes Status object, as the API server answers errors."""
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}
