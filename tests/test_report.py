"""The HTML report: self-contained (images embedded, no external URL), complete, atomic."""

from __future__ import annotations

import base64
import csv
import json
import re
from html.parser import HTMLParser

import pytest

from gdlab.report import build_report_html, read_history_csv, write_report

# a valid 1x1 PNG (a real image, so the report embeds real bytes)
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)

CONFIG = {"data": "synthetic-linear", "model": "linear", "optimizer": "minibatch",
          "batch_size": 10, "lr": 0.03, "epochs": 3, "engine": "autograd",
          "hidden": [10, 10], "note": "<script>alert(1)</script>"}
METRICS = {"model": "linear", "task": "regression", "n_train": 800, "n_features": 2,
           "epochs_run": 3, "stopped_reason": "max_epochs", "train_loss": 5.1e-05,
           "val_loss": 5.3e-05, "test": {"mse": 1.0e-4, "r2": 0.99999}, "seconds": 0.12,
           "params": {"weight": [1.9996, -3.3997], "bias": [4.1999]}}
HISTORY = [{"epoch": e, "train_loss": 10.0 / 10**e, "val_loss": 11.0 / 10**e, "lr": 0.03,
            "grad_norm": 1.0 / e, "seconds": 0.04} for e in (1, 2, 3)]


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def parse(html: str) -> list[tuple[str, dict]]:
    p = Tags()
    p.feed(html)
    return p.tags


def test_report_embeds_images_and_makes_no_external_request():
    html = build_report_html(CONFIG, METRICS, HISTORY, {"loss_curve.png": PNG, "fit.png": PNG})
    tags = parse(html)
    imgs = [a for t, a in tags if t == "img"]
    assert len(imgs) == 2
    for a in imgs:
        assert a["src"].startswith("data:image/png;base64,")
        assert base64.b64decode(a["src"].split(",", 1)[1]) == PNG
        assert a.get("alt")
    for _, attrs in tags:
        for key in ("src", "href"):
            assert not re.match(r"\s*(https?:)?//", attrs.get(key) or ""), attrs
    assert "http://" not in html
    assert "https://" not in html
    assert not any(t in ("script", "link", "iframe") for t, _ in tags)


def test_report_has_title_metrics_config_and_history():
    html = build_report_html(CONFIG, METRICS, HISTORY, {"loss_curve.png": PNG})
    assert "<title>gdlab run: linear (regression)</title>" in html
    for text in ("final train loss", "5.1e-05", "test r2", "0.99999", "max_epochs",
                 "minibatch", "batch_size", "[10, 10]", "1.9996"):
        assert text in html, text
    rows = [a for t, a in parse(html) if t == "tr"]
    assert len(rows) >= len(HISTORY) + 1 + len(CONFIG)
    assert "<td>0.011</td>" in html  # the history's val_loss at epoch 3
    assert "<script>" not in html  # config text is escaped
    assert "&lt;script&gt;" in html
    # the key metrics come before the figures, which come before the tables
    assert html.index("Key metrics") < html.index("<img") < html.index("Configuration")


def test_report_orders_figures_and_warns_on_divergence():
    images = {"confusion.png": PNG, "zzz_extra.png": PNG, "loss_curve.png": PNG,
              "surface.png": PNG}
    html = build_report_html(CONFIG, {**METRICS, "stopped_reason": "diverged"}, HISTORY, images)
    order = re.findall(r"\((\w+\.png)\)</small>", html)
    assert order == ["loss_curve.png", "surface.png", "confusion.png", "zzz_extra.png"]
    assert "Training diverged" in html


def write_run(run_dir):
    run_dir.mkdir()
    (run_dir / "config.json").write_text(json.dumps(CONFIG))
    (run_dir / "metrics.json").write_text(json.dumps({**METRICS, "val_loss": None}))
    with open(run_dir / "history.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(HISTORY[0]))
        w.writeheader()
        for row in HISTORY:
            w.writerow({**row, "val_loss": ""})
    (run_dir / "loss_curve.png").write_bytes(PNG)


def test_write_report_reads_the_run_folder(tmp_path):
    run = tmp_path / "run"
    write_run(run)
    out = write_report(run)
    assert out == run / "report.html"
    html = out.read_text(encoding="utf-8")
    assert base64.b64encode(PNG).decode() in html
    assert "https://" not in html
    assert "http://" not in html
    assert sorted(p.name for p in run.iterdir()) == [
        "config.json", "history.csv", "loss_curve.png", "metrics.json", "report.html"]
    history = read_history_csv(run / "history.csv")
    assert history[0]["epoch"] == 1
    assert history[0]["val_loss"] is None
    assert history[1]["train_loss"] == pytest.approx(0.1)


def test_write_report_with_real_figures(tmp_path):
    viz = pytest.importorskip("gdlab.viz")
    run = tmp_path / "run"
    write_run(run)
    viz.save_figure(viz.loss_curve(HISTORY), run / "loss_curve.png")
    html = write_report(run).read_text(encoding="utf-8")
    src = next(a["src"] for t, a in parse(html) if t == "img")
    assert base64.b64decode(src.split(",", 1)[1]) == (run / "loss_curve.png").read_bytes()


@pytest.mark.parametrize(("lang", "summary"), [
    ("en", "5000 epochs: one in 25 shown, and the last (every epoch is in history.csv)"),
    ("zh", "5000 轮：每 25 轮显示一行，另加最后一轮（每一轮都在 history.csv 中）")])
def test_a_long_history_is_shown_one_row_in_step_with_the_last(tmp_path, lang, summary):
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps(CONFIG))
    (run / "metrics.json").write_text(json.dumps(METRICS))
    with open(run / "history.csv", "w", newline="") as f:
        f.write("epoch,train_loss,val_loss,lr\n")
        f.writelines(f"{e},{1000 + e},{2000 + e},0.1\n" for e in range(1, 5001))
    html = write_report(run, lang=lang).read_text(encoding="utf-8")
    epochs = [int(m) for m in re.findall(r"<tr><td>(\d+)</td><td>(?:\d+)</td>", html)]
    assert epochs == [*range(1, 5001, 25), 5000]
    assert "<td>5000</td><td>6000</td><td>7000</td>" in html
    assert summary in html
    short = build_report_html(CONFIG, METRICS, HISTORY, {})
    assert "epochs (one row per epoch; also in history.csv)" in short


def test_write_report_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_report(tmp_path / "nope")


def test_report_in_chinese_keeps_the_numbers_and_the_setting_names():
    en = build_report_html(CONFIG, METRICS, HISTORY, {"loss_curve.png": PNG})
    zh = build_report_html(CONFIG, METRICS, HISTORY, {"loss_curve.png": PNG}, lang="zh")
    assert "<title>gdlab 运行：linear（regression）</title>" in zh
    assert '<html lang="zh-Hans">' in zh
    for text in ("主要指标", "最终训练损失", "测试集 r2", "学到的参数", "配置", "训练历史", "每轮的损失"):
        assert text in zh, text
    for text in ("5.1e-05", "0.99999", "batch_size", "minibatch", "1.9996", "<td>0.011</td>"):
        assert text in zh, text
        assert text in en, text
    assert "Key metrics" not in zh
    assert zh.index("主要指标") < zh.index("<img") < zh.index("配置")
