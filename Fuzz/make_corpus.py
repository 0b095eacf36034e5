#!/usr/bin/env python3
"""Writes the seed corpora Fuzz/corpus/safetensors and Fuzz/corpus/idx.

Plain Python (struct, json), no third-party packages: valid files of every dtype and shape
kind the format allows, and crafted files hitting each validation of the reader (one seed per
error case), so that libFuzzer starts next to every branch. Run from anywhere:
    python3 Fuzz/make_corpus.py
"""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
ST = os.path.join(HERE, "corpus", "safetensors")
IDXD = os.path.join(HERE, "corpus", "idx")

SIZES = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
         "I32": 4, "U32": 4, "F32": 4, "C64": 8, "F64": 8, "I64": 8, "U64": 8}


def st_file(header, data=b"", pad=True, raw_header=None, prefix=None):
    h = raw_header if raw_header is not None else json.dumps(header, separators=(",", ":")).encode()
    if pad:
        h += b" " * (-len(h) % 8)
    n = struct.pack("<Q", len(h)) if prefix is None else prefix
    return n + h + data


def tensors(entries, metadata=None):
    """entries: list of (name, dtype, shape, bytes) -> contiguous file."""
    header, data, off = {}, b"", 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, payload in entries:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [off, off + len(payload)]}
        data += payload
        off += len(payload)
    return st_file(header, data)


def count(shape):
    c = 1
    for d in shape:
        c *= d
    return c


def fill(dtype, shape, seed=1):
    """Arbitrary bytes, except that 64-bit integers stay within ±2^53 (the reader's exact range)."""
    w = SIZES[dtype]
    out = bytearray((seed * 37 + 11 * i) % 256 for i in range(count(shape) * w))
    if dtype in ("I64", "U64"):
        for j in range(count(shape)):
            out[j * w + 6:j * w + 8] = b"\0\0"
    return bytes(out)


