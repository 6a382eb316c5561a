"""The `headrace` command as a user types it: run, runs list/show, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from headrace.cli import main

DEMO = str(Path(__file__).parent / "support" / "demo_pipeline.py")


def _invoke(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_run_then_list_and_show(tmp_path):
    root = str(tmp_path / "root")
    first = _invoke("run", DEMO, "--root", root)
    assert first.exit_code == 0, first.output
    assert "4 executed" in first.output and "Metadata: sqlite://" in first.output
    second = _invoke("run", DEMO, "--root", root)
    assert "4 cached" in second.output and "same cache key" in second.output

    runs = json.loads(_invoke("runs", "list", "--root", root, "--json").output)
    assert [r["cached"] for r in runs] == [4, 0] and [r["complete"] for r in runs] == [0, 4]
    shown = json.loads(_invoke("runs", "show", runs[1]["run_id"], "--root", root, "--json").output)
    assert {e["node_id"] for e in shown["executions"]} == {"produce", "count_a", "count_b", "train"}
    assert all(e["state"] == "COMPLETE" and e["seconds"] >= 0 for e in shown["executions"])
    model = next(e for e in shown["executions"] if e["node_id"] == "train")["outputs"]["model"]
    assert Path(model[0]["uri"], "model.json").exists()
    table = _invoke("runs", "show", runs[0]["run_id"], "--root", root)
    assert "CACHED (from" in table.output

    hint = f"headrace runs report {runs[0]['run_id']} -o report.html --root {root}"
    assert hint in " ".join(second.output.split())  # the command works as printed:
    report = _invoke("runs", "report", runs[0]["run_id"], "-o", str(tmp_path / "r.html"),
                     "--root", root)
    assert report.exit_code == 0 and 'data-node="train"' in (tmp_path / "r.html").read_text()


def test_failed_run_prints_the_resume_command(tmp_path, monkeypatch):
    flag = tmp_path / "fail"
    flag.touch()
    monkeypatch.setenv("HEADRACE_DEMO_FAIL", str(flag))
    result = CliRunner().invoke(main, ["run", DEMO, "--root", str(tmp_path)])
    assert result.exit_code == 1
    assert "failing on purpose" in result.output
    assert f"headrace run {DEMO} --resume demo-" in result.stderr


def test_bad_inputs_say_what_to_do(tmp_path):
    missing = CliRunner().invoke(main, ["run", str(tmp_path / "nope.py")])
    assert missing.exit_code == 2 and "No such file" in missing.stderr
    empty = tmp_path / "empty.py"
    empty.write_text("x = 1\n")
    result = CliRunner().invoke(main, ["run", str(empty)])
    assert result.exit_code == 2 and "create_pipeline()" in result.stderr
    unknown = CliRunner().invoke(
        main, ["run", DEMO, "--root", str(tmp_path), "--resume", "no-such-run"]
    )
    assert unknown.exit_code == 2 and "No run 'no-such-run'" in unknown.stderr
    nothing = CliRunner().invoke(main, ["runs", "list", "--root", str(tmp_path / "void")])
    assert nothing.exit_code == 2 and "No metadata" in nothing.stderr


def test_compile_takes_the_files_options_then_the_flags(tmp_path):
    import yaml

    pipeline_file = tmp_path / "with_options.py"
    pipeline_file.write_text(
        f"from headrace.compiler import CompileOptions\n"
        f"exec(open({DEMO!r}).read())\n"
        f"compile_options = CompileOptions(image='registry.example.com/team:1', "
        f"namespace='team-a', env={{'FROM_FILE': '1'}})\n"
    )
    out = tmp_path / "wf.yaml"
    result = _invoke(
        "compile", str(pipeline_file), "-o", str(out), "--namespace", "team-b",
        "--pipeline-root", "gs://bucket/root",
        "--metadata", "mysql://mlmd@mysql.kubeflow:3306/metadb",
        "--mysql-password-secret", "db-creds/pw", "--secret-env", "TOKEN=api/token",
        "--env", "EXTRA=2", "--beam-runner", "flink", "--beam-job-endpoint", "flink-js:8099",
    )
    assert result.exit_code == 0, result.output
    doc = yaml.safe_load(out.read_text())
    assert doc["kind"] == "Workflow" and doc["metadata"]["namespace"] == "team-b"
    steps = [t for t in doc["spec"]["templates"] if "container" in t]
    assert {s["container"]["image"] for s in steps} == {"registry.example.com/team:1"}
    env = {e["name"]: e for e in steps[0]["container"]["env"]}
    assert env["FROM_FILE"]["value"] == "1" and env["EXTRA"]["value"] == "2"
    assert env["TOKEN"]["valueFrom"]["secretKeyRef"] == {"name": "api", "key": "token"}
    assert {"name": "db-creds", "key": "pw"} in [
        e.get("valueFrom", {}).get("secretKeyRef") for e in env.values()
    ]
    # Same input, byte-identical output.
    again = tmp_path / "again.yaml"
    _invoke("compile", str(pipeline_file), "-o", str(again), "--namespace", "team-b",
            "--pipeline-root", "gs://bucket/root",
            "--metadata", "mysql://mlmd@mysql.kubeflow:3306/metadb",
            "--mysql-password-secret", "db-creds/pw", "--secret-env", "TOKEN=api/token",
            "--env", "EXTRA=2", "--beam-runner", "flink", "--beam-job-endpoint", "flink-js:8099")
    assert again.read_bytes() == out.read_bytes()


def test_compile_bad_flags_say_what_to_do(tmp_path):
    out = str(tmp_path / "wf.yaml")
    no_endpoint = CliRunner().invoke(main, ["compile", DEMO, "-o", out, "--beam-runner", "spark",
                                            "--beam-worker-pool", "step"])
    assert no_endpoint.exit_code == 2 and "--beam-job-endpoint" in no_endpoint.stderr
    bad_secret = CliRunner().invoke(main, ["compile", DEMO, "-o", out, "--secret-env", "X=nokey"])
    assert bad_secret.exit_code == 2 and "NAME/KEY" in bad_secret.stderr
    bad_env = CliRunner().invoke(main, ["compile", DEMO, "-o", out, "--env", "NOVALUE"])
    assert bad_env.exit_code == 2 and "NAME=VALUE" in bad_env.output
    assert not Path(out).exists()


def test_upload_and_submit_explain_unreachable_servers(tmp_path):
    out = tmp_path / "wf.yaml"
    compiled = _invoke("compile", DEMO, "-o", str(out), "--pipeline-root", "gs://b/r",
                       "--metadata", "grpc://metadata-grpc-service:8080", "--image", "i:1")
    assert compiled.exit_code == 0, compiled.output
    upload = CliRunner().invoke(main, ["upload", str(out), "--host", "http://127.0.0.1:9"])
    assert upload.exit_code == 2 and "127.0.0.1:9" in upload.stderr
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        "clusters: [{name: k, cluster: {server: 'http://127.0.0.1:9'}}]\n"
        "users: [{name: u, user: {}}]\n"
        "contexts: [{name: c, context: {cluster: k, user: u, namespace: ns}}]\n"
    )
    submit = CliRunner(env={"KUBECONFIG": str(kubeconfig)}).invoke(main, ["submit", str(out)])
    assert submit.exit_code == 2 and "ns" in submit.stderr


def test_runs_list_shows_an_unfinished_run_and_pipes_plain_columns(tmp_path, monkeypatch):
    root = str(tmp_path / "root")
    flag = tmp_path / "fail"
    flag.touch()
    monkeypatch.setenv("HEADRACE_DEMO_FAIL", str(flag))
    failed = CliRunner().invoke(main, ["run", DEMO, "--root", root])
    assert failed.exit_code == 1
    assert "3 of 4 nodes done (3 executed, 0 cached), 1 failed in" in failed.output
    flag.unlink()
    done = _invoke("run", DEMO, "--root", root)
    assert "4 of 4 nodes done (1 executed, 3 cached) in" in done.output

    listed = _invoke("runs", "list", "--root", root)  # CliRunner's output is not a terminal
    lines = listed.output.splitlines()
    assert lines[0].split() == ["run", "id", "pipeline", "created", "status", "executed",
                                "cached", "unfinished"]
    assert not any(c in listed.output for c in "┃│━─")  # no box drawing, nothing cut
    newest, oldest = lines[1].split(), lines[2].split()
    assert newest[0].startswith("demo-") and newest[4] == "succeeded" and newest[-1] == "-"
    assert oldest[4] == "failed" and oldest[-2:] == ["train", "(failed)"]
    assert f"Resume an unfinished run: headrace run PIPELINE_FILE --resume RUN_ID --root {root}" \
        in listed.output

    rows = json.loads(_invoke("runs", "list", "--root", root, "--json").output)
    assert rows[1]["unfinished_nodes"] == {"train": "failed"} and rows[0]["unfinished_nodes"] == {}
    resume = f"headrace run PIPELINE_FILE --resume {rows[1]['run_id']} --root {root}"
    assert rows[1]["resume"] == resume
    shown = _invoke("runs", "show", rows[1]["run_id"], "--root", root)
    assert ": failed" in shown.output.splitlines()[0]
    assert "Unfinished: train (failed" in shown.output
    assert f"--resume {rows[1]['run_id']} --root {root}" in shown.output


def test_a_node_left_running_shows_as_unfinished(tmp_path):
    from headrace.metadata import NodeExecution, default_url, open_store

    root = str(tmp_path / "root")
    _invoke("run", DEMO, "--root", root)
    store = open_store(default_url(root))
    who = NodeExecution(pipeline="demo", run_id="demo-killed", node_id="produce",
                        component="produce", cache_key="k")
    store.start_execution(who, {})  # as a killed process leaves it
    rows = json.loads(_invoke("runs", "list", "--root", root, "--json").output)
    killed = next(r for r in rows if r["run_id"] == "demo-killed")
    assert killed["status"] == "incomplete" and killed["unfinished_nodes"] == {"produce": "running"}
    assert killed["running"] == 1
