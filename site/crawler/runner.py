"""Run one crawl in this process: Scrapy settings, the gallery side of the spider, the record.

Scrapy's Twisted reactor can start only once per process; `flask crawl` runs
one crawl and exits, and the tests run each crawl as its own `flask crawl`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app
from scrapy.crawler import CrawlerProcess
from sqlalchemy import select

from gallery.crawler.extract import FoundImage
from gallery.crawler.middleware import POLICY_SETTING
from gallery.crawler.safety import AddressPolicy
from gallery.crawler.spider import CRAWL_LABELS, CrawlOptions, GallerySpider
from gallery.extensions import db
from gallery.media.importer import ensure_account
from gallery.media.runs import Tally, ingest_counted, progress_stream, recorded_run, summary
from gallery.models import PENDING, SOURCE_CRAWL, VISIBLE, Image, User


def url_hash(url: str) -> str:
    """Image.source_url_hash of an image URL (the hash gallery.media.ingest.ingest stores)."""
    return hashlib.sha256(url.encode()).hexdigest()


def bot_identity(config: Any) -> tuple[str, str]:
    """(robots.txt token, User-Agent): an honest name for the site's crawler."""
    name = config["CRAWL_BOT_NAME"] or re.sub(r"\W", "", config["SITE_NAME"]) + "Bot"
    contact = config["CRAWL_CONTACT_URL"]
    about = f"+{contact}; " if contact else ""
    return name, f"{name}/1.0 ({about}image crawler of {config['SITE_NAME']})"


OPTION_CONFIG = {
    "username": "CRAWL_USER",
    "max_pages": "CRAWL_MAX_PAGES",
    "max_images": "CRAWL_MAX_IMAGES",
    "delay": "CRAWL_DOWNLOAD_DELAY",
    "concurrency": "CRAWL_CONCURRENCY_PER_HOST",
    "min_size": "CRAWL_MIN_IMAGE_SIZE",
    "max_image_bytes": "CRAWL_MAX_IMAGE_BYTES",
    "max_page_bytes": "CRAWL_MAX_PAGE_BYTES",
    "max_total_bytes": "CRAWL_MAX_TOTAL_BYTES",
    "time_limit": "CRAWL_TIME_LIMIT",
    "request_timeout": "CRAWL_REQUEST_TIMEOUT",
}
GIVEN_NAMES = {"max_bytes": "max_total_bytes"}


def build_options(
    config: Any, url: str, allow_nets: tuple[str, ...], given: dict[str, Any]
) -> CrawlOptions:
    """Command-line values over the CRAWL_* config; ValueError says what is wrong."""
    values = {GIVEN_NAMES.get(k, k): v for k, v in given.items() if v is not None}
    policy = AddressPolicy.build(bool(values.pop("allow_private", False)), allow_nets)
    for name, key in OPTION_CONFIG.items():
        values.setdefault(name, config[key])
    check_url_shape(url)
    if values["delay"] < config["CRAWL_MIN_DELAY"] and not policy.local_allowed:
        raise ValueError(
            f"--delay below {config['CRAWL_MIN_DELAY']} s is only for local test servers"
            " (with --allow-private or --allow-net)"
        )
    if not 1 <= int(values["concurrency"]) <= 2:
        raise ValueError("concurrency per host must be 1 or 2")
    values["max_image_bytes"] = min(values["max_image_bytes"], config["MAX_CONTENT_LENGTH"])
    robots_agent, user_agent = bot_identity(config)
    return CrawlOptions(
        start_url=url, policy=policy, robots_agent=robots_agent, user_agent=user_agent, **values
    )


