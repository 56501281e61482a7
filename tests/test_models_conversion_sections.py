"""Tests of the conversion pages: lead conversion at equal age, skill statements, plain labels."""

from __future__ import annotations

import pandas as pd
import pytest

from salesnb import sections
from salesnb.kpi import lead_conversion_rate
from salesnb.load.data import SalesData
from salesnb.periods import Period
from tests.kpi_engines import run_on_engines

Q3 = Period.parse("2025Q3")
AS_OF = pd.Timestamp("2025-09-30")


def _cohort(quarter_start: str, prefix: str) -> list[tuple[str, str, str | None]]:
    """10 leads of one quarter: 2 convert after 5 days, 2 created late convert after 40 days.

    At the quarter's end the 2 late ones have not converted yet; 60 days later
    they have. Every quarter behaves the same: conversion is flat at equal age.
    """
    start = pd.Timestamp(quarter_start)
    rows = []
    for i in range(10):
        created = start + pd.Timedelta(days=5 + 8 * i)  # days 5 .. 77 of the quarter
        if i < 2:
            converted = created + pd.Timedelta(days=5)
        elif i >= 8:
            converted = created + pd.Timedelta(days=40)  # after the quarter's end
        else:
            converted = None
        rows.append((f"{prefix}{i}", str(created.date()), converted and str(converted.date())))
    return rows


def equal_age_leads() -> pd.DataFrame:
    rows = _cohort("2024-07-01", "LY") + _cohort("2025-04-01", "PQ") + _cohort("2025-07-01", "Q")
    frame = pd.DataFrame(rows, columns=["lead_id", "created_at", "converted_at"])
    frame["created_at"] = pd.to_datetime(frame["created_at"])
    frame["converted_at"] = pd.to_datetime(frame["converted_at"])
    # data as of 2025-09-30: the current quarter's late conversions have not happened yet
    frame.loc[frame["converted_at"] > AS_OF, "converted_at"] = pd.NaT
    return frame


# --------------------------------------------------------------------------- item 8
def test_lead_conversion_equal_age_kpi_hand_computed():
    leads = equal_age_leads()
    plain = lead_conversion_rate(leads, as_of=AS_OF, within_days=60, comparisons=False)
    plain = plain.set_index("period")
    # unequal age: older quarters had time for their late conversions
    assert plain.loc[["2024Q3", "2025Q2", "2025Q3"], "conversion_rate"].tolist() == [0.4, 0.4, 0.2]
    same = lead_conversion_rate(
        leads, as_of=AS_OF, within_days=60, equal_age=True, comparisons=False
    ).set_index("period")
    assert same.loc[["2024Q3", "2025Q2", "2025Q3"], "conversion_rate"].tolist() == [0.2] * 3
    assert same.loc["2025Q3", "leads"] == 10
    assert same.loc["2024Q4", "note"] == "no leads"
    # as of day 30 of 2025Q3: each quarter keeps the leads of its first 30 days (days 5,
    # 13, 21, 29) and the conversions made by then (the two quick ones)
    mid = lead_conversion_rate(
        leads, as_of="2025-07-30", equal_age=True, comparisons=False
    ).set_index("period")
    assert mid.loc[["2024Q3", "2025Q2", "2025Q3"], "leads"].tolist() == [4, 4, 4]
    assert mid.loc[["2024Q3", "2025Q2", "2025Q3"], "converted"].tolist() == [2, 2, 2]
    with pytest.raises(ValueError, match="equal_age needs as_of"):
        lead_conversion_rate(leads, equal_age=True)
    # the same figures on polars (eager and lazy) and DuckDB
    run_on_engines(
        lead_conversion_rate,
        leads,
        as_of="2025-07-30",
        equal_age=True,
        within_days=60,
        duckdb=True,
    )


def test_headline_compares_lead_conversion_at_equal_age():
    sales = SalesData(tables={"leads": equal_age_leads()}, as_of=AS_OF)
    head = sections.headline_kpis(sales, Q3)
    row = head[head["kpi"].str.startswith("Lead conversion")].iloc[0]
    assert (row["value"], row["previous"], row["last_year"]) == pytest.approx((0.2, 0.2, 0.2))
    # the rule is in the label
    assert row["kpi"] == "Lead conversion (within 60 days and by quarter end)"
    shown = sections.format_headline(head, Q3).set_index("KPI").loc[row["kpi"]]
    assert shown["vs 2025Q2"] == "+0.0 pp" and shown["vs 2024Q3"] == "+0.0 pp"


def test_leads_page_conversion_history_at_equal_age():
    from salesnb.sections.conversion import conversion_by_quarter

    leads = equal_age_leads()
    table, label = conversion_by_quarter(leads, Q3, as_of=AS_OF)
    assert label == "Lead conversion within 60 days and by quarter end"
    rows = table.set_index("period")
    assert rows.loc[["2024Q3", "2025Q2", "2025Q3"], "conversion_rate"].tolist() == [0.2] * 3
    assert rows.index[-1] == "2025Q3"
    assert "conversion_rate_prev" in table.columns  # change_sentence reads the comparisons
    text = sections.change_sentence(label, table, Q3, column="conversion_rate", kind="pct")
    assert "20.0%" in text and "+0.0 pp" in text
    # a report of a quarter still running: each quarter read at the same day of the quarter
    _, label = conversion_by_quarter(leads, Q3, as_of="2025-07-30")
    assert label == "Lead conversion within 60 days and by day 30 of the quarter"


