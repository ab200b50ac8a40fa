"""Writes nn/safetensors/testdata/golden.safetensors: one small tensor per
dtype the Go reader converts, with known values, plus metadata.

Run from the repo root:  /usr/bin/python3 tools/torchref/gen_safetensors_golden.py
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
import safetensors_io  # noqa: E402

vals = torch.tensor([[0.5, -1.25, 3.0], [65504.0, 2.0 ** -24, -0.0]], dtype=torch.float64)
tensors = {
    "f32": vals.float(),
    "f16": vals.half(),
    "bf16": torch.tensor([1.0, -2.5, 3.140625], dtype=torch.bfloat16),
    "f64": vals,
    "i64": torch.tensor([[1, -2], [300, 4]], dtype=torch.int64),
    "scalar": torch.tensor(7.0),
    "empty": torch.zeros(0, 3),
}
out = os.path.join("nn", "safetensors", "testdata", "golden.safetensors")
os.makedirs(os.path.dirname(out), exist_ok=True)
safetensors_io.save(out, tensors, {"format": "pt", "note": "galen golden"})
print("wrote", out)