def safetensors_seeds():
    s = {}
    s["empty"] = bytes([8, 0, 0, 0, 0, 0, 0, 0]) + b"{}      "
    s["metadata_pt"] = tensors([], {"framework": "pt"})
    s["golden_attn0"] = tensors([("attn.0", "F32", [1, 2, 3], struct.pack("<6f", 0, 1, 2, 3, 4, 5))])
    s["every_dtype"] = tensors([(f"t.{d.lower()}", d, [2, 3], fill(d, [2, 3], k)) for k, d in enumerate(SIZES)
                                if not d.startswith("F8")])
    s["scalar_and_zero_size"] = tensors([("s", "F64", [], struct.pack("<d", 3.5)), ("z", "F32", [2, 0], b""),
                                         ("zz", "I64", [0], b"")])
    s["complex_c64"] = tensors([("layer.weight", "C64", [2, 2], struct.pack("<8f", 1, -1, 2, -2, 3, -3, 4, -4)),
                                ("layer.bias.real", "F32", [2], struct.pack("<2f", 0.5, 0.25))])
    s["model_like"] = tensors([("classifier.0.weight", "F32", [4, 3], fill("F32", [4, 3])),
                               ("classifier.0.bias", "F32", [4], fill("F32", [4], 2)),
                               ("classifier.0.log_sigma2", "F32", [4, 3], fill("F32", [4, 3], 3)),
                               ("bn.num_batches_tracked", "I64", [], struct.pack("<q", 7)),
                               ("optimizer.classifier.0.weight.exp_avg", "F64", [4, 3], fill("F64", [4, 3], 4))],
                              {"completed_epochs": "2", "optimizer_step": "14", "producer": "wirtinger train"})
    s["halfs_special"] = tensors([("h", "F16", [6], struct.pack("<6H", 0x7C00, 0xFC00, 0x7E01, 0x0001, 0x8000, 0x3C00)),
                                  ("b", "BF16", [4], struct.pack("<4H", 0x7F80, 0xFF81, 0x0001, 0x3F80))])
    s["ints_extreme"] = tensors([("i", "I64", [2], struct.pack("<2q", 1 << 53, -(1 << 53))),
                                 ("u", "U64", [1], struct.pack("<Q", (1 << 53) + 1))])
    s["unicode_escapes"] = st_file(None, b"\0\0\0\0", raw_header=
        b'{"__metadata__":{"k\\u00e9y":"v\\n\\"q\\"","\xf0\x9f\x98\x80":"\\ud83d\\ude00"},"a\\/b":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}')
    s["leading_ws"] = st_file(None, b"\x01\x02", raw_header=b'\n\t {"x":{"dtype":"I16","shape":[1],"data_offsets":[0,2]}}\r\n  ')
    s["offsets_unsorted"] = st_file({"b": {"dtype": "U8", "shape": [2], "data_offsets": [2, 4]},
                                     "a": {"dtype": "U8", "shape": [2], "data_offsets": [0, 2]}}, b"abcd")
    # crafted invalid files, one per validation
    s["bad_too_small"] = b"\x08\0\0"
    s["bad_header_too_large"] = struct.pack("<Q", 100_000_001) + b"{}"
    s["bad_header_len_past_end"] = struct.pack("<Q", 64) + b"{}      "
    s["bad_not_utf8"] = st_file(None, raw_header=b'{"\xff":1}')
    s["bad_not_json"] = st_file(None, raw_header=b'{"a":{"dtype":"F32",}')
    s["bad_metadata_number"] = tensors([], {"a": 1})
    s["bad_unknown_dtype"] = st_file({"a": {"dtype": "F128", "shape": [1], "data_offsets": [0, 16]}}, b"\0" * 16)
    s["bad_missing_field"] = st_file({"a": {"dtype": "F32", "shape": [1]}}, b"\0" * 4)
    s["bad_negative_shape"] = st_file({"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}, b"\0" * 4)
    s["bad_json_attack"] = st_file({f"t{i}": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]} for i in range(10)},
                                   b"\0" * 16)
    s["bad_gap"] = st_file({"a": {"dtype": "U8", "shape": [1], "data_offsets": [1, 2]}}, b"\0\0")
    s["bad_reversed"] = st_file({"a": {"dtype": "U8", "shape": [1], "data_offsets": [2, 1]}}, b"\0\0")
    s["bad_overflow"] = st_file({"a": {"dtype": "F64", "shape": [1 << 40, 1 << 40], "data_offsets": [0, 8]}}, b"\0" * 8)
    s["bad_misaligned_f4"] = st_file({"a": {"dtype": "F4", "shape": [3], "data_offsets": [0, 1]}}, b"\0")
    s["bad_size_mismatch"] = st_file({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, b"\0" * 8)
    s["bad_truncated"] = st_file({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}, b"\0" * 10)
    s["bad_trailing"] = st_file({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 9)
    s["bad_duplicate_key"] = st_file(None, b"\0" * 8, raw_header=
        b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}')
    s["bad_reserved_name"] = st_file(None, b"\0" * 4, raw_header=
        b'{"__metadata__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}')
    s["bad_complex_collision"] = tensors([("w", "C64", [1], b"\0" * 8), ("w.real", "F32", [1], b"\0" * 4)])
    s["bad_deep_nesting"] = st_file(None, raw_header=b'{"a":' + b"[" * 100 + b"]" * 100 + b"}")
    s["bad_i64_not_representable"] = tensors([("n", "I64", [1], struct.pack("<q", (1 << 53) + 1))])
    s["bad_f8"] = tensors([("f", "F8_E4M3", [2], b"\x01\x02")])
    return s


def be32(v):
    return struct.pack(">I", v)


def idx_seeds():
    s = {}
    def images(n, rows=28, cols=28):
        return be32(0x803) + be32(n) + be32(rows) + be32(cols) + bytes((7 * i + k) % 256 for i in range(n) for k in range(rows * cols))
    def labels(ls):
        return be32(0x801) + be32(len(ls)) + bytes(ls)
    def split(img, lab):
        # the first two bytes (big endian) give the cut, modulo the length of the rest
        return struct.pack(">H", len(img)) + img + lab
    s["images_2"] = images(2)
    s["labels_3"] = labels([3, 1, 4])
    s["images_1x2x2"] = images(1, 2, 2)
    s["images_0"] = images(0)
    s["labels_0"] = labels([])
    s["bad_label_range"] = labels([1, 10, 255])
    s["bad_magic"] = be32(0x804) + be32(1) + be32(1) + be32(1) + be32(1) + b"\0"
    s["bad_overflow"] = be32(0x803) + be32(0xFFFFFFFF) + be32(0xFFFFFFFF) + be32(0xFFFFFFFF)
    s["bad_truncated"] = images(2)[:-5]
    s["bad_trailing"] = images(1) + b"\0"
    s["bad_short_header"] = be32(0x803) + be32(1)
    for name, img, lab in [("split_ok_1", images(1), labels([7])), ("split_ok_0", images(0), labels([])),
                           ("split_count_mismatch", images(1), labels([1, 2])), ("split_wrong_size", images(1, 2, 2), labels([1]))]:
        s[name] = split(img, lab)
    return s


def write(directory, seeds):
    os.makedirs(directory, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(directory, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    write(ST, safetensors_seeds())
    write(IDXD, idx_seeds())
    print(f"{len(os.listdir(ST))} safetensors seeds, {len(os.listdir(IDXD))} idx seeds")
