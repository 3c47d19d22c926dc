#!/usr/bin/env python3
"""Real patches as a PNG grid laid out like `hm-dist sample`'s, to set beside a machine's
samples (numpy and zlib only).

    scripts/patch_grid.py PATCHES.idx3.gz OUT.png [--split valid] [--count 100] [--first 0] [--scale 3]

PATCHES is one IDX images file (gzip-compressed or plain) with values in [0, 1], split as
hm-dist splits a single file (the last tenth, rounded down, is the valid split). The grid is
hm-dist's: ceil(sqrt(count)) tiles per row, each pixel scaled up `scale` times, 1-pixel grey
(128) lines between tiles and in empty cells, value v shown as round(255 v) clamped to
0..255 (1 is white), 8-bit greyscale."""
import argparse
import math
import struct
import zlib

import numpy as np

from gaussian_baselines import read_idx, split


def tile(images, rows, columns, scale=3, separator=128):
    """hm-dist's PNG.tile: the images ([N, rows*columns] in [0, 1]) as one uint8 grid."""
    across = max(1, math.ceil(math.sqrt(len(images))))
    down = (len(images) + across - 1) // across
    tile_w, tile_h = columns * scale, rows * scale
    grid = np.full((down * (tile_h + 1) - 1, across * (tile_w + 1) - 1), separator, dtype=np.uint8)
    for index, values in enumerate(images):
        gray = np.clip(np.nan_to_num(np.floor(np.asarray(values, dtype=np.float32) * np.float32(255) + np.float32(0.5)), nan=0), 0, 255)
        block = np.kron(gray.reshape(rows, columns), np.ones((scale, scale))).astype(np.uint8)
        top, left = (index // across) * (tile_h + 1), (index % across) * (tile_w + 1)
        grid[top:top + tile_h, left:left + tile_w] = block
    return grid


def png(gray):
    """An 8-bit greyscale PNG of a 2-D uint8 array: IHDR, one IDAT (filter 0 on every row), IEND."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    height, width = gray.shape
    raw = b"".join(b"\x00" + gray[row].tobytes() for row in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("patches")
    parser.add_argument("out")
    parser.add_argument("--split", choices=["train", "valid"], default="valid")
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--first", type=int, default=0, help="index of the first patch in the split")
    parser.add_argument("--scale", type=int, default=3)
    args = parser.parse_args()
    values, shape = read_idx(args.patches)
    train, valid = split(values)
    chosen = (valid if args.split == "valid" else train)[args.first:args.first + args.count]
    if len(chosen) == 0 or args.scale <= 0:
        parser.error("nothing to draw: check --first, --count and --scale")
    rows, columns = (shape[0], shape[1]) if len(shape) == 2 else (1, int(np.prod(shape)))
    with open(args.out, "wb") as f:
        f.write(png(tile(chosen, rows, columns, args.scale)))
    print(f"wrote {len(chosen)} patches ({rows}×{columns}) of the {args.split} split to {args.out}")


if __name__ == "__main__":
    main()
