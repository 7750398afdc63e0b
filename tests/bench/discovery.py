"""Discovery benchmark: search and the Following feed at 1M images on MariaDB.

`make bench` runs it when GALLERY_BENCH_DATABASE_URL names a MariaDB database that
the benchmark may fill (it creates the tables; rows are generated once with bulk
INSERT … SELECT from MariaDB's sequence engine, with progress, and reused on the next
run). GALLERY_BENCH_IMAGES sets the size (default 1000000).

It times the service calls a request makes (query + cards, no page cache), median
of GALLERY_BENCH_REPEAT runs, and prints each with its ratio to page 1 of the latest
feed. Targets (issue 13): search < 50 ms at the median; Following stays fast for a
member who follows 500 accounts, also when they all posted long ago.

    GALLERY_BENCH_DATABASE_URL='mysql+pymysql://root@127.0.0.1:3306/gallery_bench?charset=utf8mb4' \
        .venv/bin/python -m tests.bench.discovery
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

EN = (
    "sunset beach mountain forest river city night street portrait coffee "
    "flower garden winter summer autumn spring ocean desert bridge tower "
    "train bicycle market festival lantern temple bamboo panda tiger eagle "
    "snow rain cloud storm lake island harbour castle village farm "
    "horse dog cat bird fish tree leaf stone sand sky"
).split()
ZH = (
    "猫咪 夕阳 海边 山水 城市 夜景 街道 咖啡 花园 冬天 夏天 秋天 春天 沙漠 桥梁 古塔 "
    "火车 单车 市场 节日 灯笼 寺庙 竹林 熊猫 老虎 雪山 下雨 云海 湖泊 海岛 港口 城堡 "
    "村庄 农场 骏马 小狗 小鸟 金鱼 大树 星空"
).split()
USERS = 10_000  # active accounts owning the N generated images
QUIET = 500  # accounts whose 20 images each are 400 days old
BATCH = 100_000


def elt(expression: str, words: tuple[str, ...] | list[str]) -> str:
    quoted = ", ".join("'" + word + "'" for word in words)
    return f"ELT(1 + ({expression}), {quoted})"


def generate(connection: Any, images: int, echo: Callable[[str], None]) -> None:
    """Users, images, search terms and follows, in bulk statements with progress."""
    started = time.perf_counter()

    def progress(label: str, done: int, total: int) -> None:
        echo(f"  {label}: {done:,}/{total:,} ({time.perf_counter() - started:.1f} s)")

    total_users = USERS + QUIET + 2
    connection.execute(
        text(
            "INSERT INTO user (id, email, username, fs_uniquifier, active, password, "
            "confirmed_at, create_datetime, update_datetime) "
            "SELECT seq, CONCAT('bench', seq, '@bench.local'), CONCAT('bench', seq), "
            "CONCAT('u', seq), 1, 'x', NOW(), NOW(), NOW() "
            f"FROM seq_1_to_{total_users}"
        )
    )
    progress("users", total_users, total_users)
    en = elt("seq % 50", EN)
    zh = elt("(seq DIV 50) % 40", ZH)
    for low in range(1, images + 1, BATCH):
        high = min(images, low + BATCH - 1)
        connection.execute(
            text(
                "INSERT INTO image (id, user_id, caption, status, created_at, updated_at, "
                "storage_key, format, sha256, width, height, byte_size, placeholder, views, "
                "comment_count, like_count, shop_clicks, hot_score, source) "
                f"SELECT seq, 1 + seq % {USERS}, CONCAT({en}, ' ', {zh}, ' photo'), 'visible', "
                f"NOW() - INTERVAL ({images} - seq) SECOND, NOW(), CONCAT('b', seq), 'jpeg', "
                "CONCAT('s', seq), 640, 480, 1000, '#cccccc', 0, 0, 0, 0, seq / 43200, 'seed' "
                f"FROM seq_{low}_to_{high}"
            )
        )
        progress("images", high, images)
    quiet_first = images + 1
    quiet_last = images + QUIET * 20
    connection.execute(
        text(
            "INSERT INTO image (id, user_id, caption, status, created_at, updated_at, "
            "storage_key, format, sha256, width, height, byte_size, placeholder, views, "
            "comment_count, like_count, shop_clicks, hot_score, source) "
            f"SELECT seq, {USERS} + 1 + seq % {QUIET}, 'an old one', 'visible', "
            "NOW() - INTERVAL 400 DAY - INTERVAL seq SECOND, NOW(), CONCAT('b', seq), 'jpeg', "
            "CONCAT('s', seq), 640, 480, 1000, '#cccccc', 0, 0, 0, 0, 0, 'seed' "
            f"FROM seq_{quiet_first}_to_{quiet_last}"
        )
    )
    progress("images of the quiet accounts", QUIET * 20, QUIET * 20)
    terms = (
        (en, "English word"),
        (zh, "Chinese bigram"),
        (f"LEFT({zh}, 1)", "Chinese first character"),
        (f"RIGHT({zh}, 1)", "Chinese second character"),
    )
    for expression, label in terms:
        for low in range(1, images + 1, BATCH * 5):
            high = min(images, low + BATCH * 5 - 1)
            connection.execute(
                text(
                    "INSERT IGNORE INTO search_term (term, image_id, weight) "
                    f"SELECT {expression}, seq, 1 FROM seq_{low}_to_{high}"
                )
            )
            progress(f"search terms ({label})", high, images)
    quiet_member, busy_member = USERS + QUIET + 1, USERS + QUIET + 2
    connection.execute(
        text(
            "INSERT INTO follow (follower_id, followed_id, created_at) "
            f"SELECT {quiet_member}, {USERS} + seq, NOW() FROM seq_1_to_{QUIET}"
        )
    )
    connection.execute(
        text(
            "INSERT INTO follow (follower_id, followed_id, created_at) "
            f"SELECT {busy_member}, seq, NOW() FROM seq_1_to_{QUIET}"
        )
    )
    progress("follows", 2 * QUIET, 2 * QUIET)
    connection.execute(text("ANALYZE TABLE image, search_term, follow"))


def median_ms(call: Callable[[], Any], repeat: int) -> float:
    for _ in range(3):
        call()
    times = []
    for _ in range(repeat):
        begin = time.perf_counter()
        call()
        times.append((time.perf_counter() - begin) * 1000)
    return statistics.median(times)


def run(echo: Callable[[str], None]) -> None:
    url = os.environ.get("GALLERY_BENCH_DATABASE_URL", "")
    if not url.startswith("mysql"):
        echo("skipped: set GALLERY_BENCH_DATABASE_URL to a MariaDB database the bench may fill")
        return
    images = int(os.environ.get("GALLERY_BENCH_IMAGES", "1000000"))
    repeat = int(os.environ.get("GALLERY_BENCH_REPEAT", "30"))
    from gallery import create_app
    from gallery.extensions import db
    from gallery.feeds import latest, search
    from gallery.feeds.cards import cards
    from gallery.feeds.following import following_page
    from gallery.models import Image, User

    folder = Path(tempfile.mkdtemp(prefix="gallery-bench-"))
    os.environ.setdefault("GALLERY_INSTANCE_PATH", str(folder / "instance"))
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "REDIS_URL": None,
            "SECRET_KEY": "bench",
            "SECURITY_PASSWORD_SALT": "bench",
            "MEDIA_ROOT": str(folder / "media"),
        }
    )
    with app.app_context():
        db.create_all()
        count = db.session.scalar(select(func.count(Image.id)))
        if count != images + QUIET * 20:
            echo(f"generating {images:,} images (found {count:,}) …")
            db.session.remove()
            with db.engine.begin() as connection:
                for table in ("notification", "follow", "search_term", "image_tag", "image"):
                    connection.execute(text(f"DELETE FROM {table}"))
                connection.execute(text("DELETE FROM user WHERE username LIKE 'bench%'"))
                generate(connection, images, echo)
        quiet_member = db.session.get(User, USERS + QUIET + 1)
        busy_member = db.session.get(User, USERS + QUIET + 2)

        def timed(call: Callable[[], Any]) -> Callable[[], Any]:
            def once() -> Any:
                with app.test_request_context("/"):
                    page = call()
                    result = cards(page.images)
                    db.session.rollback()
                    return result

            return once

        def find(q: str, cursor: str | None = None) -> Callable[[], Any]:
            return lambda: search.search_images(q, cursor, 20)

        second = search.search_images("sunset", None, 20).next_cursor
        cases = [
            ("latest feed, page 1", lambda: latest.latest_page(None, 20)),
            ("search 'sunset' (20,000 matches)", find("sunset")),
            ("search 'sunset', page 2", find("sunset", second)),
            ("search '猫咪' (2-character Chinese)", find("猫咪")),
            ("search 'sunset 猫咪' (both words)", find("sunset 猫咪")),
            ("search 'qwertyuiop' (no match)", find("qwertyuiop")),
            (
                "Following, 500 accounts who posted 400 days ago",
                lambda: following_page(quiet_member, None, 20),
            ),
            ("Following, 500 busy accounts", lambda: following_page(busy_member, None, 20)),
        ]
        backend = db.engine.dialect.name
        echo(f"{images:,} images on {backend}; median of {repeat} runs (query + cards)")
        baseline = None
        for label, call in cases:
            ms = median_ms(timed(call), repeat)
            baseline = baseline or ms
            echo(f"  {label:<52} {ms:7.2f} ms   {ms / baseline:5.2f}× latest page 1")


if __name__ == "__main__":
    run(print)
