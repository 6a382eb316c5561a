"""Runs the python blocks of one docs page, in order, in one namespace: a process of its own per
page (as a reader's Python session would be), started in the page's working directory.

Protocol: one JSON line per block on stdin, {"path": block file, "log": output file}; one JSON line
back, {"ok": bool, "error": traceback}. The block's own output (Python's and the C libraries')
goes to the log file, so it can never garble the replies.
"""

from __future__ import annotations

import json
import os
import sys
import traceback


def main() -> None:
    replies = os.fdopen(os.dup(1), "w")
    namespace: dict[str, object] = {"__name__": "__main__"}
    sys.path.insert(0, os.getcwd())  # like `python` started here: local files import
    for line in sys.stdin:
        request = json.loads(line)
        with open(request["log"], "w") as log:
            os.dup2(log.fileno(), 1)
            os.dup2(log.fileno(), 2)
            try:
                with open(request["path"]) as f:
                    code = compile(f.read(), request["path"], "exec")
                exec(code, namespace)
                result = {"ok": True, "error": ""}
            except BaseException:  # reported to the test, which fails
                result = {"ok": False, "error": traceback.format_exc()}
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
        replies.write(json.dumps(result) + "\n")
        replies.flush()


if __name__ == "__main__":
    main()
