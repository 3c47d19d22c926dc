#!/usr/bin/env python3
"""Helper of scripts/faults.sh (standard library only).

    faults_helper.py digest FILE.safetensors     SHA-256 of the tensors of an exported file
    faults_helper.py damage FILE SEED            damage FILE at random; prints what was done
    faults_helper.py names JSON DAMAGED_PATH     did `inspect --verify --json` name the file?

`digest` hashes every tensor's name, dtype, shape and bytes and leaves `__metadata__` out,
because the metadata names the run directory and the step directory the file came from:
two runs with the same parameters and training state have the same digest, bit for bit.
"""
import hashlib
import json
import os
import random
import struct
import sys


def digest(path):
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    header.pop("__metadata__", None)
    body = data[8 + n:]
    h = hashlib.sha256()
    for name in sorted(header):
        t = header[name]
        begin, end = t["data_offsets"]
        h.update(json.dumps([name, t["dtype"], t["shape"]]).encode())
        h.update(body[begin:end])
    return h.hexdigest()


DAMAGES = ["byte", "bitflip", "truncate", "delete", "zero", "append"]


def damage(path, seed):
    """One random single-file damage; the file's content always changes."""
    rng = random.Random(seed)
    kind = rng.choice(DAMAGES)
    data = bytearray(open(path, "rb").read())
    size = len(data)
    if kind == "delete":
        os.remove(path)
        return f"delete ({size} bytes)"
    if kind == "truncate":
        # Often by a few bytes (a lost tail), otherwise anywhere, down to empty.
        length = max(0, size - rng.randint(1, 8)) if rng.random() < 0.3 else rng.randrange(size)
        del data[length:]
        text = f"truncate {size} -> {length} bytes"
    elif kind == "byte":
        at = rng.randrange(size)
        old = data[at]
        data[at] = rng.choice([b for b in range(256) if b != old])
        text = f"byte at {at}: 0x{old:02x} -> 0x{data[at]:02x}"
    elif kind == "bitflip":
        at, bit = rng.randrange(size), rng.randrange(8)
        data[at] ^= 1 << bit
        text = f"bit {bit} of byte {at} flipped (0x{data[at] ^ (1 << bit):02x} -> 0x{data[at]:02x})"
    elif kind == "zero":
        for _ in range(1000):
            length = min(size, rng.choice([1, 4, 16, 64, 512, 4096]))
            at = rng.randrange(size - length + 1)
            if any(data[at:at + length]):
                break
        else:
            return damage(path, seed + 1_000_003)  # nothing non-zero to zero: another damage
        data[at:at + length] = bytes(length)
        text = f"zeroed {length} bytes at {at}"
    else:  # append
        count = rng.randint(1, 64)
        tail = rng.choice(["random", "zeros", "whitespace", "copy"])
        if tail == "random":
            extra = bytes(rng.randrange(256) for _ in range(count))
        elif tail == "zeros":
            extra = bytes(count)
        elif tail == "whitespace":
            extra = bytes(rng.choice(b" \n\t\r") for _ in range(count))
        else:
            extra = bytes(data[-count:]) if size else b"x"
        data += extra
        text = f"appended {len(extra)} {tail} bytes"
    with open(path, "wb") as f:
        f.write(data)
    return text


def names(json_path, damaged):
    """The problem of `inspect --verify --json` that names the damaged file, if any: its path,
    or (for a file whose damage shows up in another, e.g. manifest.sha256 against
    manifest.json) a path in the same directory whose reason names the file."""
    try:
        report = json.load(open(json_path))
    except ValueError as e:
        return None, f"no JSON from inspect --verify --json ({e})"
    if report.get("verified") is not False:
        return None, "inspect --verify reports the step verified"
    base = os.path.basename(damaged)
    for p in report.get("problems", []):
        path, reason = p.get("path", ""), p.get("reason", "")
        if not reason:
            continue
        if os.path.normpath(path) == os.path.normpath(damaged):
            return p, None
        if os.path.dirname(os.path.normpath(path)) == os.path.dirname(os.path.normpath(damaged)) and base in reason:
            return p, None
    listed = "; ".join(f"{p.get('path')}: {p.get('reason')}" for p in report.get("problems", []))
    return None, f"no problem names {base} ({listed or 'no problems listed'})"


def main(argv):
    if len(argv) == 3 and argv[1] == "digest":
        print(digest(argv[2]))
    elif len(argv) == 4 and argv[1] == "damage":
        print(damage(argv[2], int(argv[3])))
    elif len(argv) == 4 and argv[1] == "names":
        problem, why = names(argv[2], argv[3])
        if problem is None:
            print(why)
            return 1
        print(f"{problem.get('kind')}: {problem.get('path')}: {problem.get('reason')}")
    else:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
