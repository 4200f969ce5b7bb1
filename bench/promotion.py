"""Fit and measure the promotional-post detector.

    .venv/bin/python -m bench.promotion train      # refit, rewrite the model
    .venv/bin/python -m bench.promotion evaluate   # held-out precision, recall, cost

The labelled posts are ``tests/data/promotional_posts.jsonl``; each row's
``split`` (fixed when the set was written: every fourth row is held out)
says whether it may be used for fitting. ``train`` reads only the training
rows: it fits a logistic model by gradient descent, picks the operating
threshold from 5-fold cross-validation on those rows alone, and writes
``hubbub/moderation/promotion_model.py``. ``evaluate`` scores the held-out
rows, which nothing else reads, and times the detector.
"""

import argparse
import json
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from hubbub.moderation.promotion import FEATURE_NAMES, Behaviour, detect, features

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "promotional_posts.jsonl"
MODEL = ROOT / "hubbub" / "moderation" / "promotion_model.py"

# The precision the threshold must reach on cross-validated training
# scores. Above the 0.9 the issue asks for on held-out posts, because a
# threshold picked on one sample loses a little on the next.
TARGET_PRECISION = 0.95
# L2 penalty and descent schedule: enough to converge on ~330 rows of ~30
# features, small enough that rare strong cues (#ad) keep their weight.
L2 = 0.01
STEPS = 3000
LEARNING_RATE = 0.3
FOLDS = 5


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled post of the data set."""

    id: int
    split: str
    promotional: bool
    text: str
    behaviour: Behaviour


def load_examples(path: Path = DATA) -> list[Example]:
    """Read the labelled posts."""
    examples = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        behaviour = Behaviour(
            own_domains=frozenset(row.get("own_domains", ())),
            recent_posts=row.get("recent_posts", 0),
            recent_replies=row.get("recent_replies", 0),
            recent_urls=tuple(row.get("recent_urls", ())),
            is_reply=row.get("reply", False),
        )
        examples.append(
            Example(row["id"], row["split"], row["promotional"], row["text"], behaviour)
        )
    return examples


def _fit(rows: list[tuple[list[float], bool]]) -> tuple[list[float], float]:
    """Fit logistic weights and a bias by full-batch gradient descent."""
    width = len(FEATURE_NAMES)
    weights, bias = [0.0] * width, 0.0
    n = len(rows)
    for _ in range(STEPS):
        grad, grad_bias = [L2 * w for w in weights], 0.0
        for x, label in rows:
            z = bias + sum(w * v for w, v in zip(weights, x, strict=True))
            error = 1.0 / (1.0 + math.exp(-z)) - (1.0 if label else 0.0)
            grad_bias += error / n
            for i, v in enumerate(x):
                if v:
                    grad[i] += error * v / n
        weights = [w - LEARNING_RATE * g for w, g in zip(weights, grad, strict=True)]
        bias -= LEARNING_RATE * grad_bias
    return weights, bias


def _probability(weights: list[float], bias: float, x: list[float]) -> float:
    z = bias + sum(w * v for w, v in zip(weights, x, strict=True))
    return 1.0 / (1.0 + math.exp(-z))


def _threshold(scored: list[tuple[float, bool]]) -> float:
    """Return the lowest threshold whose precision reaches TARGET_PRECISION
    among the scored posts, and stays there for every higher threshold."""
    best = 1.0
    for candidate in sorted({s for s, _ in scored}, reverse=True):
        flagged = [label for s, label in scored if s >= candidate]
        if sum(flagged) / len(flagged) < TARGET_PRECISION:
            break
        best = candidate
    return best


def train(examples: list[Example]) -> str:
    """Fit on the training rows and return the model module's source."""
    rows = [
        (features(e.text, e.behaviour), e.promotional)
        for e in examples
        if e.split == "train"
    ]
    out_of_fold: list[tuple[float, bool]] = []
    for fold in range(FOLDS):
        fit_rows = [r for i, r in enumerate(rows) if i % FOLDS != fold]
        weights, bias = _fit(fit_rows)
        out_of_fold += [
            (_probability(weights, bias, x), label)
            for i, (x, label) in enumerate(rows)
            if i % FOLDS == fold
        ]
    threshold = _threshold(out_of_fold)
    weights, bias = _fit(rows)
    lines = "\n".join(
        f"    {w:.4f},  # {name}"
        for w, name in zip(weights, FEATURE_NAMES, strict=True)
    )
    return f'''"""The promotional detector's weights, written by bench/promotion.py.

Do not edit by hand: change the features or the data and run
``.venv/bin/python -m bench.promotion train``. Fitted on {len(rows)} training
posts; THRESHOLD is the lowest score at which 5-fold cross-validated
precision on those posts stays at or above {TARGET_PRECISION}.
"""

BIAS = {bias:.4f}
THRESHOLD = {threshold:.4f}
# One weight per feature, in FEATURE_NAMES order.
WEIGHTS = (
{lines}
)
'''


@dataclass(frozen=True, slots=True)
class Measurement:
    """Precision and recall of the detector on some labelled posts."""

    posts: int
    promotional: int
    true_positives: int
    false_positives: int

    @property
    def precision(self) -> float:
        flagged = self.true_positives + self.false_positives
        return self.true_positives / flagged if flagged else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.promotional if self.promotional else 1.0


def measure(examples: list[Example]) -> Measurement:
    """Run the committed detector over ``examples`` and count its calls."""
    verdicts = [(detect(e.text, e.behaviour).promotional, e) for e in examples]
    return Measurement(
        posts=len(examples),
        promotional=sum(e.promotional for e in examples),
        true_positives=sum(flag and e.promotional for flag, e in verdicts),
        false_positives=sum(flag and not e.promotional for flag, e in verdicts),
    )


def seconds_per_post(examples: list[Example], rounds: int = 5) -> float:
    """Return the best of ``rounds`` mean times to ``detect`` one post."""
    best = math.inf
    for _ in range(rounds):
        start = time.perf_counter()
        for e in examples:
            detect(e.text, e.behaviour)
        best = min(best, (time.perf_counter() - start) / len(examples))
    return best


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["train", "evaluate"])
    args = parser.parse_args(argv)
    examples = load_examples()
    if args.command == "train":
        MODEL.write_text(train(examples), encoding="utf-8")
        print(f"wrote {MODEL.relative_to(ROOT)}")
        return
    for split in ("train", "holdout"):
        m = measure([e for e in examples if e.split == split])
        print(
            f"{split}: {m.posts} posts, {m.promotional} promotional; "
            f"precision {m.precision:.3f} recall {m.recall:.3f} "
            f"(tp {m.true_positives}, fp {m.false_positives})"
        )
    cost = seconds_per_post(examples)
    print(f"cost: {cost * 1e6:.1f} µs per post (best of 5 over {len(examples)})")


if __name__ == "__main__":
    main(sys.argv[1:])
