"""Replay (headrace.replay, once this test harness): it substitutes and expands as Argo and
Kubernetes would, resolves Secret references, honours dependencies and retries, and reports the
failing task and why."""

from __future__ import annotations

import json
import sys
import textwrap

import pytest

from headrace.replay import ReplayError as HarnessError
from headrace.replay import TaskFailed, run_workflow

# Each step appends what it saw to a file, so the test can check argv, env and order.
_SCRIPT = textwrap.dedent("""
    import json, os, sys
    with open(sys.argv[1], "a") as f:
        f.write(json.dumps({"argv": sys.argv[2:], "secret": os.environ.get("PW"),
                            "leak": os.environ.get("OUTER"), "ir": os.environ.get("IR")}) + "\\n")
    sys.exit(int(os.environ.get("EXIT", "0")))
""")


def _workflow(log, *, exit_code="0", second_args=None, retry_limit="2"):
    def step(name, args, extra_env=()):
        return {
            "name": name,
            "metadata": {"annotations": {"pipelines.kubeflow.org/task_display_name": name}},
            "retryStrategy": {"limit": retry_limit, "retryPolicy": "Always",
                              "expression": 'lastRetry.status == "Error" or '
                                            "asInt(lastRetry.exitCode) in [20, 137, 143]"},
            "container": {
                "image": "x", "command": [sys.executable, "-c", _SCRIPT],
                "args": [str(log), *args],
                "env": [{"name": "IR", "value": "{{workflow.annotations.example.com/ir}}"},
                        {"name": "PW", "valueFrom": {"secretKeyRef": {"name": "db",
                                                                      "key": "pw"}}},
                        {"name": "NODE", "value": name}, *extra_env],
            },
        }

    return {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
        "metadata": {"generateName": "t-", "annotations": {"example.com/ir": '{"a": "{{x}}"}'}},
        "spec": {
            "entrypoint": "dag",
            "arguments": {"parameters": [{"name": "rows", "value": "5"}]},
            "templates": [
                {"name": "dag", "dag": {"tasks": [
                    {"name": "second", "template": "second", "dependencies": ["first"]},
                    {"name": "first", "template": "first"},
                ]}},
                step("first", ["--run-id={{workflow.name}}", "--rows={{workflow.parameters.rows}}",
                               "$(NODE)", "$$(NODE)"]),
                step("second", second_args or ["--x"], [{"name": "EXIT", "value": exit_code}]),
            ],
        },
    }


def _lines(log):
    return [json.loads(line) for line in log.read_text().splitlines()]


def test_tasks_run_in_dependency_order_with_argo_and_kubernetes_substitutions(tmp_path,
                                                                            monkeypatch):
    monkeypatch.setenv("OUTER", "must not leak into a pod")
    log = tmp_path / "log"
    runs = run_workflow(_workflow(log), workflow_name="t-abcde", parameters={"rows": "7"},
                        secrets={"db": {"pw": "hunter2"}})
    assert [r.task for r in runs] == ["first", "second"]
    first, second = _lines(log)
    assert first["argv"] == ["--run-id=t-abcde", "--rows=7", "first", "$(NODE)"]
    assert first["secret"] == "hunter2" and first["leak"] is None
    # Substitution is one pass: the placeholder-like text inside the annotation stays as is.
    assert first["ir"] == '{"a": "{{x}}"}'
    assert second["argv"] == ["--x"]


def test_a_failed_task_is_reported_with_its_exit_code_and_stderr(tmp_path):
    log = tmp_path / "log"
    with pytest.raises(TaskFailed, match=r"task 'second' \(node 'second'\) failed with exit "
                                         r"code 10 after 1 attempt\(s\) \(not retryable\)"):
        run_workflow(_workflow(log, exit_code="10"), secrets={"db": {"pw": "x"}})


def test_retryable_exit_codes_are_retried_up_to_the_limit(tmp_path):
    log = tmp_path / "log"
    with pytest.raises(TaskFailed, match=r"exit code 20 after 3 attempt\(s\) \(retryable, "
                                         r"retries exhausted\)") as caught:
        run_workflow(_workflow(log, exit_code="20"), secrets={"db": {"pw": "x"}})
    assert caught.value.task == "second" and len(_lines(log)) == 1 + 3


