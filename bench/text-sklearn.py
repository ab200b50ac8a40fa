#!/usr/bin/python3
"""scikit-learn peer of Galen's text classifier, on exactly Galen's split.

Usage: bench/text-sklearn.py SPLIT.csv [--json]

SPLIT.csv is written by `galen train text --export-split SPLIT.csv` (or
`galen eval text ... --export-split`): columns line, split (train,
validation, test), label, text. Two peers are trained:

  default: TfidfVectorizer() + LogisticRegression(max_iter=2000), fitted on
           train + validation (scikit-learn's defaults).
  tuned:   the same with C in {1, 3, 10, 30, 100} and class_weight in {None,
           "balanced"} chosen by macro-F1 on validation (fitted on train), then
           refitted on train + validation, as Galen's trainer does. Word pairs
           (ngram_range (1,2)) are left out of the grid: without a min_df they
           make ~10x the features and the grid takes hours on a shared 2-core
           machine.

Both are scored on the test rows only. Needs Debian python3-sklearn.
"""
import csv
import json
import sys
import time

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.pipeline import make_pipeline


def load(path):
    csv.field_size_limit(1 << 24)
    parts = {"train": ([], []), "validation": ([], []), "test": ([], [])}
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            parts[row["split"]][0].append(row["text"])
            parts[row["split"]][1].append(row["label"])
    return parts


def model(c=1.0, weight=None, ngram=(1, 1)):
    return make_pipeline(TfidfVectorizer(ngram_range=ngram),
                         LogisticRegression(C=c, class_weight=weight, max_iter=2000))


def score(m, x, y):
    p = m.predict(x)
    return {"macro_f1": f1_score(y, p, average="macro"), "accuracy": accuracy_score(y, p)}


def main():
    parts = load(sys.argv[1])
    (xtr, ytr), (xva, yva), (xte, yte) = parts["train"], parts["validation"], parts["test"]
    xall, yall = xtr + xva, ytr + yva
    out = {"n_train": len(xall), "n_validation": len(xva), "n_test": len(xte)}
    t = time.time()
    out["default"] = score(model().fit(xall, yall), xte, yte)
    out["default"]["seconds"] = round(time.time() - t, 1)
    if "--json" not in sys.argv:
        print(f"scikit-learn on {out['n_train']} train+validation, {out['n_test']} test", flush=True)
        print(f"  default  macro-F1 {out['default']['macro_f1']:.3f}  accuracy {out['default']['accuracy']:.3f}  {out['default']}", flush=True)
    t = time.time()
    best = None
    for ngram in [(1, 1)]:
        for c in [1, 3, 10, 30, 100]:
            for w in [None, "balanced"]:
                f1 = score(model(c, w, ngram).fit(xtr, ytr), xva, yva)["macro_f1"]
                if best is None or f1 > best[0]:
                    best = (f1, c, w, ngram)
    f1, c, w, ngram = best
    out["tuned"] = score(model(c, w, ngram).fit(xall, yall), xte, yte)
    out["tuned"].update({"C": c, "class_weight": w, "ngram_range": list(ngram), "validation_macro_f1": f1,
                         "seconds": round(time.time() - t, 1)})
    if "--json" in sys.argv:
        json.dump(out, sys.stdout)
        print()
        return
    for k in ("tuned",):
        print(f"  {k:8s} macro-F1 {out[k]['macro_f1']:.3f}  accuracy {out[k]['accuracy']:.3f}  {out[k]}")


if __name__ == "__main__":
    main()
