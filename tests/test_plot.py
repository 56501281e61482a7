"""Tests of salesnb.plot: the house theme and the chart functions."""

from __future__ import annotations

import subprocess
import sys

import matplotlib
import matplotlib.colors

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402

from salesnb import plot  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def quarterly():
    return pd.DataFrame(
        {
            "period": ["2025Q1", "2025Q2", "2025Q3"] * 2,
            "region": ["North"] * 3 + ["South"] * 3,
            "revenue": [1200.0, 1500.0, 900.0, 2500000.0, 2600000.0, 2700000.0],
        }
    )


def _title(ax: Axes) -> str:
    return ax.get_title(loc="left")


def _ticks(ax: Axes, axis: str = "y") -> list[str]:
    ax.figure.canvas.draw()
    labels = ax.get_yticklabels() if axis == "y" else ax.get_xticklabels()
    return [t.get_text() for t in labels]


def test_import_changes_no_matplotlib_setting():
    code = (
        "import matplotlib; before = dict(matplotlib.rcParams);"
        "import salesnb.plot;"
        "after = dict(matplotlib.rcParams);"
        "changed = [k for k in before if before[k] != after[k]];"
        "assert not changed, changed"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_set_theme_applies_house_style():
    plot.set_theme()
    assert matplotlib.rcParams["axes.titleweight"] == "bold"
    assert matplotlib.rcParams["axes.spines.top"] is False
    first = list(matplotlib.rcParams["axes.prop_cycle"])[0]["color"]
    assert matplotlib.colors.to_hex(first) == plot.PALETTE[0].lower()


def test_money_formatter_has_currency_and_separators():
    fmt = plot.money_formatter("€")
    assert fmt(0, 0) == "€0"
    assert fmt(999, 0) == "€999"
    assert fmt(1500, 0) == "€1.5k"
    assert fmt(2_000_000, 0) == "€2M"
    assert fmt(-2500, 0) == "-€2.5k"


def test_bar_chart_labels_units_and_title(quarterly):
    plot.set_theme()
    frame = quarterly[quarterly["period"] == "2025Q3"]
    before = frame.copy()
    ax = plot.bar_chart(
        frame,
        x="region",
        y="revenue",
        title="Revenue by region",
        money=True,
        currency="$",
        annotate=True,
    )
    assert isinstance(ax, Axes)
    assert _title(ax) == "Revenue by region"
    assert ax.get_ylabel() == "Revenue ($)"
    assert ax.get_xlabel() == "Region"
    assert any(t.startswith("$") for t in _ticks(ax) if t)
    # the bar labels carry the formatted values
    texts = [t.get_text() for t in ax.texts]
    assert "$900" in texts and "$2.7M" in texts
    pd.testing.assert_frame_equal(frame, before)  # input not mutated


def test_bar_chart_horizontal_percent():
    frame = pd.DataFrame({"source": ["web", "referral"], "rate": [0.15, 0.48]})
    ax = plot.bar_chart(
        frame, x="source", y="rate", percent=True, horizontal=True, title="Conversion"
    )
    assert ax.get_xlabel() == "Rate (%)"
    assert ax.get_ylabel() == "Source"
    assert any(t.endswith("%") for t in _ticks(ax, "x") if t)


def test_line_chart_with_hue_and_several_measures(quarterly):
    ax = plot.line_chart(
        quarterly, x="period", y="revenue", hue="region", money=True, title="Revenue by region"
    )
    assert len(ax.get_lines()) >= 2
    assert ax.get_legend() is not None
    wide = pd.DataFrame(
        {"period": ["2025Q1", "2025Q2"], "new_revenue": [1.0, 2.0], "recurring_revenue": [3.0, 4.0]}
    )
    ax2 = plot.line_chart(
        wide,
        x="period",
        y=["new_revenue", "recurring_revenue"],
        money=True,
        title="New and recurring",
    )
    legend = [t.get_text() for t in ax2.get_legend().get_texts()]
    assert legend == ["new revenue", "recurring revenue"]
    assert ax2.get_ylabel() == "Value ($)"


def test_missing_column_names_it(quarterly):
    with pytest.raises(KeyError, match="revenu_typo"):
        plot.bar_chart(quarterly, x="region", y="revenu_typo", title="x")


def test_not_a_frame_is_a_type_error():
    with pytest.raises(TypeError, match="DataFrame"):
        plot.line_chart([1, 2], x="a", y="b", title="x")


def test_empty_frame_gives_titled_placeholder():
    empty = pd.DataFrame({"region": [], "revenue": []})
    ax = plot.bar_chart(empty, x="region", y="revenue", title="Nothing here")
    assert _title(ax) == "Nothing here"
    assert [t.get_text() for t in ax.texts] == ["no data for this selection"]


def test_actual_vs_target_and_forecast_charts():
    frame = pd.DataFrame(
        {"period": ["2025Q2", "2025Q3"], "actual": [90.0, 120.0], "target": [100.0, 100.0]}
    )
    ax = plot.actual_vs_target_chart(frame, currency="£")
    assert ax.get_ylabel() == "Revenue (£)"
    assert sorted(t.get_text() for t in ax.get_legend().get_texts()) == ["actual", "target"]
    fc = pd.DataFrame(
        {
            "period": ["2025-01", "2025-02", "2025-03"],
            "actual": [10.0, 12.0, np.nan],
            "forecast": [np.nan, 12.0, 13.0],
            "lower": [np.nan, np.nan, 11.0],
            "upper": [np.nan, np.nan, 15.0],
        }
    )
    ax = plot.forecast_chart(fc, interval_label="80% prediction interval")
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["actual", "forecast", "80% prediction interval"]


def test_funnel_lift_heatmap_scatter_leaderboard():
    funnel = pd.DataFrame({"step": ["qualification", "won"], "reached": [200, 50]})
    ax = plot.funnel_chart(funnel, stage="step", count="reached")
    assert [t.get_text() for t in ax.texts] == ["200 (100%)", "50 (25%)"]
    gains = pd.DataFrame(
        {
            "cumulative_share": [0.5, 1.0, 0.5, 1.0],
            "cumulative_gain": [0.8, 1.0, 0.5, 1.0],
            "model": ["logistic", "logistic", "prior", "prior"],
        }
    )
    ax = plot.lift_chart(gains, x="cumulative_share", y="cumulative_gain")
    assert ax.get_xlabel().endswith("(%)") and ax.get_ylabel().endswith("(%)")
    matrix = pd.DataFrame([[0.5, 0.3], [0.4, np.nan]], index=["2025Q1", "2025Q2"], columns=[1, 2])
    ax = plot.heatmap_chart(matrix, title="Retention", xlabel="Quarters after", ylabel="Cohort")
    assert "50%" in [t.get_text() for t in ax.texts]
    pts = pd.DataFrame({"predicted": [1.0, 2.0], "actual": [1.5, 1.8]})
    ax = plot.scatter_chart(pts, x="predicted", y="actual", title="Predicted vs actual")
    assert ax.get_xlabel() == "Predicted ($)"
    board = pd.DataFrame({"name": list("abcdefghijkl"), "revenue": np.arange(12.0)})
    ax = plot.leaderboard_chart(board, top=5)
    shown = [t.get_text() for t in ax.get_yticklabels()]
    assert shown == ["l", "k", "j", "i", "h"]


def test_show_embeds_png_with_title_as_alt(monkeypatch):
    import IPython.display

    calls = []
    monkeypatch.setattr(
        IPython.display, "display", lambda *args, **kwargs: calls.append((args, kwargs))
    )
    ax = plot.bar_chart(
        pd.DataFrame({"r": ["a"], "v": [1.0]}), x="r", y="v", title="Revenue <by> region"
    )
    plot.show(ax)
    (bundle,), kwargs = calls[0]
    assert kwargs["raw"] is True
    assert kwargs["metadata"] == {"image/png": {"alt": "Revenue <by> region"}}
    import base64

    assert base64.b64decode(bundle["image/png"]).startswith(b"\x89PNG")
    assert not plt.get_fignums()  # the figure was closed


def test_figure_png_rejects_other_objects():
    with pytest.raises(TypeError, match="Axes or Figure"):
        plot.figure_png("not a chart")
