"""Tests of the chart layout rules: figure sizes, legends, ticks, reference lines, labels."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from salesnb import plot  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


@pytest.fixture(autouse=True)
def _close_figures():
    plot.set_theme()
    yield
    plt.close("all")


def _reps(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rep": [f"R{i:03d} Firstname Lastname{i}" for i in range(n)],
            "attainment": [0.1 + 0.08 * i for i in range(n)],
        }
    )


def _boxes(ax, texts):
    renderer = ax.figure.canvas.get_renderer()
    return [t.get_window_extent(renderer) for t in texts if t.get_text() and t.get_visible()]


def _overlap(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def test_horizontal_bar_figure_grows_with_its_bars():
    few = plot.leaderboard_chart(_reps(5), name="rep", value="attainment", money=False)
    many = plot.leaderboard_chart(_reps(30), name="rep", value="attainment", top=30, money=False)
    h5, h30 = few.figure.get_figheight(), many.figure.get_figheight()
    assert h30 - h5 == pytest.approx(25 * plot.BAR_HEIGHT_IN)
    # and the 30 rep names do not overlap one another
    many.figure.canvas.draw()
    boxes = sorted(_boxes(many, many.get_yticklabels()), key=lambda b: b.y0)
    assert len(boxes) == 30
    assert not any(_overlap(a, b) for a, b in zip(boxes, boxes[1:], strict=False))


def test_quota_chart_has_the_100_percent_line_and_value_axis_title_on_x():
    ax = plot.leaderboard_chart(
        _reps(12),
        name="rep",
        value="attainment",
        top=30,
        money=False,
        percent=True,
        xlabel="Quota attainment (%)",
        reference=1.0,
        reference_label="quota (100%)",
    )
    lines = plot.reference_lines(ax)
    assert len(lines) == 1 and list(lines[0].get_xdata()) == [1.0, 1.0]
    assert "quota (100%)" in [t.get_text().strip() for t in ax.texts]
    assert ax.get_xlabel() == "Quota attainment (%)"
    assert ax.get_ylabel() == ""


def test_horizontal_bar_axis_titles_go_on_the_axes_they_describe():
    frame = pd.DataFrame({"segment": ["Loyal", "Lost"], "customers": [350, 120]})
    ax = plot.bar_chart(
        frame, x="segment", y="customers", horizontal=True, xlabel="Customers (count)", title="t"
    )
    assert ax.get_xlabel() == "Customers (count)"  # the value axis of horizontal bars is x
    ax = plot.bar_chart(frame, x="segment", y="customers", horizontal=True, title="t")
    assert ax.get_xlabel() == "Customers" and ax.get_ylabel() == "Segment"


def test_legend_stands_outside_the_data():
    frame = pd.DataFrame(
        {
            "period": ["2025Q1", "2025Q2", "2025Q3"] * 3,
            "region": ["North"] * 3 + ["South"] * 3 + ["West"] * 3,
            "revenue": [1.0, 2.0, 3.0, 3.0, 2.0, 1.0, 2.0, 2.0, 2.0],
        }
    )
    ax = plot.line_chart(frame, x="period", y="revenue", hue="region", title="t")
    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    legend = ax.get_legend().get_window_extent(renderer)
    assert not _overlap(legend, ax.get_window_extent(renderer))


def test_satisfaction_ticks_do_not_repeat():
    scores = pd.read_csv(SAMPLE / "satisfaction.csv", parse_dates=["survey_date"])
    scores["period"] = scores["survey_date"].dt.to_period("Q").astype(str)
    mood = scores.groupby("period", as_index=False)["score"].mean().tail(8)
    ax = plot.line_chart(mood, x="period", y="score", ylabel="Mean score (0-10)", title="t")
    ax.figure.canvas.draw()
    labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    low, high = ax.get_ylim()
    shown = [t for t, v in zip(labels, ax.get_yticks(), strict=False) if low <= v <= high]
    assert len(shown) >= 3 and len(set(shown)) == len(shown), shown


def test_percent_ticks_do_not_repeat():
    frame = pd.DataFrame({"period": ["a", "b", "c"], "rate": [0.16, 0.175, 0.19]})
    ax = plot.line_chart(frame, x="period", y="rate", percent=True, title="t")
    ax.figure.canvas.draw()
    low, high = ax.get_ylim()
    shown = [
        t.get_text()
        for t, v in zip(ax.get_yticklabels(), ax.get_yticks(), strict=False)
        if low <= v <= high
    ]
    assert len(set(shown)) == len(shown), shown


@pytest.mark.parametrize("horizontal", [False, True])
def test_bar_labels_are_not_clipped(horizontal):
    frame = pd.DataFrame({"region": ["Central", "East", "West"], "revenue": [1e5, 177_500, 3e4]})
    ax = plot.bar_chart(
        frame,
        x="region",
        y="revenue",
        money=True,
        annotate=True,
        horizontal=horizontal,
        title="Revenue by region",
    )
    ax.figure.canvas.draw()
    box = ax.get_window_extent(ax.figure.canvas.get_renderer())
    for label in _boxes(ax, ax.texts):
        assert box.x0 <= label.x0 and label.x1 <= box.x1 + 0.5
        assert box.y0 <= label.y0 and label.y1 <= box.y1 + 0.5


def test_long_category_labels_do_not_overlap():
    regions = [
        "Europe, Middle East and Africa",
        "Asia Pacific and Japan",
        "North America East Coast",
        "North America West Coast",
        "Latin America and the Caribbean",
    ]
    frame = pd.DataFrame({"region": regions, "revenue": [5.0, 4.0, 3.0, 2.0, 1.0]})
    ax = plot.bar_chart(frame, x="region", y="revenue", title="t")
    ax.figure.canvas.draw()
    boxes = sorted(_boxes(ax, ax.get_xticklabels()), key=lambda b: b.x0)
    assert len(boxes) == 5
    assert not any(_overlap(a, b) for a, b in zip(boxes, boxes[1:], strict=False))


def test_top_n_rest_keeps_the_largest_and_sums_the_others():
    frame = pd.DataFrame(
        {
            "period": ["q1"] * 5 + ["q2"] * 5,
            "product": list("abcde") * 2,
            "revenue": [5.0, 4.0, 3.0, 2.0, 1.0, 5.0, 4.0, 3.0, 2.0, 10.0],
        }
    )
    out = plot.top_n_rest(frame, by="product", value="revenue", n=2, x="period")
    assert out["product"].tolist() == ["e", "a", "all others"] * 2
    assert out["revenue"].sum() == frame["revenue"].sum()
    assert out.loc[out["product"] == "all others", "revenue"].tolist() == [9.0, 9.0]
    # a line chart with too many series draws the top ones and the rest
    ax = plot.line_chart(frame, x="period", y="revenue", hue="product", top=2, title="t")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["e", "a", "all others"]


def test_small_multiples_highlight_the_undercut_product():
    rows = []
    for product in ["Monitor 27", "Laptop 14", "Desk", "Chair", "Lamp"]:
        for competitor in ["Corvex", "Brightline"]:
            for q, period in enumerate(["2026Q1", "2026Q2", "2026Q3"]):
                cut = product == "Monitor 27" and competitor == "Corvex" and q > 0
                rows.append((period, product, competitor, 118.0 if cut else 100.0 + q))
    frame = pd.DataFrame(rows, columns=["period", "product", "competitor", "price_index"])
    fig = plot.small_multiples_chart(
        frame,
        x="period",
        y="price_index",
        facet="product",
        hue="competitor",
        highlight=[("Monitor 27", "Corvex")],
        reference=100,
        reference_label="parity",
        title="Prices",
    )
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 5
    first = visible[0]
    assert first.get_title(loc="left").startswith("Monitor 27")  # the story comes first
    colours = {matplotlib.colors.to_hex(line.get_color()) for line in first.get_lines()}
    assert len(colours) >= 2  # the undercutting competitor stands out
    assert all(plot.reference_lines(ax) for ax in visible)