def check_url_shape(url: str) -> None:
    """Only absolute http(s) start URLs (the addresses are checked when fetched)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not an http(s) address")


def crawl_settings(options: CrawlOptions) -> dict[str, Any]:
    """Scrapy settings that carry the politeness and safety rules."""
    delay = options.delay
    return {
        "BOT_NAME": options.robots_agent,
        "USER_AGENT": options.user_agent,
        "ROBOTSTXT_OBEY": True,
        "ROBOTSTXT_USER_AGENT": options.robots_agent,
        "DOWNLOAD_DELAY": delay,
        "AUTOTHROTTLE_ENABLED": True,
        "AUTOTHROTTLE_START_DELAY": delay,
        "AUTOTHROTTLE_MAX_DELAY": max(30.0, delay * 10),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(options.concurrency),
        "CONCURRENT_REQUESTS": 8,
        "CONCURRENT_REQUESTS_PER_DOMAIN": options.concurrency,
        "DOWNLOAD_MAXSIZE": options.max_page_bytes,
        "DOWNLOAD_WARNSIZE": options.max_page_bytes // 2,
        "DOWNLOAD_TIMEOUT": options.request_timeout,
        "CLOSESPIDER_TIMEOUT": options.time_limit,
        "REDIRECT_MAX_TIMES": 5,
        "RETRY_TIMES": 1,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "DEPTH_PRIORITY": 1,  # breadth first: the pages nearest the start come first
        "SCHEDULER_MEMORY_QUEUE": "scrapy.squeues.FifoMemoryQueue",
        "SCHEDULER_DISK_QUEUE": "scrapy.squeues.PickleFifoDiskQueue",
        "LOG_LEVEL": "INFO" if options.verbose else "ERROR",
        "DOWNLOADER_MIDDLEWARES": {
            "gallery.crawler.middleware.SafetyMiddleware": 50,
            # a proxy from the environment would hide the real destination
            "scrapy.downloadermiddlewares.httpproxy.HttpProxyMiddleware": None,
        },
        "ITEM_PIPELINES": {"gallery.crawler.pipeline.StorePipeline": 300},
        "TWISTED_DNS_RESOLVER": "gallery.crawler.middleware.SafeResolver",
        POLICY_SETTING: options.policy,
    }


def gallery_side(
    app: Flask, options: CrawlOptions, user_id: int, tally: Tally
) -> tuple[Callable[[str], int | None], Callable[[FoundImage, bytes], None]]:
    """The two calls the spider makes into the gallery: is_known(url) and store(found, data)."""
    status = VISIBLE if options.publish else PENDING

    def is_known(url: str) -> int | None:
        with app.app_context():
            return db.session.scalar(
                select(Image.id).where(Image.source_url_hash == url_hash(url)).limit(1)
            )

    def store(found: FoundImage, data: bytes) -> None:
        with app.app_context():
            try:
                ingest_counted(
                    tally,
                    found.url,
                    db.session.get(User, user_id),
                    data,
                    caption=found.caption,
                    source=SOURCE_CRAWL,
                    source_url=found.url,
                    source_page_url=found.page_url,
                    licence=found.licence,
                    credit=found.credit,
                    status=status,
                    dedupe_scope="global",
                )
            except Exception as error:  # noqa: BLE001 - one bad image must not end the crawl
                current_app.logger.exception("storing %s failed", found.url)
                tally.rejected(found.url, f"could not be stored ({type(error).__name__})")

    return is_known, store


def run_crawl(
    options: CrawlOptions,
    echo: Callable[[str], None],
    listener: Callable[[Tally], None] | None = None,
) -> Tally:
    """Crawl, store, record the run; return the tally (its finish_reason says how it ended)."""
    app = current_app._get_current_object()
    user, created = ensure_account(options.username)
    db.session.commit()
    if created:
        echo(f"created the account '{user.username}' for crawled images")
    tally = Tally(labels=CRAWL_LABELS, stream=progress_stream(), listener=listener)
    with recorded_run("crawl", options.as_args(), tally):
        is_known, store = gallery_side(app, options, user.id, tally)
        process = CrawlerProcess(settings=crawl_settings(options))
        process.crawl(GallerySpider, options=options, tally=tally, is_known=is_known, store=store)
        process.start()
        tally.close()
    for item in tally.items:
        if item["outcome"] in ("rejected", "skipped"):
            echo(f"  {item['outcome']} {item['what']}: {item['reason']}")
    echo(summary("crawl", tally))
    return tally
