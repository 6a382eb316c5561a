"""A client of TF Serving's REST API (the contract in `model_server`): wait until a model version
is AVAILABLE, read its signatures, send predict requests. Standard library only."""

from __future__ import annotations

import contextlib
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class ServingError(Exception):
    """The server could not load the model or answer a request; the message says which."""


@dataclass(frozen=True, kw_only=True)
class ServingClient:
    base_url: str  # e.g. http://127.0.0.1:8501
    model_name: str
    timeout: float = 30.0

    @property
    def model_url(self) -> str:
        return f"{self.base_url}/v1/models/{self.model_name}"

    def wait_until_available(
        self, deadline_seconds: float, alive: Callable[[], str | None]
    ) -> float:
        """Poll the model's status until a version is AVAILABLE; the seconds it took.

        `alive()` returns None while the server process runs, else why it stopped: a server that
        exits (ours, when loading fails) ends the wait at once. TF Serving instead reports the
        version in state END with the load error, which ends it too.
        """
        started = time.monotonic()
        while True:
            stopped = alive()
            if stopped is not None:
                raise ServingError(stopped)
            try:
                status = self._get(self.model_url)
            except (OSError, ServingError):
                status = None  # not listening yet, or still loading
            for version in (status or {}).get("model_version_status", []):
                if version.get("state") == "AVAILABLE":
                    return time.monotonic() - started
                error = (version.get("status") or {}).get("error_message")
                if version.get("state") == "END" and error:
                    raise ServingError(f"the model server could not load the model: {error}")
            if time.monotonic() - started > deadline_seconds:
                raise ServingError(
                    f"the model was not AVAILABLE within {deadline_seconds:g} s "
                    f"(validation_spec max_loading_time_seconds)"
                )
            time.sleep(0.25)

    def signatures(self) -> dict[str, Any]:
        """The signature defs of the served version, by signature name."""
        metadata = self._get(f"{self.model_url}/metadata")
        return dict(metadata["metadata"]["signature_def"]["signature_def"])

    def predict(self, signature_name: str, instances: list[Any]) -> Any:
        """A row-format predict request; the `predictions` of the answer."""
        body = {"signature_name": signature_name, "instances": instances}
        return self._post(f"{self.model_url}:predict", body)["predictions"]

    def _get(self, url: str) -> Any:
        return self._send(urllib.request.Request(url))

    def _post(self, url: str, body: Any) -> Any:
        data = json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        return self._send(urllib.request.Request(url, data=data, headers=headers))

    def _send(self, request: urllib.request.Request) -> Any:
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            text = exc.read().decode(errors="replace")
            with contextlib.suppress(json.JSONDecodeError, AttributeError):
                text = json.loads(text).get("error", text)
            raise ServingError(f"HTTP {exc.code} from {request.full_url}: {text}") from None
