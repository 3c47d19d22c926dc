#!/usr/bin/env python3
"""Writes the seed corpus of every fuzz target into Fuzz/Corpus/<target>/: small valid
inputs of each format (and a few near misses), built with the standard library and the
zstd command. Run from anywhere; the files are committed, so this is only for regenerating."""
import gzip, hashlib, json, os, shutil, struct, subprocess, tempfile

FUZZ = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(FUZZ)
CORPUS = os.path.join(FUZZ, "Corpus")


def write(target, name, data):
    os.makedirs(os.path.join(CORPUS, target), exist_ok=True)
    with open(os.path.join(CORPUS, target, name), "wb") as f:
        f.write(data)


def idx(type_byte, shape, payload):
    return bytes([0, 0, type_byte, len(shape)]) + b"".join(struct.pack(">I", n) for n in shape) + payload


IDX = {
    "uint8-images": idx(0x08, [3, 2, 2], bytes([0, 255, 128, 1] * 3)),
    "binary-images": idx(0x08, [2, 4], bytes([0, 1, 1, 0, 1, 1, 0, 0])),
    "labels": idx(0x08, [4], bytes([0, 1, 2, 3])),
    "int8": idx(0x09, [2, 2], bytes([0, 1, 1, 0])),
    "int16": idx(0x0B, [1, 2], struct.pack(">hh", 0, 1)),
    "int32": idx(0x0C, [2, 1], struct.pack(">ii", 1, 0)),
    "float32": idx(0x0D, [1, 3], struct.pack(">fff", 0.0, 0.5, 1.0)),
    "float64": idx(0x0E, [1, 1, 2], struct.pack(">dd", 0.25, 1.0)),
    "rank4": idx(0x08, [1, 2, 1, 2], bytes([0, 1, 0, 1])),
}


def safetensors(tensors, metadata=None):
    header, data = {}, b""
    if metadata:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


SAFETENSORS = {
    "model": safetensors([("generative.0.weight", "F32", [2, 3], struct.pack("<6f", *range(6))),
                          ("generative.0.bias", "F32", [2], struct.pack("<2f", 0.5, -0.5)),
                          ("step", "I64", [], struct.pack("<q", 1200)),
                          ("rng", "U8", [4], bytes([1, 2, 3, 4]))], {"format": "pt"}),
    "f64-i32": safetensors([("a", "F64", [1], struct.pack("<d", 1.5)), ("b", "I32", [2, 1], struct.pack("<2i", 7, -7))]),
    "empty-tensor": safetensors([("e", "F32", [0, 3], b"")]),
    "no-tensors": safetensors([]),
}


def manifest(digest=True):
    m = {
        "architecture": {"layers": [784, 200, 10], "distributions": ["bernoulli", "bernoulli"]},
        "config": {"algorithm": "rws", "layers": [784, 200, 10], "lr": 0.001, "reproducible": False,
                   "resume": None, "nested": {"k": [1.5, "x", True]}},
        "created": "2023-11-14T22:13:20Z", "epoch": 3, "format_version": 1, "samples_seen": 120000,
        "shards": [{"bytes": 10, "file": "shard-00000-of-00002.safetensors.zst", "sha256": "ab" * 32},
                   {"bytes": 20, "file": "shard-00001-of-00002.safetensors.zst", "sha256": "cd" * 32}],
        "step": 1200,
        "tensors": {"w": {"dtype": "F32", "shape": [2, 3], "shard": "shard-00000-of-00002.safetensors.zst"},
                    "b": {"dtype": "I64", "shape": [], "shard": "shard-00001-of-00002.safetensors.zst"}},
        "world_size": 2,
    }
    if digest:
        m["digest"] = "manifest.sha256"
    return (json.dumps(m, indent=2, sort_keys=True) + "\n").encode()


def zstd(data, *flags):
    with tempfile.TemporaryDirectory() as tmp:
        source = os.path.join(tmp, "in")
        with open(source, "wb") as f:
            f.write(data)
        return subprocess.run(["zstd", "-q", "-c", *flags, source], check=True, stdout=subprocess.PIPE).stdout


def main():
    shutil.rmtree(CORPUS, ignore_errors=True)
    for name, data in IDX.items():
        write("FuzzIDX", name, data)
    for name in ["uint8-images", "float32", "labels"]:
        write("FuzzGzip", name + ".gz", gzip.compress(IDX[name], mtime=0))
    write("FuzzGzip", "two-members.gz", gzip.compress(b"ab", mtime=0) + gzip.compress(b"cd", mtime=0))
    write("FuzzGzip", "empty.gz", gzip.compress(b"", mtime=0))

    configs = os.path.join(ROOT, "cluster-configs")
    for name in sorted(os.listdir(configs)):
        if name.endswith(".yaml"):
            with open(os.path.join(configs, name), "rb") as f:
                write("FuzzConfig", name, f.read())
    write("FuzzConfig", "flow.yaml", b"{data: 'bars:5', layers: [25, '10:bernoulli'], steps: 100, seed: 7, "
                                     b"reproducible: true, allow-changes: [seed, lr], resume: auto, run-dir: '007'}\n")
    write("FuzzConfig", "nulls.yaml", b"steps: ~\nalgorithm: nrws\ndamping: 0.01\nfisher-every: 5\nlr: \"0.5\"\n")

    # FuzzManifest: the first byte picks the sidecar (0 none, 1 the right digest, 2 the tail).
    signed = manifest()
    write("FuzzManifest", "protected", b"\x01" + signed)
    write("FuzzManifest", "unprotected", b"\x00" + manifest(digest=False))
    write("FuzzManifest", "sidecar", b"\x02" + signed + (hashlib.sha256(signed).hexdigest() + "\n").encode())

    for name, data in SAFETENSORS.items():
        write("FuzzSafetensors", name + ".safetensors", data)

    write("FuzzZstd", "model.zst", zstd(SAFETENSORS["model"], "--check", "-3"))
    write("FuzzZstd", "empty.zst", zstd(b"", "--check"))
    write("FuzzZstd", "repeats.zst", zstd(b"a" * 5000 + bytes(range(256)) * 4, "--check", "-19"))
    write("FuzzZstd", "no-checksum.zst", zstd(b"hello", "--no-check"))


if __name__ == "__main__":
    main()
