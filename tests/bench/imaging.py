"""Variants of a 12-megapixel JPEG: the draft/reducing_gap path against a naive Pillow resize.

Each approach runs in a fresh Python process on the same file, so that peak
memory is its own: `tracemalloc` peak (the Python heap; Pillow's pixel buffers
are allocated in C and do not show there, so it mostly counts the encoded
bytes) and the growth of the process's peak resident memory (VmHWM), which
does include the pixels. Time is the best of
several runs. Run with `make bench` or `python -m tests.bench.imaging`.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

SIZE = (4000, 3000)  # 12 megapixels
RUNS = 3
APPROACHES = ("draft", "naive", "full")
LABELS = {
    "draft": "gallery variants (draft + reducing_gap)",
    "naive": "naive Pillow open + resize",
    "full": "gallery render() incl. clean original",
}


def make_jpeg(path: Path) -> None:
    """A photo-like 12 MP JPEG: gradients plus noise, so it does not compress to nothing."""
    from PIL import Image

    width, height = SIZE
    red = Image.linear_gradient("L").resize(SIZE)
    green = Image.linear_gradient("L").rotate(90).resize(SIZE)
    noise = Image.effect_noise(SIZE, 64)
    image = Image.merge("RGB", (red, green, noise))
    image.save(path, "JPEG", quality=90)


def naive_variants(data: bytes) -> dict[str, bytes]:
    """What a first version would do: decode everything, resize the full image twice."""
    from PIL import Image, ImageOps

    image = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")
    files = {}
    for name, bound in (("medium", 1080), ("thumb", 320)):
        scale = bound / max(image.size)
        size = (round(image.width * scale), round(image.height * scale))
        out = io.BytesIO()
        image.resize(size, Image.Resampling.LANCZOS).save(out, "JPEG", quality=88)
        files[name] = out.getvalue()
    return files


def approach(name: str) -> Callable[[bytes], object]:
    from gallery.media import imaging

    if name == "draft":
        return lambda data: imaging.render_variants(data, "jpeg", imaging.Limits())
    if name == "full":
        return lambda data: imaging.render(data)
    return naive_variants


def rss_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def measure_one(name: str, path: Path) -> dict[str, float]:
    """In this (fresh) process: best time, tracemalloc peak, peak RSS growth."""
    data = path.read_bytes()
    run = approach(name)
    baseline = rss_kib("VmRSS")
    run(data)  # first run: imports plugins; the high-water mark of the pixels is the same
    rss_peak = rss_kib("VmHWM") - baseline
    tracemalloc.start()
    run(data)
    traced_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        run(data)
        times.append(time.perf_counter() - started)
    return {"seconds": min(times), "traced_mib": traced_peak / 2**20, "rss_mib": rss_peak / 1024}


def run(echo: Callable[[str], None]) -> None:
    """Measure every approach in its own process and print them side by side."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "12mp.jpg"
        make_jpeg(path)
        echo(
            f"input: {SIZE[0]}×{SIZE[1]} JPEG, {path.stat().st_size / 2**20:.1f} MiB; "
            f"best of {RUNS} runs; each approach in a fresh process"
        )
        results = {}
        for name in APPROACHES:
            output = subprocess.run(
                [sys.executable, "-m", "tests.bench.imaging", "--one", name, str(path)],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            results[name] = json.loads(output.strip().splitlines()[-1])
    echo(f"{'approach':<42} {'time':>9} {'tracemalloc peak':>17} {'peak RSS growth':>16}")
    for name in APPROACHES:
        r = results[name]
        echo(
            f"{LABELS[name]:<42} {r['seconds'] * 1000:>7.0f}ms {r['traced_mib']:>13.1f} MiB "
            f"{r['rss_mib']:>12.1f} MiB"
        )
    draft, naive = results["draft"], results["naive"]
    echo(
        f"naive / draft: time ×{naive['seconds'] / draft['seconds']:.1f}, "
        f"peak RSS growth ×{naive['rss_mib'] / max(draft['rss_mib'], 0.1):.1f}, "
        f"tracemalloc peak ×{naive['traced_mib'] / max(draft['traced_mib'], 0.001):.1f}"
    )


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--one":
        print(json.dumps(measure_one(sys.argv[2], Path(sys.argv[3]))))
    else:
        run(print)
