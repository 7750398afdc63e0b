"""`flask worker` for the job tests: the app from GALLERY_TEST_APP_CONFIG, plus "test-block".

"test-block" marks its start in a folder, waits there until the test creates
`release`, then marks `done` with its attempt number: a job to kill a worker in.
The process runs on the test's clock (GALLERY_TEST_NOW, ticking), as the test does.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import time_machine
from flask.cli import ScriptInfo

from gallery import create_app
from gallery.jobs import queue, tasks
from gallery.jobs.worker import worker_command


def block(folder: str) -> str:
    marks = Path(folder)
    attempt = len(list(marks.glob("started-*"))) + 1
    (marks / f"started-{attempt}").write_text(str(os.getpid()))
    while not (marks / "release").exists():
        time.sleep(0.05)
    (marks / "done").write_text(str(attempt))
    return f"done on attempt {attempt}"


def register_test_job() -> None:
    tasks.TASKS["test-block"] = block
    queue.JOBS["test-block"] = queue.JobSpec(timeout=60)


def main() -> None:
    register_test_job()
    config = json.loads(os.environ["GALLERY_TEST_APP_CONFIG"])
    app = create_app(config)
    with time_machine.travel(float(os.environ["GALLERY_TEST_NOW"]), tick=True):
        worker_command.main(
            args=sys.argv[1:], prog_name="flask worker", obj=ScriptInfo(create_app=lambda: app)
        )


if __name__ == "__main__":
    main()
