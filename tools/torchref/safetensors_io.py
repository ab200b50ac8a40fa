"""Minimal safetensors writer using only json and struct (plus torch for the
tensor bytes), because Debian 12 has no python3-safetensors package.

It follows the reference implementation's layout: 8-byte little-endian header
length, JSON header with "__metadata__" first and then the tensors sorted by
descending dtype size and name, header padded with spaces to a multiple of 8,
then the tensors' little-endian bytes back to back.
"""
import json
import struct

import torch

DTYPES = {
    torch.float32: ("F32", 4),
    torch.float16: ("F16", 2),
    torch.bfloat16: ("BF16", 2),
    torch.float64: ("F64", 8),
    torch.int64: ("I64", 8),
    torch.int32: ("I32", 4),
}


def _bytes(t):
    t = t.detach().contiguous().cpu()
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)
    return t.numpy().tobytes()  # numpy is little-endian on x86-64


def save(path, tensors, metadata=None):
    """Write {name: torch.Tensor} (and {str: str} metadata) to path."""
    order = sorted(tensors, key=lambda n: (-DTYPES[tensors[n].dtype][1], n))
    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    blobs, off = [], 0
    for n in order:
        t = tensors[n]
        b = _bytes(t)
        header[n] = {"dtype": DTYPES[t.dtype][0], "shape": list(t.shape),
                     "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    js = json.dumps(header, separators=(",", ":")).encode()
    js += b" " * ((8 - len(js) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(js)))
        f.write(js)
        for b in blobs:
            f.write(b)


def load(path):
    """Read a safetensors file of F32 tensors into {name: torch.Tensor}."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    header.pop("__metadata__", None)
    body = data[8 + n:]
    out = {}
    for name, e in header.items():
        assert e["dtype"] == "F32", (name, e["dtype"])
        b, end = e["data_offsets"]
        out[name] = torch.frombuffer(bytearray(body[b:end]), dtype=torch.float32).reshape(e["shape"])
    return out
