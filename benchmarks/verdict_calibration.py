"""Does ``metrics.verdict`` keep its error rate? False "supported" and power, by simulation.

    .venv/bin/python benchmarks/verdict_calibration.py [--n 2000] [--n-boot 200]
        [--seed-sds 0.01 0.02 0.03] [--seeds 2 3 5] [--effect 0.04] [--block-length 1]
        [--quick]

For each seed standard deviation (how far one run's mIoU moves between training seeds) and
each number of seeds per model, simulates ``--n`` comparisons "A beats B" with no true
effect (A and B are the same recipe) and ``--n`` with a true effect of ``--effect`` mIoU,
judges each exactly as the notebooks do (``paired_bootstrap`` over the images, each
image's confusion matrix summed over a model's runs as in notebooks 06 and 08;
``seed_spread`` of the per-run mIoU; ``verdict``) and prints per setting::

    false supported: X.X%     share of "supported" with no true effect (alpha/2 = 2.5% aimed)
    power: Y.Y%               share of "supported" with the true effect

and last the worst ``false supported`` over all settings. What the old rule (seed gap above
twice its standard error, from 2 seeds on) would have said is printed beside it.

The simulated world: CamVid-like truth (11 classes of very unequal frequency, each image
its own mix of classes, some absent), 100 to 233 images per comparison. A run predicts a
true pixel of class ``c`` in image ``i`` right with probability
``sigmoid(logit(base_c) + u_run + d_i + e_run,i)``: ``u_run`` is the run's offset (the seed
noise, scaled so that one run's mIoU has the asked standard deviation; plus the effect for
A), ``d_i`` the image's difficulty, shared by every run of both models (what pairing
cancels), and ``e_run,i`` the run's luck on that image; wrong pixels go to the other
classes in proportion to their frequency (rounded). As in the course's seed record, the
seed noise dominates the image noise several times over; the measured sizes of both are
printed.
"""

from __future__ import annotations

import argparse
import os
import time

# Thousands of small matrix products: one BLAS thread each is several times faster than two
# threads fighting over two busy cores (set before NumPy loads its BLAS).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from course_utils import metrics  # noqa: E402
from course_utils.metrics.compare import DEFAULT_ALPHA  # noqa: E402

#: Pixel share of each class, about CamVid's (sky, building, pole, road, sidewalk, tree,
#: sign, fence, car, pedestrian, bicyclist).
CLASS_SHARE = np.array([0.15, 0.22, 0.01, 0.27, 0.07, 0.10, 0.01, 0.02, 0.04, 0.01, 0.01])
#: Probability that a run of average luck gets a pixel of each class right.
BASE_RECALL = np.array([0.85, 0.75, 0.05, 0.90, 0.45, 0.60, 0.05, 0.10, 0.35, 0.05, 0.05])
PIXELS = 3072  # counted pixels per image (the score is a ratio: only the noise depends on it)
IMAGE_DIFFICULTY = 0.5  # sd of d_i, logit units
RUN_IMAGE_LUCK = 0.3  # sd of e_run,i, logit units
IMAGES = (100, 233)  # images per comparison, drawn uniformly in this range
_ERROR_SHARE = CLASS_SHARE * (1 - np.eye(CLASS_SHARE.size))
_ERROR_SHARE /= _ERROR_SHARE.sum(1, keepdims=True)  # where a wrong pixel of each class goes
_ERROR_SINK = _ERROR_SHARE.argmax(1)


def _logit(p: np.ndarray) -> np.ndarray:
    return np.log(p / (1 - p))


def _truth(rng: np.random.Generator, n_images: int) -> np.ndarray:
    """True pixels per image and class ``(n_images, C)``: each image its own mix."""
    share = CLASS_SHARE / CLASS_SHARE.sum()
    mix = rng.dirichlet(8 * share, size=n_images)
    return rng.multinomial(PIXELS, mix)


def _confusions(
    rng: np.random.Generator, truth: np.ndarray, difficulty: np.ndarray, offsets: np.ndarray
) -> np.ndarray:
    """Per-image confusion matrices of one run per offset, ``(runs, n_images, C, C)``."""
    n_runs, (n_images, c) = offsets.size, truth.shape
    luck = rng.normal(0, RUN_IMAGE_LUCK, size=(n_runs, n_images, 1))
    logits = _logit(BASE_RECALL) + offsets[:, None, None] + difficulty[None, :, None] + luck
    right = rng.binomial(np.broadcast_to(truth, logits.shape), 1 / (1 + np.exp(-logits)))
    wrong = truth - right
    # Wrong pixels of class k go to the other classes in proportion to their share (rounded
    # down; the rest to the commonest other class), so each row still sums to the truth.
    conf = np.floor(wrong[..., None] * _ERROR_SHARE).astype(np.int64)
    conf[..., np.arange(c), _ERROR_SINK] += wrong - conf.sum(-1)
    conf[..., np.arange(c), np.arange(c)] = right
    return conf  # (runs, images, C true, C predicted)


