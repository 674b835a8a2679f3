"""Perceptual hashes of photos and distances between photos and places.

`perceptual_hash` is a 64-bit DCT hash (pHash): the picture is reduced to 32×32 grey levels, the
lowest 8×8 frequencies of its discrete cosine transform are kept, and each bit says whether one of
them lies above their median. Re-encoding, resizing, small crops, brightness changes and added
text leave it nearly unchanged; different pictures differ in about half of the 64 bits.
Written with Pillow alone (no numpy): the transform is separable and only 8 of 32 frequencies are
computed per direction, so one hash costs about 10,000 multiplications.

`near_pairs` finds every pair of hashes within a Hamming distance without comparing all pairs
(multi-index hashing: split into blocks, by the pigeonhole principle one block of a close pair
differs in at most ⌊radius / blocks⌋ bits, so each hash is looked up with those few bit flips only).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from functools import lru_cache
from itertools import combinations
from operator import mul
from typing import IO, Any

from PIL import Image, ImageOps

HASH_SIZE = 8  # 8×8 = 64 bits
SAMPLE_SIZE = 32
EARTH_RADIUS_KM = 6371.0088


@lru_cache(maxsize=1)
def _cosines() -> tuple[tuple[float, ...], ...]:
    """cos((2x + 1) u π / 2N) for the 8 lowest frequencies u and the 32 sample positions x."""
    n = SAMPLE_SIZE
    return tuple(tuple(math.cos((2 * x + 1) * u * math.pi / (2 * n)) for x in range(n)) for u in range(HASH_SIZE))


def hash_image(image: Image.Image) -> str:
    """The 64-bit perceptual hash of a decoded image, as 16 hex digits."""
    upright = ImageOps.exif_transpose(image) or image
    grey = upright.convert("L").resize((SAMPLE_SIZE, SAMPLE_SIZE), Image.Resampling.LANCZOS)
    return f"{_band_bits(grey):016x}"


def _band_bits(band: Image.Image) -> int:
    """64 bits of one 32×32 band: its 8×8 lowest DCT frequencies against their median."""
    pixels = list(band.tobytes())  # one byte per pixel
    rows = [pixels[y * SAMPLE_SIZE:(y + 1) * SAMPLE_SIZE] for y in range(SAMPLE_SIZE)]
    cos = _cosines()
    # transform each row for the low horizontal frequencies, then each of those columns
    row_freq = [[sum(map(mul, basis, row)) for basis in cos] for row in rows]
    columns = list(zip(*row_freq, strict=True))  # per horizontal frequency, its 32 values down the rows
    coefficients = [sum(map(mul, cos[v], columns[u])) for v in range(HASH_SIZE) for u in range(HASH_SIZE)]
    # the DC term (overall brightness) says nothing about the picture's structure
    median = sorted(coefficients[1:])[(len(coefficients) - 1) // 2]
    value = 0
    for coefficient in coefficients:
        value = (value << 1) | (coefficient > median)
    return value


def colour_hash(file: IO[bytes] | Any) -> int | None:
    """A 192-bit hash for confirming a near-duplicate: the 64-bit hash of each of the luma and the two
    colour-difference bands (YCbCr). Sixty-four bits of brightness alone confuse unrelated landscapes
    with the same horizon now and then; with colour, edited copies stay within about 35 bits and
    unrelated photos lie 50 or more apart. None when the file does not decode."""
    try:
        with Image.open(file) as image:
            if image.format in ("JPEG", "MPO"):
                image.draft("RGB", (SAMPLE_SIZE * 8, SAMPLE_SIZE * 8))
            image.load()
            upright = ImageOps.exif_transpose(image) or image
            bands = upright.convert("YCbCr").resize((SAMPLE_SIZE, SAMPLE_SIZE), Image.Resampling.LANCZOS).split()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None
    value = 0
    for band in bands:
        value = (value << 64) | _band_bits(band)
    return value


def perceptual_hash(file: IO[bytes] | Any) -> str:
    """The hash of an image file (path or binary file object), or "" when it does not decode.
    Large JPEGs are decoded at reduced scale: the hash only needs 32×32 pixels."""
    try:
        with Image.open(file) as image:
            if image.format in ("JPEG", "MPO"):
                image.draft("RGB", (SAMPLE_SIZE * 8, SAMPLE_SIZE * 8))
            image.load()
            return hash_image(image)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return ""


def hamming(a: str, b: str) -> int:
    """Bits in which two hashes differ."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


def near_pairs(hashes: Sequence[tuple[Any, str]], radius: int, *, blocks: int = 4) -> Iterator[tuple[Any, Any, int]]:
    """Every pair (id_a, id_b, distance) of hashes at most `radius` bits apart, each pair once.

    `hashes` holds (id, 16 hex digits). The 64 bits are cut into `blocks` blocks; a pair within the
    radius agrees, in at least one block, up to ⌊radius / blocks⌋ flipped bits. Each hash is filed
    under its exact blocks, and looked up with every variant of its blocks within that many flips.
    """
    width = 64 // blocks
    mask = (1 << width) - 1
    flips = radius // blocks
    values = [(key, int(text, 16)) for key, text in hashes if text]
    tables: list[dict[int, list[int]]] = [defaultdict(list) for _ in range(blocks)]
    for index, (_key, value) in enumerate(values):
        for b in range(blocks):
            tables[b][(value >> (b * width)) & mask].append(index)
    variants = [0, *_bit_masks(width, flips)]
    seen: set[tuple[int, int]] = set()
    for index, (key, value) in enumerate(values):
        for b in range(blocks):
            part = (value >> (b * width)) & mask
            table = tables[b]
            for flip in variants:
                for other in table.get(part ^ flip, ()):
                    if other <= index or (index, other) in seen:
                        continue
                    distance = (value ^ values[other][1]).bit_count()
                    if distance <= radius:
                        seen.add((index, other))
                        yield key, values[other][0], distance


def _bit_masks(width: int, flips: int) -> list[int]:
    masks: list[int] = []
    for count in range(1, flips + 1):
        for bits in combinations(range(width), count):
            masks.append(sum(1 << bit for bit in bits))
    return masks


def distance_km(lat1: float | Decimal, lon1: float | Decimal, lat2: float | Decimal, lon2: float | Decimal) -> float:
    """Great-circle distance in kilometres (haversine)."""
    p1, p2 = math.radians(float(lat1)), math.radians(float(lat2))
    dp, dl = p2 - p1, math.radians(float(lon2) - float(lon1))
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def group_close(hashes: Iterable[tuple[Any, str]], radius: int) -> dict[Any, list[tuple[Any, int]]]:
    """For each id, the ids within `radius` bits and their distances (both directions)."""
    close: dict[Any, list[tuple[Any, int]]] = defaultdict(list)
    for a, b, d in near_pairs(list(hashes), radius):
        close[a].append((b, d))
        close[b].append((a, d))
    return close
