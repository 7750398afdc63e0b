"""What a page offers: its images (with caption, licence and credit) and its links to follow."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

from parsel import Selector

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".gif", ".webp"})
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
SKIP_SUFFIXES = frozenset(
    ".svg .ico .bmp .tif .tiff .avif .heic .pdf .zip .gz .tar .mp3 .mp4 .webm .mov .avi"
    " .css .js .json .xml .rss .woff .woff2 .ttf .exe .dmg .doc .docx .xls .xlsx .ppt".split()
)
IMAGE_TYPES_LD = ("ImageObject", "Photograph")
_SPACE = re.compile(r"\s+")
# the nearest enclosing block that describes one image: a figure or a microdata image item
_IMAGE_BLOCK = (
    "self::figure or contains(@itemtype, 'ImageObject') or contains(@itemtype, 'Photograph')"
)
CONTAINER = f"ancestor::*[{_IMAGE_BLOCK}][1]"
# page-wide statements are those outside every such block
OUTSIDE = f"[not(ancestor::*[{_IMAGE_BLOCK}])]"
LICENCE_LINK = ".//*[@rel][contains(concat(' ', normalize-space(@rel), ' '), ' license ')]"
CREDIT_CLASSES = ("credit", "byline", "attribution", "photographer")


@dataclass
class FoundImage:
    """One image reference on a page, with what the page says about it."""

    url: str
    page_url: str
    caption: str = ""
    licence: str | None = None
    credit: str | None = None


@dataclass
class PageFindings:
    images: list[FoundImage] = field(default_factory=list)
    links: list[str] = field(default_factory=list)  # same-site pages, rel=next first


def clean(text: str | None, limit: int = 255) -> str:
    """Collapse white space and cut to the column's length."""
    return _SPACE.sub(" ", text or "").strip()[:limit]


def absolute(base: str, href: str | None) -> str | None:
    """An absolute http(s) URL without fragment, or None."""
    href = (href or "").strip()
    if not href or href.startswith(("data:", "javascript:", "mailto:")):
        return None
    url = urldefrag(urljoin(base, href))[0]
    return url if urlsplit(url).scheme in ("http", "https") else None


def suffix(url: str) -> str:
    return PurePosixPath(urlsplit(url).path).suffix.lower()


def parse_srcset(value: str | None) -> list[tuple[str, float, str]]:
    """(url, size, unit) per candidate of a srcset; unit is 'w', 'x' or ''."""
    candidates = []
    for part in (value or "").split(","):
        pieces = part.strip().split()
        if not pieces:
            continue
        size, unit = 0.0, ""
        if len(pieces) > 1 and pieces[1][-1:] in ("w", "x"):
            try:
                size, unit = float(pieces[1][:-1]), pieces[1][-1]
            except ValueError:
                pass
        candidates.append((pieces[0], size, unit))
    return candidates


def best_candidate(candidates: list[tuple[str, float, str]]) -> str | None:
    """The widest candidate when widths are given, else the densest, else the first."""
    for unit in ("w", "x"):
        sized = [c for c in candidates if c[2] == unit]
        if sized:
            return max(sized, key=lambda c: c[1])[0]
    return candidates[0][0] if candidates else None


def licence_text(name: str | None, url: str | None) -> str | None:
    """'CC BY 4.0 (https://…)', or whichever of the two is known."""
    name, url = clean(name, 120), clean(url, 200)
    if name and url and name != url:
        return f"{name} ({url})"[:255]
    return (url or name) or None