def _miou_slope() -> float:
    """d mIoU / d u_run at u = 0, from the expected confusion of many images."""
    rng = np.random.default_rng(12345)
    truth = _truth(rng, 4000).astype(np.float64)
    difficulty = rng.normal(0, IMAGE_DIFFICULTY, 4000)

    def expected_miou(u: float) -> float:
        recall = 1 / (1 + np.exp(-(_logit(BASE_RECALL) + u + difficulty[:, None])))
        right = (truth * recall).sum(0)
        wrong = (truth * (1 - recall)).sum(0)
        conf = wrong[:, None] * _ERROR_SHARE
        conf[np.diag_indices(CLASS_SHARE.size)] = right
        return float(metrics.miou(conf))

    h = 0.05
    return (expected_miou(h) - expected_miou(-h)) / (2 * h)


def _compare(
    rng: np.random.Generator,
    n_seeds: int,
    run_sd: float,
    shift: float,
    n_boot: int,
    block_length: int,
) -> tuple[str, bool, float, float]:
    """One comparison: the verdict's word, the old rule's call, run-score sd, bootstrap sd."""
    n_images = int(rng.integers(IMAGES[0], IMAGES[1] + 1))
    truth = _truth(rng, n_images)
    difficulty = rng.normal(0, IMAGE_DIFFICULTY, n_images)
    runs_a = _confusions(rng, truth, difficulty, shift + rng.normal(0, run_sd, n_seeds))
    runs_b = _confusions(rng, truth, difficulty, rng.normal(0, run_sd, n_seeds))
    scores_a = metrics.miou(runs_a.sum(1))
    scores_b = metrics.miou(runs_b.sum(1))
    boot = metrics.paired_bootstrap(
        runs_a.sum(0),
        runs_b.sum(0),
        n_boot=n_boot,
        seed=int(rng.integers(2**31)),
        block_length=block_length,
    )
    spread = metrics.seed_spread(scores_a.tolist(), scores_b.tolist())
    word = metrics.verdict("A beats B", boot, spread).word
    old = (
        boot.observed_gap > 0
        and boot.ci_low > 0
        and spread.noise is not None
        and abs(spread.mean_gap) >= 0.01
        and spread.mean_gap > metrics.SEED_NOISE_MULTIPLE * spread.noise
    )
    return word, old, float(np.std(scores_b, ddof=1)), float(np.nanstd(boot.gaps))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="comparisons per setting and world")
    parser.add_argument("--n-boot", type=int, default=200, help="bootstrap resamples")
    parser.add_argument("--seed-sds", type=float, nargs="+", default=[0.01, 0.02, 0.03])
    parser.add_argument("--seeds", type=int, nargs="+", default=[2, 3, 5])
    parser.add_argument("--effect", type=float, default=0.04, help="true mIoU gain of A")
    parser.add_argument("--block-length", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="--n 200 --n-boot 200")
    args = parser.parse_args()
    if args.quick:
        args.n, args.n_boot = 200, 200

    slope = _miou_slope()
    start = time.perf_counter()
    print(
        f"{args.n} comparisons with no effect and {args.n} with a true gain of {args.effect:g} "
        f"mIoU per setting; {IMAGES[0]}-{IMAGES[1]} images, {args.n_boot} bootstrap resamples "
        f"(block length {args.block_length}), alpha {DEFAULT_ALPHA:g}; "
        f"aimed: false supported at most {100 * DEFAULT_ALPHA / 2:g}%"
    )
    worst: tuple[float, str] = (-1.0, "")
    rng = np.random.default_rng(args.seed)
    for seed_sd in args.seed_sds:
        for n_seeds in args.seeds:
            setting = f"seed sd {seed_sd:g}, {n_seeds} seeds per model"
            null = [
                _compare(rng, n_seeds, seed_sd / slope, 0.0, args.n_boot, args.block_length)
                for _ in range(args.n)
            ]
            gain = [
                _compare(
                    rng,
                    n_seeds,
                    seed_sd / slope,
                    args.effect / slope,
                    args.n_boot,
                    args.block_length,
                )
                for _ in range(args.n)
            ]
            false_rate = 100 * np.mean([word == "supported" for word, *_ in null])
            contradicted = 100 * np.mean([word == "contradicted" for word, *_ in null])
            old_rate = 100 * np.mean([old for _, old, *_ in null])
            power = 100 * np.mean([word == "supported" for word, *_ in gain])
            run_sd = float(np.sqrt(np.mean([r[2] ** 2 for r in null if np.isfinite(r[2])])))
            boot_sd = float(np.mean([r[3] for r in null]))
            print(
                f"\n{setting} (measured: sd of a run's mIoU {run_sd:.4f}, bootstrap sd of "
                f"the pooled gap {boot_sd:.4f})"
            )
            print(f"false supported: {false_rate:.1f}%")
            print(f"power: {power:.1f}%")
            print(
                f"   also with no effect: contradicted {contradicted:.1f}%; the old rule (seed "
                f"gap above 2 SE, from 2 seeds on) would say supported in {old_rate:.1f}%"
            )
            worst = max(worst, (false_rate, setting))
    print(f"\nworst case over the settings ({worst[1]}):")
    print(f"false supported: {worst[0]:.1f}%")
    print(f"({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
