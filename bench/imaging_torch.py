#!/usr/bin/env python3
"""PyTorch peer of Galen's chest X-ray CNN (imaging/): the same network
(stem conv3x3-BN-ReLU, one basic block per stage at widths 16/32/64, global
average pooling, linear to 2 logits) and the same recipe (AdamW 3e-3, weight
decay 1e-4, batch 64, one epoch of linear warm-up then cosine decay to 1/100,
inverse-frequency class weights, flips/rotations/scaling/shifts/intensity
jitter, weight EMA 0.99, early stopping on validation AUC with patience 8,
test-time mirror averaging if it raises validation AUC, threshold maximising
validation sensitivity + specificity), on the same MedMNIST .npz splits.

Usage: nice -n 10 python3 bench/imaging_torch.py [--data FILE.npz] [--seed N] [--threads N]
Prints one JSON line with the test metrics and the training time (wall and CPU
seconds), and one progress line per epoch on stderr. With --bench-steps N it only
times N training steps (CPU ms per step), the peer of imaging's BenchmarkTrainStep.
"""
import argparse, copy, json, math, sys, time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, 0, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        h = self.bn2(self.conv2(h))
        return F.relu(h + self.shortcut(x))


class Net(nn.Module):
    def __init__(self, widths=(16, 32, 64)):
        super().__init__()
        self.conv1 = nn.Conv2d(1, widths[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        cin = widths[0]
        for s, w in enumerate(widths):
            setattr(self, f"layer{s + 1}", nn.Sequential(Block(cin, w, 1 if s == 0 else 2)))
            cin = w
        self.nstages = len(widths)
        self.fc = nn.Linear(cin, 2)

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        for s in range(self.nstages):
            h = getattr(self, f"layer{s + 1}")(h)
        return self.fc(h.mean(dim=(2, 3)))


def auc(scores, labels):
    order = np.argsort(scores, kind="mergesort")
    s, y = scores[order], labels[order]
    ranks = np.empty(len(s))
    i = 0
    while i < len(s):  # average ranks over ties
        j = i
        while j + 1 < len(s) and s[j + 1] == s[i]:
            j += 1
        ranks[i:j + 1] = (i + j) / 2 + 1
        i = j + 1
    pos = y.sum()
    neg = len(y) - pos
    return (ranks[y == 1].sum() - pos * (pos + 1) / 2) / (pos * neg)


def balanced_threshold(p, y):
    s = np.unique(p)
    cuts = np.concatenate([[0], (s[1:] + s[:-1]) / 2, [1]])
    best, bt = -1, 0.5
    for t in cuts:
        pred = p >= t
        j = (pred & (y == 1)).sum() / max(1, (y == 1).sum()) + (~pred & (y == 0)).sum() / max(1, (y == 0).sum())
        if j > best:
            best, bt = j, t
    return bt


def augment(x, g):
    n = x.shape[0]
    u = lambda r: (torch.rand(n, generator=g) * 2 - 1) * r
    flip = torch.rand(n, generator=g) < 0.5
    th = u(10) * math.pi / 180
    sc = 1 + u(0.1)
    dx, dy = u(2), u(2)
    con = 1 + u(0.15)
    bri = u(0.1) / 0.25
    # affine_grid maps output to input in [-1, 1] coordinates (align_corners=True: pixel centres at the ends)
    cos, sin = torch.cos(th) / sc, torch.sin(th) / sc
    half = (x.shape[-1] - 1) / 2
    theta = torch.zeros(n, 2, 3)
    fx = torch.where(flip, -1.0, 1.0)
    theta[:, 0, 0], theta[:, 0, 1] = fx * cos, fx * sin
    theta[:, 1, 0], theta[:, 1, 1] = -sin, cos
    theta[:, 0, 2] = fx * (-(cos * dx + sin * dy) / half)
    theta[:, 1, 2] = -(-sin * dx + cos * dy) / half
    grid = F.affine_grid(theta, x.shape, align_corners=True)
    out = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=True)
    return out * con.view(n, 1, 1, 1) + bri.view(n, 1, 1, 1)


def probs(model, x, tta):
    model.eval()
    with torch.no_grad():
        p = torch.softmax(model(x), 1)[:, 1]
        if tta:
            p = (p + torch.softmax(model(torch.flip(x, dims=[3])), 1)[:, 1]) / 2
    return p.numpy().astype(np.float64)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/data/pneumoniamnist/pneumoniamnist.npz")
    ap.add_argument("--seed", type=int, default=9)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--bench-steps", type=int, default=0,
                    help="only time this many training steps (batch 64, augmented) after 2 warm-up steps and print CPU ms per step")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    g = torch.Generator().manual_seed(a.seed + 1)
    d = np.load(a.data)
    prep = lambda k: (torch.from_numpy(d[k + "_images"].astype(np.float32)).unsqueeze(1) / 255 - 0.5) / 0.25
    xtr, xva, xte = prep("train"), prep("val"), prep("test")
    ytr = torch.from_numpy(d["train_labels"].reshape(-1).astype(np.int64))
    yva, yte = d["val_labels"].reshape(-1), d["test_labels"].reshape(-1)
    n = len(ytr)
    pos = ytr.sum().item()
    weights = torch.tensor([n / (2 * (n - pos)), n / (2 * pos)], dtype=torch.float32)
    model = Net()
    ema = copy.deepcopy(model)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    batch, lr = 64, 3e-3
    steps = (n + batch - 1) // batch
    total = steps * a.epochs

    def lr_at(step):
        if step < steps:
            return lr * (step + 1) / steps
        p = min(1, (step - steps) / (total - steps))
        return lr / 100 + (lr - lr / 100) * 0.5 * (1 + math.cos(math.pi * p))

    if a.bench_steps > 0:
        def one(k):
            idx = torch.arange(k * batch, (k + 1) * batch) % n
            loss = F.cross_entropy(model(augment(xtr[idx], g)), ytr[idx], weight=weights)
            opt.zero_grad()
            loss.backward()
            opt.step()
        one(0)
        one(1)
        c0, w0 = time.process_time(), time.time()
        for k in range(a.bench_steps):
            one(k + 2)
        print(json.dumps({"peer": "pytorch " + torch.__version__, "threads": a.threads, "train_step_cpu_ms": round(1000 * (time.process_time() - c0) / a.bench_steps, 1),
                          "train_step_wall_ms": round(1000 * (time.time() - w0) / a.bench_steps, 1), "steps": a.bench_steps}))
        return
    start, cpu0 = time.time(), time.process_time()
    best, best_auc, bad, best_epoch, epochs_run = None, -1, 0, 0, 0
    for epoch in range(a.epochs):
        model.train()
        perm = torch.randperm(n, generator=g)
        for b in range(steps):
            idx = perm[b * batch:(b + 1) * batch]
            x = augment(xtr[idx], g)
            loss = F.cross_entropy(model(x), ytr[idx], weight=weights)
            for grp in opt.param_groups:
                grp["lr"] = lr_at(epoch * steps + b)
            opt.zero_grad()
            loss.backward()
            opt.step()
            with torch.no_grad():
                for pe, pm in zip(ema.parameters(), model.parameters()):
                    pe.mul_(0.99).add_(pm, alpha=0.01)
                for be, bm in zip(ema.buffers(), model.buffers()):
                    be.copy_(bm)
        epochs_run = epoch + 1
        v = auc(probs(ema, xva, False), yva)
        if v > best_auc:
            best_auc, bad, best_epoch, best = v, 0, epoch + 1, copy.deepcopy(ema.state_dict())
        else:
            bad += 1
        # Progress (stderr), so that a run cut short still shows where it
        # was; the test AUC of this epoch's averaged weights (no TTA) is for
        # the record only: nothing is chosen on it.
        t = auc(probs(ema, xte, False), yte)
        print(f"epoch {epoch + 1} val AUC {v:.4f} test AUC {t:.4f} best epoch {best_epoch} wall {time.time() - start:.0f}s cpu {time.process_time() - cpu0:.0f}s",
              file=sys.stderr, flush=True)
        if bad >= 8:
            break
    train_s, train_cpu = time.time() - start, time.process_time() - cpu0
    ema.load_state_dict(best)
    pv, pvt = probs(ema, xva, False), probs(ema, xva, True)
    tta = auc(pvt, yva) > auc(pv, yva)
    pv = pvt if tta else pv
    thr = balanced_threshold(pv, yva)
    pt = probs(ema, xte, tta)
    pred = pt >= thr
    out = {
        "peer": "pytorch " + torch.__version__, "seed": a.seed, "threads": a.threads, "epochs": epochs_run, "best_epoch": best_epoch,
        "tta": bool(tta), "threshold": float(thr), "val_auc": float(auc(pv, yva)),
        "auc": float(auc(pt, yte)), "acc": float((pred == (yte == 1)).mean()),
        "sensitivity": float((pred & (yte == 1)).sum() / (yte == 1).sum()),
        "specificity": float((~pred & (yte == 0)).sum() / (yte == 0).sum()), "n": int(len(yte)),
        "train_seconds": round(train_s, 1), "train_cpu_seconds": round(train_cpu, 1),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