class Page:
    """One parsed HTML page."""

    def __init__(self, url: str, html: str) -> None:
        self.sel = Selector(text=html)
        base = self.sel.xpath("//base/@href").get()
        self.url = url
        self.base = absolute(url, base) or url
        self.ld_images, self.ld_page = self._json_ld()
        self.page_licence = self._licence(self.sel, OUTSIDE) or self.ld_page.get("licence")
        self.page_credit = (
            self._credit(self.sel, OUTSIDE)
            or self.ld_page.get("credit")
            or clean(self.sel.xpath("//meta[@name='author']/@content").get())
            or None
        )

    def findings(self, site_hosts: set[str]) -> PageFindings:
        found = PageFindings(images=self._images(), links=self._links(site_hosts))
        return found

    # images -----------------------------------------------------------------

    def _images(self) -> list[FoundImage]:
        images: dict[str, FoundImage] = {}
        for img in self.sel.xpath("//img[not(ancestor::picture)]"):
            if self._inside_image_link(img):
                continue  # a thumbnail: the link's full-size image is taken instead
            candidates = parse_srcset(img.xpath("@data-srcset").get() or img.xpath("@srcset").get())
            # lazy loading puts the real address in data-src and a placeholder in src
            sources = (img.xpath("@data-src").get(), img.xpath("@src").get())
            src = next((s for s in sources if s and not s.startswith("data:")), None)
            chosen = best_candidate(candidates) if candidates else src
            self._add(images, chosen, img, img)
        for picture in self.sel.xpath("//picture[not(ancestor::picture)]"):
            if self._inside_image_link(picture):
                continue
            img = picture.xpath(".//img[1]")
            candidates = []
            for source in picture.xpath(".//source[@srcset]"):
                kind = source.xpath("@type").get()
                if kind is None or kind.strip().lower() in IMAGE_TYPES:
                    candidates.extend(parse_srcset(source.xpath("@srcset").get()))
            candidates.extend(parse_srcset(img.xpath("@srcset").get()))
            chosen = best_candidate(candidates) or img.xpath("@src").get()
            self._add(images, chosen, img, picture)
        for link in self.sel.xpath("//a[@href]"):
            url = absolute(self.base, link.xpath("@href").get())
            if url and suffix(url) in IMAGE_SUFFIXES:
                caption = link.xpath(".//img/@alt").get() or link.xpath("string(.)").get()
                self._add(images, url, link, link, caption=caption)
        for prop in ("og:image", "og:image:url", "og:image:secure_url"):
            for content in self.sel.xpath(f"//meta[@property='{prop}']/@content").getall():
                alt = self.sel.xpath("//meta[@property='og:image:alt']/@content").get()
                title = self.sel.xpath("//meta[@property='og:title']/@content").get()
                self._add(images, content, None, None, caption=alt or title)
        return list(images.values())

    def _inside_image_link(self, node: Selector) -> bool:
        url = absolute(self.base, node.xpath("ancestor::a[@href][1]/@href").get())
        return bool(url) and suffix(url or "") in IMAGE_SUFFIXES

    def _add(
        self,
        images: dict[str, FoundImage],
        href: str | None,
        element: Selector | Any,
        anchor: Selector | Any,
        caption: str | None = None,
    ) -> None:
        url = absolute(self.base, href)
        if not url or url in images or suffix(url) in SKIP_SUFFIXES:
            return
        if element is not None:
            caption = (
                element.xpath("@alt").get()
                or element.xpath("@title").get()
                or caption
                or element.xpath(f"{CONTAINER}//figcaption").xpath("string(.)").get()
            )
        container = anchor.xpath(CONTAINER) if anchor is not None else None
        ld = self.ld_images.get(url, {})
        licence = credit = None
        if container:
            licence, credit = self._licence(container[0]), self._credit(container[0])
        images[url] = FoundImage(
            url=url,
            page_url=self.url,
            caption=clean(caption, 500),
            licence=licence or ld.get("licence") or self.page_licence,
            credit=credit or ld.get("credit") or self.page_credit,
        )

    # licence and credit -------------------------------------------------------

    def _licence(self, scope: Selector, only: str = "") -> str | None:
        link = scope.xpath(LICENCE_LINK + only)
        if link:
            href = link[0].xpath("@href").get()
            return licence_text(link[0].xpath("string(.)").get(), absolute(self.base, href) or href)
        prop = scope.xpath(f".//*[@itemprop='license']{only}")
        if prop:
            p = prop[0]
            url = p.xpath("@href").get() or p.xpath("@content").get()
            return licence_text(p.xpath("string(.)").get(), absolute(self.base, url) or url)
        return None

    def _credit(self, scope: Selector, only: str = "") -> str | None:
        for prop in ("creator", "author", "copyrightHolder"):
            node = scope.xpath(f".//*[@itemprop='{prop}']{only}")
            if node:
                name = node[0].xpath(".//*[@itemprop='name']")
                text = (name or node)[0].xpath("@content").get() or (name or node)[0].xpath(
                    "string(.)"
                ).get()
                if clean(text):
                    return clean(text)
        author = scope.xpath(f".//*[@rel='author']{only}")
        if author and clean(author[0].xpath("string(.)").get()):
            return clean(author[0].xpath("string(.)").get())
        classes = " or ".join(
            f"contains(concat(' ', normalize-space(@class), ' '), ' {c} ')" for c in CREDIT_CLASSES
        )
        node = scope.xpath(f".//*[{classes}]{only}")
        if node and clean(node[0].xpath("string(.)").get()):
            return clean(node[0].xpath("string(.)").get())
        return None

    def _json_ld(self) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
        """Licence and credit per image URL, and for the page, from JSON-LD blocks."""
        per_image: dict[str, dict[str, str]] = {}
        page: dict[str, str] = {}
        for block in self.sel.xpath("//script[@type='application/ld+json']/text()").getall():
            try:
                data = json.loads(block)
            except ValueError:
                continue
            for node in _ld_nodes(data):
                info = {
                    k: v
                    for k, v in (
                        ("licence", _ld_licence(node.get("license"))),
                        ("credit", _ld_name(node.get("creator") or node.get("author"))),
                    )
                    if v
                }
                kinds = node.get("@type")
                kinds = kinds if isinstance(kinds, list) else [kinds]
                if any(k in IMAGE_TYPES_LD for k in kinds):
                    for key in ("contentUrl", "url"):
                        url = (
                            absolute(self.base, node.get(key))
                            if isinstance(node.get(key), str)
                            else None
                        )
                        if url:
                            per_image.setdefault(url, info)
                elif info and not page:
                    page = info
        return per_image, page

    # links --------------------------------------------------------------------

    def _links(self, site_hosts: set[str]) -> list[str]:
        hrefs = self.sel.xpath("//*[self::a or self::link][@rel='next']/@href").getall()
        hrefs += self.sel.xpath("//a[@href]/@href").getall()
        links: list[str] = []
        for href in hrefs:
            url = absolute(self.base, href)
            if (
                url
                and urlsplit(url).netloc in site_hosts
                and suffix(url) not in IMAGE_SUFFIXES | SKIP_SUFFIXES
                and url not in links
            ):
                links.append(url)
        return links


def _ld_nodes(data: Any) -> Iterator[dict[str, Any]]:
    """Every object in a JSON-LD document (lists and @graph included)."""
    if isinstance(data, list):
        for item in data:
            yield from _ld_nodes(item)
    elif isinstance(data, dict):
        yield data
        for key in ("@graph", "image", "associatedMedia", "mainEntity"):
            if key in data:
                yield from _ld_nodes(data[key])


def _ld_name(value: Any) -> str | None:
    if isinstance(value, list):
        names = [n for n in (_ld_name(v) for v in value) if n]
        return clean(", ".join(names)) or None
    if isinstance(value, dict):
        value = value.get("name")
    if not isinstance(value, str):
        return None
    return clean(value) or None


def _ld_licence(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        return licence_text(value.get("name"), value.get("url") or value.get("@id"))
    return licence_text(None, value) if isinstance(value, str) else None


def extract_page(url: str, html: str, site_hosts: set[str]) -> PageFindings:
    """Images and same-site links of one HTML page."""
    return Page(url, html).findings(site_hosts)