# --------------------------------------------------------------------------- skill statements
def _metrics(model_auc: float, base_auc: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "model": ["prior", "source_rate", "logistic"],
            "baseline": [True, True, False],
            "n_test": [250, 250, 250],
            "base_rate": [0.2] * 3,
            "roc_auc": [0.5, base_auc, model_auc],
            "pr_auc": [0.2, 0.3, 0.4],
            "brier": [0.16, 0.15, 0.12],
            "top_decile_rate": [0.2, 0.35, 0.6],
            "top_decile_lift": [1.0, 1.75, 3.0],
            "top_decile_capture": [0.1, 0.17, 0.3],
        }
    )


def _small_leads() -> pd.DataFrame:
    """12 leads: 'web' leads convert, 'fax' leads do not; visits carry no signal."""
    created = pd.date_range("2025-07-01", periods=12, freq="7D")
    return pd.DataFrame(
        {
            "lead_id": [f"L{i:02d}" for i in range(12)],
            "created_at": created,
            "source": ["web", "fax"] * 6,
            "visits": [1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0],
            "converted_at": [
                c + pd.Timedelta(days=3) if i % 2 == 0 and i < 8 else pd.NaT
                for i, c in enumerate(created)
            ],
        }
    )


def _evaluation(model_auc: float, base_auc: float):
    from salesnb.models.conversion import (
        ConversionEvaluation,
        ConversionModel,
        RateBaseline,
        training_data,
    )

    X, y = training_data(_small_leads())
    models = {
        "source_rate": RateBaseline("source", smoothing=0).fit(X, y),
        "logistic": ConversionModel(features=["visits"], min_frequency=1).fit(X, y),
    }
    empty = pd.DataFrame()
    return ConversionEvaluation(
        _metrics(model_auc, base_auc).iloc[1:], empty, empty, empty, empty, models
    )


def test_skill_sentence_says_whether_the_model_beat_the_simple_rule():
    from salesnb.sections.conversion import skill_sentence

    won = skill_sentence(_metrics(0.88, 0.71))
    assert won.startswith(
        "The lead-scoring model (logistic regression) ranks leads better than "
        "the source-only rule: AUC **0.88** vs 0.71"
    )
    assert "1.0 is perfect, 0.5 is chance" in won
    lost = skill_sentence(_metrics(0.72, 0.71))  # within the 0.02 margin: the rule wins
    assert lost.startswith("No model beats the simple rule here")
    assert lost.endswith("so leads are ranked by the source-only rule.")
    deals = skill_sentence(
        _metrics(0.60, 0.61).replace({"source_rate": "product_rate"}),
        what="deals",
        fallback="open deals are weighted by the historical win rate of their stage",
    )
    assert "deal-scoring model" in deals and "product-only rule" in deals
    assert deals.endswith("weighted by the historical win rate of their stage.")
    # a column name from the data is escaped in the Markdown sentence
    odd = skill_sentence(_metrics(0.6, 0.61).replace({"source_rate": "[x](y)_rate"}))
    assert "\\[x\\]\\(y\\)-only rule" in odd


def test_scoring_table_has_plain_labels():
    from salesnb.sections.conversion import scoring_table

    shown = scoring_table(_metrics(0.88, 0.71))
    text = " ".join(shown.columns) + " " + " ".join(shown.astype(str).to_numpy().ravel())
    for jargon in ("roc_auc", "roc auc", "brier", "pr_auc", "True", "False", "baseline"):
        assert jargon not in text.lower() if jargon.islower() else jargon not in text
    assert shown["Kind"].tolist() == ["simple rule", "simple rule", "model"]
    assert shown.iloc[2, 3] == "0.88"


def test_leads_to_call_uses_the_rule_when_the_model_has_no_skill():
    from salesnb.sections.conversion import leads_to_call

    leads = _small_leads()
    as_of = pd.Timestamp("2025-09-16")  # the last lead's creation day
    table, check = leads_to_call(_evaluation(0.72, 0.71), leads, as_of=as_of, within_days=30)
    assert check.chosen == "source_rate"
    # open at as_of and created in the last 30 days (from 2025-08-18): L07 .. L11
    assert sorted(table["lead_id"]) == ["L07", "L08", "L09", "L10", "L11"]
    # the source-only rule scores web leads 4/6 and fax leads 0
    assert table["chance_to_convert"].tolist() == pytest.approx([4 / 6, 4 / 6, 0, 0, 0])
    assert table["lead_id"].tolist() == ["L10", "L08", "L11", "L09", "L07"]  # ties: newest first
    table, check = leads_to_call(_evaluation(0.88, 0.71), leads, as_of=as_of, within_days=30)
    assert check.chosen == "logistic"
    model = _evaluation(0.88, 0.71).models["logistic"]
    assert table["chance_to_convert"].tolist() == pytest.approx(
        sorted(model.predict_proba(leads.iloc[7:])[:, 1], reverse=True)
    )
