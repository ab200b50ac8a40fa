"""Generates the PyTorch parity golden files in nn/testdata/parity/.

Each case builds one PyTorch layer or loss with fixed seeded weights and
inputs, runs it forward, back-propagates a fixed upstream gradient, and saves
one safetensors file (F32 only) with these keys:

  in.<name>          inputs (integer ids and masks are stored as F32 0/1/...)
  param.<name>       weights under their state_dict names, before the step
  out.<name>         outputs (and, for BatchNorm2d, the running stats after)
  gout.<name>        upstream gradient fed to backward for that output
  grad.in.<name>     d(sum(out*gout))/d(input)
  grad.param.<name>  d(sum(out*gout))/d(weight)

Run from the repo root with Debian's python3-torch (1.13):
  /usr/bin/python3 tools/torchref/gen_parity.py
The Go tests (nn/parity_test.go) only read the files; they never need Python.
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402

OUT = os.path.join("nn", "testdata", "parity")
torch.set_num_threads(1)


def save(name, module=None, inputs=(), outputs=(), grads_in=(), extra_out=None, meta=None):
    """inputs: [(name, tensor)], outputs: [(name, tensor)]; module params get grads."""
    t = {}
    for n, x in inputs:
        t["in." + n] = x.detach().float()
    params = dict(module.named_parameters()) if module is not None else {}
    for n, p in params.items():
        t["param." + n] = p.detach().clone()
    g = torch.Generator().manual_seed(1234)
    total = 0
    for n, y in outputs:
        gout = torch.randn(y.shape, generator=g)
        t["out." + n] = y.detach().clone()
        t["gout." + n] = gout
        total = total + (y * gout).sum()
    total.backward()
    for n, x in grads_in:
        t["grad.in." + n] = x.grad.detach().clone()
    for n, p in params.items():
        if p.grad is not None:
            t["grad.param." + n] = p.grad.detach().clone()
    for n, x in (extra_out or {}).items():
        t["out." + n] = x.detach().clone().float()
    safetensors_io.save(os.path.join(OUT, name + ".safetensors"), t,
                        {"torch": torch.__version__, **(meta or {})})


def randn(*shape):
    return torch.randn(*shape).requires_grad_()


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)

    # Linear on a 3-d input.
    m = nn.Linear(5, 4)
    x = randn(3, 2, 5)
    save("linear", m, [("x", x)], [("y", m(x))], [("x", x)])

    # Embedding lookup with a repeated id.
    m = nn.Embedding(10, 6)
    ids = torch.tensor([[1, 3, 3, 9], [0, 2, 9, 5]])
    save("embedding", m, [("ids", ids)], [("y", m(ids))])

    # LayerNorm over the last axis with affine weights moved off 1/0.
    m = nn.LayerNorm(8)
    with torch.no_grad():
        m.weight.normal_(1, 0.3)
        m.bias.normal_(0, 0.3)
    x = randn(2, 3, 8)
    save("layernorm", m, [("x", x)], [("y", m(x))], [("x", x)])

    # Multi-head self-attention with a key padding mask (True = padding).
    m = nn.MultiheadAttention(16, 4, dropout=0.0, batch_first=True)
    with torch.no_grad():
        m.in_proj_bias.normal_(0, 0.1)
        m.out_proj.bias.normal_(0, 0.1)
    x = randn(2, 5, 16)
    pad = torch.tensor([[False] * 5, [False, False, False, True, True]])
    y, _ = m(x, x, x, key_padding_mask=pad, need_weights=False)
    save("mha", m, [("x", x), ("key_padding_mask", pad)], [("y", y)], [("x", x)])

    # Transformer encoder layer (post-norm, ReLU), eval mode so dropout is off.
    m = nn.TransformerEncoderLayer(16, 4, 32, dropout=0.1, batch_first=True)
    m.eval()
    with torch.no_grad():
        for p in (m.norm1.weight, m.norm2.weight):
            p.normal_(1, 0.2)
        for p in (m.norm1.bias, m.norm2.bias, m.self_attn.in_proj_bias):
            p.normal_(0, 0.2)
    x = randn(2, 5, 16)
    y = m(x, src_key_padding_mask=pad)
    save("transformer_layer", m, [("x", x), ("key_padding_mask", pad)], [("y", y)], [("x", x)])

    # LSTM and GRU over full-length sequences, and with per-sample lengths
    # (packed: outputs past a sample's length are 0, h_n is from its last step).
    for kind, cls in (("lstm", nn.LSTM), ("gru", nn.GRU)):
        m = cls(4, 6, batch_first=True)
        x = randn(3, 5, 4)
        outs = m(x)
        h = outs[1][0] if kind == "lstm" else outs[1]  # Galen's layers return h_n, not c_n
        save(kind, m, [("x", x)], [("y", outs[0]), ("h_n", h.squeeze(0))], [("x", x)])

        m.zero_grad()
        x = randn(3, 5, 4)
        lengths = torch.tensor([5, 3, 1])
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        outs = m(packed)
        y, _ = nn.utils.rnn.pad_packed_sequence(outs[0], batch_first=True, total_length=5)
        h = outs[1][0] if kind == "lstm" else outs[1]
        o = [("y", y), ("h_n", h.squeeze(0))]
        save(kind + "_lengths", m, [("x", x), ("lengths", lengths)], o, [("x", x)])

    # Conv2d: 3x3 'same', and stride 2 without padding.
    for name, kw in (("conv2d", dict(padding=1)), ("conv2d_stride2", dict(stride=2))):
        m = nn.Conv2d(2, 3, 3, **kw)
        x = randn(2, 2, 7, 6)
        save(name, m, [("x", x)], [("y", m(x))], [("x", x)],
             meta={"stride": str(m.stride[0]), "padding": str(m.padding[0])})

    # Pooling.
    x = randn(2, 3, 6, 4)
    save("maxpool2d", None, [("x", x)], [("y", F.max_pool2d(x, 2))], [("x", x)],
         meta={"kernel": "2", "stride": "2"})
    x = randn(2, 2, 7, 5)
    save("avgpool2d", None, [("x", x)], [("y", F.avg_pool2d(x, 3, stride=2, padding=1))], [("x", x)],
         meta={"kernel": "3", "stride": "2", "padding": "1"})

    # BatchNorm2d in training mode: batch statistics, running stats updated.
    m = nn.BatchNorm2d(3)
    with torch.no_grad():
        m.weight.normal_(1, 0.3)
        m.bias.normal_(0, 0.3)
        m.running_mean.normal_(0, 0.5)
        m.running_var.uniform_(0.5, 2)
    before = {"running_mean_before": m.running_mean.clone(), "running_var_before": m.running_var.clone()}
    m.train()
    x = randn(4, 3, 5, 5) * 2 + 0.5
    x.retain_grad()
    y = m(x)
    save("batchnorm2d", m, [("x", x)] + [(k, v) for k, v in before.items()], [("y", y)], [("x", x)],
         extra_out={"running_mean": m.running_mean, "running_var": m.running_var})

    # Losses (mean reduction; scalar output, gout is a random scalar).
    logits = randn(6, 5)
    target = torch.tensor([0, 4, 2, 2, 1, 3])
    weight = torch.rand(5) + 0.5
    save("cross_entropy", None, [("logits", logits), ("target", target), ("weight", weight)],
         [("loss", F.cross_entropy(logits, target, weight=weight))], [("logits", logits)])
    logits = randn(4, 3)
    target = torch.tensor([[1.0, 0, 1], [0, 0, 1], [1, 1, 0], [0.3, 0.7, 0]])
    posw = torch.tensor([2.0, 0.5, 3.0])
    save("bce_with_logits", None, [("logits", logits), ("target", target), ("pos_weight", posw)],
         [("loss", F.binary_cross_entropy_with_logits(logits, target, pos_weight=posw))], [("logits", logits)])
    pred = randn(4, 3)
    target = torch.randn(4, 3)
    save("mse", None, [("pred", pred), ("target", target)], [("loss", F.mse_loss(pred, target))], [("pred", pred)])

    # Two AdamW steps (lr 1e-2, betas 0.9/0.999, eps 1e-8, weight decay 0.01).
    p = nn.Parameter(torch.randn(3, 4))
    opt = torch.optim.AdamW([p], lr=1e-2, weight_decay=0.01)
    t = {"in.p0": p.detach().clone()}
    for step in (1, 2):
        g = torch.randn(3, 4)
        p.grad = g.clone()
        opt.step()
        t[f"in.grad{step}"] = g
        t[f"out.p{step}"] = p.detach().clone()
    safetensors_io.save(os.path.join(OUT, "adamw.safetensors"), t,
                        {"torch": torch.__version__, "lr": "0.01", "weight_decay": "0.01"})

    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(f"wrote {len(os.listdir(OUT))} files, {total} bytes, to {OUT}")


if __name__ == "__main__":
    main()