@pytest.mark.parametrize(("change", "match"), [
    (lambda wf: wf["spec"]["templates"][1]["container"]["args"].append("{{workflow.nope}}"),
     r"unresolved placeholder \{\{workflow.nope\}\}"),
    (lambda wf: wf["spec"]["templates"][1]["container"].pop("command"),
     r"no explicit command"),
    (lambda wf: wf["spec"]["templates"][0]["dag"]["tasks"][0].update(depends="first"),
     r"uses `depends`"),
])
def test_what_argo_would_refuse_is_an_error(tmp_path, change, match):
    wf = _workflow(tmp_path / "log")
    change(wf)
    with pytest.raises(HarnessError, match=match):
        run_workflow(wf, secrets={"db": {"pw": "x"}})


def test_a_missing_secret_stops_the_pod(tmp_path):
    with pytest.raises(HarnessError, match=r"needs key 'pw' of Secret 'db', which was not given"):
        run_workflow(_workflow(tmp_path / "log"))


def test_unknown_parameters_are_refused(tmp_path):
    with pytest.raises(HarnessError, match=r"\['colour'\] are not workflow parameters"):
        run_workflow(_workflow(tmp_path / "log"), parameters={"colour": "red"})


def _parameter_workflow(tmp_path, *, when: str, write: bool = True):
    """`produce` writes an output parameter file; `consume` gets it as an input parameter and
    runs only if `when` holds; `after` depends on `consume` either way."""
    out = tmp_path / "out"
    code = f"import pathlib; p = pathlib.Path({str(out)!r}); p.mkdir(exist_ok=True); " + (
        "(p / 'flag').write_text('yes'); (p / 'value').write_text('hello world')" if write
        else "pass")
    record = "import sys; open(sys.argv[1], 'a').write(' '.join(sys.argv[2:]) + '\\n')"
    log = tmp_path / "log"
    return log, {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
        "metadata": {"generateName": "p-"},
        "spec": {"entrypoint": "dag", "templates": [
            {"name": "dag", "dag": {"tasks": [
                {"name": "produce", "template": "produce"},
                {"name": "consume", "template": "consume", "dependencies": ["produce"],
                 "when": when,
                 "arguments": {"parameters": [
                     {"name": "v", "value": "{{tasks.produce.outputs.parameters.value}}"}]}},
                {"name": "after", "template": "after", "dependencies": ["consume"]},
            ]}},
            {"name": "produce", "container": {"image": "x", "command": [sys.executable, "-c",
                                                                          code]},
             "outputs": {"parameters": [
                 {"name": "flag", "valueFrom": {"path": str(out / "flag")}},
                 {"name": "value", "valueFrom": {"path": str(out / "value")}}]}},
            {"name": "consume", "inputs": {"parameters": [{"name": "v"}]},
             "container": {"image": "x", "command": [sys.executable, "-c", record],
                           "args": [str(log), "consumed", "{{inputs.parameters.v}}"]}},
            {"name": "after", "container": {"image": "x", "command": [sys.executable, "-c",
                                                                        record],
                                            "args": [str(log), "after"]}},
        ]},
    }


def test_output_parameters_flow_into_input_parameters_and_when_skips(tmp_path):
    log, wf = _parameter_workflow(tmp_path, when="{{tasks.produce.outputs.parameters.flag}} == yes")
    runs = run_workflow(wf)
    assert runs[0].parameters == {"flag": "yes", "value": "hello world"}
    assert runs[1].argv[-1] == "hello world" and not runs[1].skipped
    assert log.read_text() == "consumed hello world\nafter\n"

    log.unlink()
    log, wf = _parameter_workflow(tmp_path, when="{{tasks.produce.outputs.parameters.flag}} != yes")
    runs = run_workflow(wf)
    assert [r.skipped for r in runs] == [False, True, False]  # a Skipped task's dependents run
    assert log.read_text() == "after\n"


def test_a_missing_output_parameter_or_odd_when_is_reported(tmp_path):
    _, wf = _parameter_workflow(tmp_path, when="true", write=False)
    with pytest.raises(TaskFailed, match=r"output parameter flag missing at .*out/flag"):
        run_workflow(wf)  # Argo fails the node
    _, wf = _parameter_workflow(tmp_path, when="{{tasks.produce.outputs.parameters.flag}}")
    (tmp_path / "out").mkdir(exist_ok=True)
    wf["spec"]["templates"][1]["container"]["command"][-1] = (
        f"import pathlib; p = pathlib.Path({str(tmp_path / 'out')!r}); "
        "(p / 'flag').write_text('yes'); (p / 'value').write_text('v')")
    with pytest.raises(HarnessError, match=r"`when: yes` is not A == B or A != B"):
        run_workflow(wf)
