"""Tests of salesnb.plot: the house theme and the chart functions."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

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


# -- data text is drawn as plain text -----------------------------------------------------
LONG = ("$Big$ Spender Holdings of the Greater Metropolitan Area and Surroundings " * 3)[:120]
HOSTILE = ["$$", r"$\badcmd$", "a_b^c", "Price $5 $10", "<script>alert(1)</script>"]
NAMES = [*HOSTILE, LONG]


def _hostile_charts():
    """One chart per chart function, each showing every name of ``NAMES`` (as categories,
    legend entries or heatmap labels), with a title that includes a name."""
    n = len(NAMES)
    values = np.arange(1.0, n + 1.0)
    categories = pd.DataFrame({"name": NAMES, "revenue": values * 1000})
    by_period = pd.DataFrame(
        {
            "period": ["2025Q1", "2025Q2"] * n,
            "name": [name for name in NAMES for _ in range(2)],
            "revenue": np.arange(2.0 * n),
        }
    )
    hue_bars = pd.DataFrame({"region": ["North"] * n, "name": NAMES, "revenue": values})
    targets = pd.DataFrame({"name": NAMES, "actual": values, "target": values + 1})
    forecast = pd.DataFrame(
        {
            "name": NAMES,
            "actual": [*values[:-2], np.nan, np.nan],
            "forecast": [np.nan] * (n - 3) + list(values[-3:]),
            "lower": [np.nan] * (n - 2) + list(values[-2:] - 1),
            "upper": [np.nan] * (n - 2) + list(values[-2:] + 1),
        }
    )
    funnel = pd.DataFrame({"stage": NAMES, "count": values[::-1] * 10})
    gains = pd.DataFrame(
        {
            "share_contacted": [0.5, 1.0] * n,
            "share_converted": [0.6, 1.0] * n,
            "model": [name for name in NAMES for _ in range(2)],
        }
    )
    matrix = pd.DataFrame(np.full((n, n), 0.5), index=NAMES, columns=NAMES)
    points = pd.DataFrame({"predicted": values, "actual": values + 0.5, "name": NAMES})
    title = f"Revenue of {HOSTILE[1]} and {HOSTILE[3]}"
    return {
        "bar_chart": lambda: plot.bar_chart(categories, x="name", y="revenue", title=title),
        "bar_chart_hue": lambda: plot.bar_chart(
            hue_bars, x="region", y="revenue", hue="name", title=title
        ),
        "bar_chart_horizontal": lambda: plot.bar_chart(
            categories, x="name", y="revenue", horizontal=True, annotate=True, title=title
        ),
        "line_chart": lambda: plot.line_chart(
            by_period, x="period", y="revenue", hue="name", money=True, title=title
        ),
        "line_chart_categories": lambda: plot.line_chart(
            categories, x="name", y="revenue", title=title
        ),
        "actual_vs_target_chart": lambda: plot.actual_vs_target_chart(
            targets, x="name", title=title
        ),
        "forecast_chart": lambda: plot.forecast_chart(forecast, x="name", title=title),
        "funnel_chart": lambda: plot.funnel_chart(funnel, title=title),
        "lift_chart": lambda: plot.lift_chart(gains, title=title),
        "heatmap_chart": lambda: plot.heatmap_chart(
            matrix, title=title, xlabel="Product", ylabel="Customer"
        ),
        "scatter_chart": lambda: plot.scatter_chart(
            points, x="predicted", y="actual", hue="name", title=title
        ),
        "leaderboard_chart": lambda: plot.leaderboard_chart(categories, title=title),
        "waterfall_chart": lambda: plot.waterfall_chart(
            categories.rename(columns={"name": "step", "revenue": "value"}), title=title
        ),
    }


def _figure_texts(ax: Axes) -> list[matplotlib.text.Text]:
    return [t for t in ax.figure.findobj(matplotlib.text.Text) if t.get_text()]


def test_every_chart_function_is_exercised_with_hostile_names():
    covered = {name.split("_chart")[0] + "_chart" for name in _hostile_charts()}
    covered.add("small_multiples_chart")  # a figure of panels: its own test below
    public = {name for name in plot.__all__ if name.endswith("_chart")}
    assert covered == public


@pytest.mark.parametrize("themed", [False, True], ids=["no_theme", "house_theme"])
def test_small_multiples_with_hostile_names(themed):
    n = len(NAMES)
    by_period = pd.DataFrame(
        {
            "period": ["2025Q1", "2025Q2"] * n,
            "name": [name for name in NAMES for _ in range(2)],
            "revenue": np.arange(2.0 * n),
        }
    )
    with matplotlib.rc_context():
        if themed:
            plot.set_theme()
        else:
            matplotlib.rcParams["text.parse_math"] = True
        fig = plot.small_multiples_chart(
            by_period, x="period", y="revenue", facet="name", highlight=[NAMES[0]], title=NAMES[1]
        )
        assert plot.figure_png(fig).startswith(b"\x89PNG")  # mathtext would fail here
        texts = [t for t in fig.findobj(matplotlib.text.Text) if t.get_text()]
        shown = [t.get_text() for t in texts]
        for name in HOSTILE:
            assert name in shown, (name, shown)
        assert not [t.get_text() for t in texts if t.get_parse_math() and "$" in t.get_text()]
        assert LONG not in shown


@pytest.mark.parametrize("themed", [False, True], ids=["no_theme", "house_theme"])
@pytest.mark.parametrize("chart", sorted(_hostile_charts()))
def test_names_with_dollars_are_drawn_as_plain_text(chart, themed):
    with matplotlib.rc_context():
        if themed:
            plot.set_theme()
        else:
            matplotlib.rcParams["text.parse_math"] = True  # a user without set_theme
        ax = _hostile_charts()[chart]()
        png = plot.figure_png(ax)  # mathtext would fail here
        assert png.startswith(b"\x89PNG")
        texts = _figure_texts(ax)
        shown = [t.get_text() for t in texts]
        for name in HOSTILE:  # short names are drawn exactly as they are in the data
            assert name in shown, (name, shown)
        assert ax.get_title(loc="left") == f"Revenue of {HOSTILE[1]} and {HOSTILE[3]}"
        math = [t.get_text() for t in texts if t.get_parse_math()]
        assert not [t for t in math if "$" in t.replace("$", "", 1)], math
        # the long name is wrapped or shortened with an ellipsis, never drawn in full
        assert LONG not in shown
        long_shown = [t for t in shown if t.replace("\n", " ").startswith(LONG[:12])]
        assert long_shown, shown
        for text in long_shown:
            lines = text.split("\n")
            assert len(lines) <= 3 and max(len(line) for line in lines) <= 40, text
            assert len(lines) > 1 or text.endswith("…"), text


def test_set_theme_turns_off_mathtext():
    with matplotlib.rc_context():
        plot.set_theme()
        assert matplotlib.rcParams["text.parse_math"] is False


def test_short_labels_are_left_alone():
    frame = pd.DataFrame({"name": ["North", "Key account: Acme"], "revenue": [1.0, 2.0]})
    ax = plot.leaderboard_chart(frame)
    plot.figure_png(ax)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Key account: Acme", "North"]


SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample"


def _hostile_name(i: int, name: str) -> str:
    """Every seventh name becomes 120 characters long, the others start with a hostile
    string (names stay distinct: the original name is kept)."""
    if i % 7 == 6:
        return f"{name} {LONG}"[:120]
    return f"{HOSTILE[i % len(HOSTILE)]} {name}"


def _rename(path: Path, column: str, names: dict[str, str]) -> None:
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        fields, rows = reader.fieldnames, list(reader)
    for row in rows:
        row[column] = names.get(row[column], row[column])
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def _names(path: Path, column: str) -> dict[str, str]:
    with open(path, newline="", encoding="utf-8") as fh:
        values = list(dict.fromkeys(row[column] for row in csv.DictReader(fh)))
    return {name: _hostile_name(i, name) for i, name in enumerate(values)}


@pytest.mark.slow
@pytest.mark.skipif(not (SAMPLE / "orders.csv").exists(), reason="data/sample not generated")
def test_report_pack_with_hostile_names(tmp_path):
    from salesnb.report import run_report

    data = tmp_path / "data"
    shutil.copytree(SAMPLE, data)
    _rename(data / "reps.csv", "name", _names(data / "reps.csv", "name"))
    _rename(data / "customers.csv", "name", _names(data / "customers.csv", "name"))
    products = _names(data / "products.csv", "product")
    for table in ("products", "orders", "opportunities", "competitor_prices"):
        _rename(data / f"{table}.csv", "product", products)
    result = run_report(data=data, out=tmp_path / "reports", jobs=2, progress=False)
    assert result.ok, [(nb.name, nb.error) for nb in result.notebooks if not nb.ok]
    assert len(result.notebooks) == 7
    team = (result.out_dir / "04_team_performance.html").read_text(encoding="utf-8")
    assert "$\\badcmd$" in team  # the names reach the page as text
