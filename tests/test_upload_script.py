"""The README's folder-upload script, run as written against a live server."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from pathlib import Path

from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server

from gallery.accounts import tokens
from gallery.extensions import db
from gallery.models import Image
from tests.support.factories import create_user
from tests.support.sample_images import jpeg, png

README = Path(__file__).resolve().parent.parent / "README.md"
SCRIPT = re.compile(r"<!-- upload-script -->\n```python\n(.*?)```", re.S)


def test_readme_upload_script_uploads_a_folder(app: Flask, tmp_path: Path) -> None:
    script = SCRIPT.search(README.read_text(encoding="utf-8")).group(1)
    assert len(script.strip().splitlines()) <= 15
    (tmp_path / "upload_folder.py").write_text(script)
    folder = tmp_path / "trip"
    folder.mkdir()
    (folder / "lake.jpg").write_bytes(jpeg((500, 400)))
    (folder / "tent.png").write_bytes(png())
    (folder / "notes.txt").write_text("not an image")
    (folder / "broken.jpg").write_bytes(b"not really a jpeg")

    user = create_user("hiker")
    _token, secret = tokens.create_token(user, "trip script", None)
    db.session.commit()

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        result = subprocess.run(
            [sys.executable, str(tmp_path / "upload_folder.py"), str(folder)],
            env={"GALLERY_URL": f"http://127.0.0.1:{server.server_port}", "GALLERY_TOKEN": secret},
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("broken.jpg 415 ")
    assert re.match(r"lake\.jpg 201 /images/\d+$", lines[1])
    assert re.match(r"tent\.png 201 /images/\d+$", lines[2])
    assert len(lines) == 3
    db.session.expire_all()
    captions = sorted(db.session.scalars(select(Image.caption).where(Image.user_id == user.id)))
    assert captions == ["lake", "tent"]
