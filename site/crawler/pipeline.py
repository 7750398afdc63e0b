"""The item pipeline: each downloaded image goes through the gallery's upload pipeline."""

from __future__ import annotations

from typing import Any


class StorePipeline:
    """Hand the image bytes to the spider's `store` (which calls gallery.media.ingest.ingest)."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> StorePipeline:
        return cls(crawler)

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        spider = self.crawler.spider
        found = item["found"]
        spider.store(found, item["data"])
        # keep the bytes out of Scrapy's logs and stats
        return {"url": found.url, "page_url": found.page_url}
