"""docs/method.md quotes measured numbers: they must be the committed measurements."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_tuning_table_quotes_the_committed_tuning_runs():
    runs = json.loads((ROOT / "docs" / "tune_part3_default.json").read_text())
    by_name = {r["name"]: r for r in runs if r["model"] == "deeplabv3plus" and r["seed"] == 0}
    text = (ROOT / "docs" / "method.md").read_text()
    rows = {
        "none (plain cross-entropy, lr 1e-3)": "baseline",
        "median-frequency class weights": "mfce",
        "class weights and peak lr 3e-3": "mfce_lr3e-3",
        "class weights, 128x128 random crops (three times the steps)": "mfce_crop128",
        "class weights, batches of 4 (twice the steps)": "mfce_batch4",
    }
    for label, name in rows.items():
        row = next(line for line in text.splitlines() if line.startswith(f"| {label} |"))
        cells = [c.strip() for c in row.strip("|").split("|")]
        run = by_name[name]
        assert cells[1] == f"{run['val_miou']:.3f}", (label, cells[1])
        rare = ", ".join(f"{v:.2f}" for v in run["val_rare_iou"].values())
        assert cells[2] == rare, (label, cells[2])
    gap = by_name["mfce"]["val_miou"] - by_name["baseline"]["val_miou"]
    assert f"+{gap:.3f}" in text
    lr_gap = by_name["mfce_lr3e-3"]["val_miou"] - by_name["mfce"]["val_miou"]
    assert f"+{lr_gap:.3f}" in text
    assert re.search(r"PART3_CLASS_BALANCING", text)


def test_the_batch_size_seeds_quote_the_committed_runs():
    runs = json.loads((ROOT / "docs" / "tune_part3_default.json").read_text())
    text = (ROOT / "docs" / "method.md").read_text()
    for seed in (0, 1):
        score = {r["name"]: r["val_miou"] for r in runs if r["seed"] == seed}
        gap = score["mfce_batch4"] - score["mfce"]
        row = f"| {seed} | {score['mfce']:.3f} | {score['mfce_batch4']:.3f} | {gap:+.3f} |"
        assert row in text, row


def test_the_teachers_exercise_table_names_every_checker_of_each_notebook():
    text = (ROOT / "docs" / "teaching.md").read_text().split("## Exercises")[1]
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        used = {
            name
            for cell in cells
            if cell["cell_type"] == "code"
            for name in re.findall(r"exercises\.(check_\w+)", "".join(cell["source"]))
        }
        if not used:
            continue
        row = next(line for line in text.splitlines() if line.startswith(f"| {path.name[:2]} |"))
        listed = set(re.findall(r"`(check_\w+)`", row))
        assert listed == used, (path.name, sorted(used ^ listed))
