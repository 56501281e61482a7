"""Tests of salesnb.models.conversion: leakage, encoding, split, evaluation, scoring."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.dummy import DummyClassifier

from salesnb.models.conversion import (
    ID_COLUMNS,
    LEAKAGE_COLUMNS,
    ConversionModel,
    PlaceholderToMissing,
    RateBaseline,
    calibration_table,
    evaluate_classifiers,
    evaluate_conversion,
    gains_table,
    score,
    snake_case,
    time_split,
    training_data,
)
from salesnb.models.forecast import pipeline_weighted_forecast

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
X_EDUCATION = SHARED / "x_education_leads"
MAPPING = Path(__file__).resolve().parents[1] / "data" / "mappings" / "x_education.toml"


def make_leads(n: int = 1500, seed: int = 0) -> pd.DataFrame:
    """Seeded leads: conversion depends on source and visits; some columns leak."""
    rng = np.random.default_rng(seed)
    created = pd.Timestamp("2023-01-01") + pd.to_timedelta(
        np.sort(rng.uniform(0, 730, n)), unit="D"
    )
    source = rng.choice(
        ["web", "referral", "event", "partner", "fax"], n, p=[0.45, 0.2, 0.2, 0.145, 0.005]
    )
    visits = rng.poisson(3, n).astype(float)
    visits[rng.random(n) < 0.05] = np.nan
    city = rng.choice(
        np.array(["Select", "Mumbai", "Pune", None], dtype=object), n, p=[0.3, 0.3, 0.3, 0.1]
    )
    logit = (
        -2.0
        + 1.5 * (source == "referral")
        + 0.6 * (source == "event")
        + 0.35 * np.nan_to_num(visits, nan=3.0)
    )
    converted = rng.random(n) < 1 / (1 + np.exp(-logit))
    converted_at = pd.Series(created + pd.Timedelta(days=12)).where(converted)
    return pd.DataFrame(
        {
            "lead_id": [f"L{i:05d}" for i in range(n)],
            "created_at": created,
            "source": source,
            "web_visits": visits,
            "city": city,
            "converted_at": converted_at,
            "converted": converted,
            "customer_id": np.where(converted, [f"C{i}" for i in range(n)], None),
            "tags": np.where(converted, "Closed by Horizzon", "Ringing"),
            "Lead Quality": np.where(converted & (rng.random(n) < 0.9), "High", "Low"),
            "last_activity_at": created + pd.Timedelta(days=20),
            "magazine": "No",
        }
    )


@pytest.fixture(scope="module")
def leads() -> pd.DataFrame:
    return make_leads()


def make_opportunities(n: int = 600, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    created = pd.Timestamp("2024-01-01") + pd.to_timedelta(
        np.sort(rng.uniform(0, 540, n)), unit="D"
    )
    product = rng.choice(["desk", "chair", "lamp"], n)
    amount = np.round(rng.lognormal(7, 0.6, n), 2)
    p_win = np.where(product == "desk", 0.6, 0.2) * np.where(amount > 1500, 0.6, 1.0)
    won = rng.random(n) < p_win
    status = np.where(won, "won", "lost").astype(object)
    status[-40:] = "open"
    closed_at = pd.Series(created + pd.Timedelta(days=30)).where(status != "open")
    return pd.DataFrame(
        {
            "opportunity_id": [f"O{i:04d}" for i in range(n)],
            "customer_id": [f"C{i % 50}" for i in range(n)],
            "rep_id": rng.choice(["R1", "R2", "R3"], n),
            "product": product,
            "created_at": created,
            "stage": np.where(won, "negotiation", "discovery"),
            "status": status,
            "amount": amount,
            "expected_close_date": (created + pd.Timedelta(days=45)).normalize(),
            "closed_at": closed_at,
            "stage_changed_at": created + pd.Timedelta(days=5),
            "last_activity_at": created + pd.Timedelta(days=25),
            "lost_reason": np.where(status == "lost", "price", None),
        }
    )


# --------------------------------------------------------------------------- leakage
REQUIRED_LEAKS = [
    "converted_at",
    "customer_id",
    "closed_at",
    "status",
    "stage",
    "lost_reason",
    "last_activity_at",
    "stage_changed_at",
    "tags",
    "lead_quality",
    "last_activity",
    "last_notable_activity",
    "lead_profile",
    "asymmetrique_activity_index",
    "asymmetrique_profile_index",
    "asymmetrique_activity_score",
    "asymmetrique_profile_score",
]


def test_leakage_list_is_stated_with_reasons():
    assert set(REQUIRED_LEAKS) <= set(LEAKAGE_COLUMNS)
    assert all(isinstance(v, str) and len(v) > 10 for v in LEAKAGE_COLUMNS.values())
    assert snake_case("Asymmetrique Activity Index") in LEAKAGE_COLUMNS
    assert "lead_number" in ID_COLUMNS


def test_leaking_columns_are_not_pipeline_inputs(leads):
    X, y = training_data(leads)
    for kind in ("logistic", "hgb"):
        model = ConversionModel(kind, max_iter=50).fit(X, y)
        inputs = list(model.pipeline_.feature_names_in_)
        assert inputs == model.features_
        assert not {snake_case(c) for c in inputs} & set(LEAKAGE_COLUMNS)
        assert sorted(inputs) == ["city", "source", "web_visits"]
        for col in ["converted_at", "customer_id", "tags", "Lead Quality", "last_activity_at"]:
            assert model.excluded_[col].startswith("leaks the outcome"), col
        assert model.excluded_["lead_id"] == "identifier"
        assert model.excluded_["created_at"].startswith("date column")
        assert model.excluded_["magazine"] == "at most one distinct value"


def test_naming_a_leaking_feature_raises(leads):
    X, y = training_data(leads)
    with pytest.raises(ValueError, match="tags: free tags"):
        ConversionModel(features=["source", "tags"]).fit(X, y)
    with pytest.raises(ValueError, match="Lead Quality"):
        ConversionModel(features=["Lead Quality"]).fit(X, y)


def test_opportunity_leaks_are_excluded():
    opps = make_opportunities()
    X, y = training_data(opps)
    model = ConversionModel().fit(X, y)
    assert sorted(model.features_) == ["amount", "product", "rep_id"]
    for col in [
        "stage",
        "status",
        "closed_at",
        "lost_reason",
        "expected_close_date",
        "stage_changed_at",
        "last_activity_at",
        "customer_id",
    ]:
        assert col not in model.pipeline_.feature_names_in_


# --------------------------------------------------------------------------- encoding
def test_placeholders_are_missing(leads):
    X, y = training_data(leads)
    model = ConversionModel(max_iter=100).fit(X, y)
    probe = X.iloc[:3].copy()
    probe["city"] = ["Select", None, " Select "]
    p = model.predict_proba(probe)[:, 1]
    base = X.iloc[:3].assign(city=np.nan)
    np.testing.assert_allclose(p, model.predict_proba(base)[:, 1])
    custom = PlaceholderToMissing(placeholders=("Select", "unknown")).fit_transform(
        pd.DataFrame({"a": ["unknown", "Select", "x", 3]})
    )
    assert pd.isna(custom[:2, 0]).all() and custom[2:, 0].tolist() == ["x", "3"]


def test_rare_and_unseen_levels_share_the_infrequent_column(leads):
    X, y = training_data(leads)
    model = ConversionModel(min_frequency=0.02).fit(X, y)
    encoder = model.pipeline_.named_steps["prepare"].named_transformers_["categorical"][-1]
    source_idx = model.categorical_features_.index("source")
    assert list(encoder.infrequent_categories_[source_idx]) == ["fax"]  # 0.5 % of leads
    probe = X.iloc[:2].copy()
    probe["source"] = ["fax", "never-seen-before"]
    same = probe.assign(web_visits=3.0, city="Pune")
    q = model.predict_proba(same)[:, 1]
    assert q[0] == pytest.approx(q[1])


# --------------------------------------------------------------------------- split
def test_time_split_by_created_at_is_strictly_later(leads):
    X, y = training_data(leads)
    shuffled = X.sample(frac=1.0, random_state=3)
    X_tr, X_te, y_tr, y_te = time_split(shuffled, y.loc[shuffled.index], test_size=0.25)
    assert len(X_te) == 375 and len(X_tr) == 1125
    assert X_tr["created_at"].max() < X_te["created_at"].min()
    assert (y_tr.index == X_tr.index).all() and (y_te.index == X_te.index).all()


def test_time_split_without_dates_uses_lead_number_then_rows():
    X = pd.DataFrame({"lead_number": [105, 101, 104, 102, 103, 100]})
    y = pd.Series([1, 0, 1, 0, 1, 0], dtype=bool)
    X_tr, X_te, _, _ = time_split(X, y, test_size=0.5)
    assert X_tr["lead_number"].tolist() == [100, 101, 102]
    assert X_te["lead_number"].tolist() == [103, 104, 105]
    X_tr, X_te, _, _ = time_split(X.rename(columns={"lead_number": "n"}), y, test_size=0.5)
    assert X_te.index.tolist() == [3, 4, 5]  # row order


def test_time_split_ties_go_to_the_test_side():
    X = pd.DataFrame({"created_at": pd.to_datetime(["2024-01-01"] * 2 + ["2024-02-01"] * 3)})
    y = pd.Series([True, False, True, False, True])
    X_tr, X_te, _, _ = time_split(X, y, test_size=0.5)
    assert len(X_tr) == 2 and len(X_te) == 3
    with pytest.raises(ValueError, match="same created_at"):
        time_split(X.assign(created_at=pd.Timestamp("2024-01-01")), y, test_size=0.5)
    with pytest.raises(ValueError, match="1 record"):
        time_split(X.assign(created_at=[None, *X["created_at"].iloc[1:]]), y)


def test_training_data_targets():
    opps = make_opportunities()
    X, y = training_data(opps)
    assert len(X) == 560 and set(opps.loc[X.index, "status"]) == {"won", "lost"}
    assert y.sum() == (opps["status"] == "won").sum()
    leads = make_leads(50).drop(columns="converted")
    _, y = training_data(leads)
    assert y.tolist() == leads["converted_at"].notna().tolist()
    with pytest.raises(ValueError, match="'converted' or 'converted_at'"):
        training_data(leads.drop(columns="converted_at"))


# --------------------------------------------------------------------------- gains, calibration
def test_gains_table_hand_computed_with_straddling_ties():
    y = [1, 1, 0, 1, 0, 0, 0, 1, 0, 0]
    s = [0.9, 0.8, 0.8, 0.8, 0.5, 0.5, 0.4, 0.3, 0.2, 0.1]
    t = gains_table(y, s, n_bins=5)
    # the tie group at 0.8 (3 leads, 2 conversions) spans groups 1 (one slot) and 2 (two)
    assert t["n"].tolist() == [2, 2, 2, 2, 2]
    assert t["conversions"].tolist() == pytest.approx([1 + 2 / 3, 4 / 3, 0, 1, 0])
    assert t["conversion_rate"].tolist() == pytest.approx([5 / 6, 2 / 3, 0, 0.5, 0])
    assert t["lift"].tolist() == pytest.approx([5 / 6 / 0.4, 2 / 3 / 0.4, 0, 1.25, 0])
    assert t["cumulative_share"].tolist() == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0])
    assert t["cumulative_gain"].tolist() == pytest.approx([5 / 12, 0.75, 0.75, 1.0, 1.0])
    assert t["cumulative_lift"].tolist() == pytest.approx([25 / 12, 1.875, 1.25, 1.25, 1.0])


def test_gains_table_constant_score_has_lift_one_and_uneven_sizes():
    t = gains_table([1] * 3 + [0] * 8, [0.5] * 11, n_bins=10)
    assert t["n"].tolist() == [1, 1, 1, 1, 1, 1, 1, 1, 1, 2]  # cuts at floor(k * 11 / 10)
    assert t["lift"].tolist() == pytest.approx([1.0] * 10)
    assert t["conversions"].sum() == pytest.approx(3)
    perfect = gains_table([1] * 10 + [0] * 90, np.linspace(1, 0, 100))
    assert perfect["conversion_rate"].iloc[0] == 1.0 and perfect["lift"].iloc[0] == 10.0
    assert perfect["cumulative_gain"].iloc[0] == 1.0
    with pytest.raises(ValueError, match="at least n_bins=10"):
        gains_table([1, 0], [0.3, 0.2])


def test_calibration_table_hand_computed():
    t = calibration_table([0, 1, 1, 0, 1], [0.05, 0.12, 0.18, 0.55, 1.0])
    assert t["bin"].tolist() == [1, 2, 6, 10]
    assert t["n"].tolist() == [1, 2, 1, 1]
    assert t["mean_predicted"].tolist() == pytest.approx([0.05, 0.15, 0.55, 1.0])
    assert t["observed_rate"].tolist() == [0.0, 1.0, 0.0, 1.0]
    assert t["lower"].tolist() == pytest.approx([0.0, 0.1, 0.5, 0.9])
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\]"):
        calibration_table([0, 1], [0.5, 1.5])


def test_rate_baseline_hand_computed():
    X = pd.DataFrame({"source": ["a", "a", "a", "b", "b", "Select", None]})
    y = [1, 1, 0, 0, 0, 1, 0]
    model = RateBaseline("source", smoothing=2).fit(X, y)
    assert model.prior_ == pytest.approx(3 / 7)
    assert model.rates_.to_dict() == pytest.approx({"(missing)": 13 / 28, "a": 4 / 7, "b": 3 / 14})
    p = model.predict_proba(pd.DataFrame({"source": ["a", "c", None]}))[:, 1]
    assert p.tolist() == pytest.approx([4 / 7, 3 / 7, 13 / 28])


# --------------------------------------------------------------------------- contract
def test_sklearn_contract_and_seeding(leads):
    X, y = training_data(leads)
    model = ConversionModel("hgb", max_iter=30, random_state=5)
    assert clone(model).get_params() == model.get_params()
    assert not [k for k in vars(model) if k.endswith("_")]
    assert model.fit(X, y) is model
    again = clone(model).fit(X, y)
    np.testing.assert_array_equal(model.predict_proba(X), again.predict_proba(X))
    assert model.predict(X).dtype == bool
    assert list(model.classes_) == [False, True]
    with pytest.raises(ValueError, match="model must be 'logistic' or 'hgb'"):
        ConversionModel("forest").fit(X, y)
    with pytest.raises(ValueError, match="only one outcome"):
        ConversionModel().fit(X, np.zeros(len(X), dtype=bool))


def test_predict_needs_the_fitted_columns(leads):
    X, y = training_data(leads)
    model = ConversionModel().fit(X, y)
    with pytest.raises(ValueError, match=r"lacks feature column\(s\) \['web_visits'\]"):
        model.predict_proba(X.drop(columns="web_visits"))


# --------------------------------------------------------------------------- evaluation
def test_evaluate_conversion_on_synthetic_leads(leads):
    ev = evaluate_conversion(leads, n_repeats=2)
    m = ev.metrics.set_index("model")
    assert list(m.index) == ["prior", "source_rate", "logistic", "hgb"]
    assert m["baseline"].tolist() == [True, True, False, False]
    assert ev.split["order_by"] == "created_at" and ev.split["n_test"] == 375
    assert m.loc["prior", "roc_auc"] == 0.5 and m.loc["prior", "top_decile_lift"] == pytest.approx(
        1
    )
    assert m.loc["logistic", "roc_auc"] > m.loc["source_rate", "roc_auc"] > 0.5
    assert m.loc["logistic", "brier"] < m.loc["prior", "brier"]
    # the top-decile figures are the first row of the gains table
    g = ev.gains[ev.gains["model"] == "logistic"]
    assert len(g) == 10 and m.loc["logistic", "top_decile_rate"] == g["conversion_rate"].iloc[0]
    assert set(ev.calibration["model"]) == set(m.index)
    assert set(ev.roc.columns) == {"model", "fpr", "tpr"}
    imp = ev.importance
    assert set(imp["model"]) == {"source_rate", "logistic", "hgb"}  # the prior uses no column
    top = imp[imp["model"] == "logistic"].iloc[0]
    assert top["feature"] in {"web_visits", "source"} and top["importance_mean"] > 0
    city = imp[(imp["model"] == "logistic") & (imp["feature"] == "city")]["importance_mean"]
    assert abs(city.iloc[0]) < 0.02  # city is noise in this data


def test_evaluate_classifiers_needs_both_outcomes(leads):
    X, y = training_data(leads)
    prior = DummyClassifier(strategy="prior").fit(X, y)
    with pytest.raises(ValueError, match="only one outcome"):
        evaluate_classifiers({"prior": prior}, X, np.ones(len(X), dtype=bool))


def test_score_open_records_feeds_pipeline_forecast():
    opps = make_opportunities()
    ev = evaluate_conversion(opps, models=("logistic",), n_repeats=1)
    assert "product_rate" in ev.metrics["model"].tolist()
    p = score(ev.models["logistic"], opps)
    assert p.name == "win_probability" and p.index.name == "opportunity_id"
    assert p.index.tolist() == opps.loc[opps["status"] == "open", "opportunity_id"].tolist()
    assert ((p > 0) & (p < 1)).all()
    out = pipeline_weighted_forecast(opps, p, as_of=opps["created_at"].max())
    open_amount = opps.loc[opps["status"] == "open", "amount"]
    assert out["pipeline_amount"].sum() == pytest.approx(open_amount.sum())
    assert out["expected_amount"].sum() == pytest.approx(
        (open_amount.to_numpy() * p.to_numpy()).sum()
    )
    leads = make_leads(300)
    lp = score(RateBaseline().fit(*training_data(leads)), leads)
    assert lp.index.tolist() == leads.loc[~leads["converted"], "lead_id"].tolist()
    assert len(score(RateBaseline().fit(*training_data(leads)), leads, open_only=False)) == 300


# --------------------------------------------------------------------------- real data
def x_education_with_pandas() -> pd.DataFrame:
    """The X Education leads as the brief describes, built with pandas only."""
    raw = pd.read_csv(X_EDUCATION / "Leads.csv")
    raw = raw.drop(columns=[c for c in raw.columns if c.startswith("Unnamed")])
    frame = raw.rename(
        columns={
            "Prospect ID": "lead_id",
            "Lead Number": "lead_number",
            "Lead Source": "source",
            "Converted": "converted",
        }
    )
    frame["converted"] = frame["converted"].astype(bool)
    frame.columns = [snake_case(c) for c in frame.columns]
    return frame


@pytest.fixture(scope="module")
def x_education() -> pd.DataFrame:
    if not (X_EDUCATION / "Leads.csv").exists():
        pytest.skip(f"real data not available: {X_EDUCATION} is absent")
    return x_education_with_pandas()


def test_x_education_frame_matches_the_loader(x_education):
    """The pandas-built frame equals what salesnb.load makes of it with the mapping."""
    from salesnb.load import load

    loaded = load(X_EDUCATION, mapping=MAPPING).leads
    assert len(loaded) == len(x_education) == 9240
    assert set(x_education.columns) == set(loaded.columns)
    a = x_education.set_index("lead_id").sort_index()
    b = loaded.set_index("lead_id").sort_index()[a.columns]
    assert a["converted"].tolist() == b["converted"].tolist()
    assert a["lead_number"].astype(float).tolist() == b["lead_number"].tolist()
    for col in ["source", "city", "specialization", "total_time_spent_on_website"]:
        left = a[col].astype("object").where(a[col].notna(), None).tolist()
        right = b[col].astype("object").where(b[col].notna(), None).tolist()
        assert left == right, col


def test_x_education_model_beats_baselines_out_of_time(x_education):
    ev = evaluate_conversion(x_education, n_repeats=2)
    m = ev.metrics.set_index("model")
    print("\n" + ev.metrics.round(4).to_string())
    assert (ev.split["order_by"], ev.split["n_train"], ev.split["n_test"]) == (
        "lead_number",
        6930,
        2310,
    )
    assert ev.split["train_rate"] == pytest.approx(2670 / 6930)  # 3561 converted overall
    for model in ("logistic", "hgb"):
        assert m.loc[model, "roc_auc"] > m.loc["source_rate", "roc_auc"] + 0.1
        assert m.loc[model, "brier"] < m.loc["source_rate", "brier"]
        assert m.loc[model, "top_decile_rate"] > 2 * m.loc[model, "base_rate"]
    fitted = ev.models["logistic"]
    used = {snake_case(c) for c in fitted.pipeline_.feature_names_in_}
    assert not used & set(LEAKAGE_COLUMNS)
    assert "lead_number" not in used and "lead_id" not in used
    # "Select" is missing: specialization's most frequent real level is not "Select"
    enc = fitted.pipeline_.named_steps["prepare"].named_transformers_["categorical"][-1]
    spec = enc.categories_[fitted.categorical_features_.index("specialization")]
    assert "Select" not in list(spec) and "(missing)" in list(spec)


def test_pipeline_win_probability_uses_the_model_only_when_it_beats_baselines():
    from salesnb.models.conversion import pipeline_win_probability

    rng = np.random.default_rng(3)
    n = 400
    created = pd.Timestamp("2025-01-01") + pd.to_timedelta(np.arange(n), unit="D")
    amount = rng.gamma(2.0, 500.0, n)
    # informative: big deals are won far more often
    won = rng.random(n) < np.where(amount > np.median(amount), 0.8, 0.1)
    status = np.where(won, "won", "lost").astype(object)
    status[-40:] = "open"
    opps = pd.DataFrame(
        {
            "opportunity_id": [f"O{i}" for i in range(n)],
            "created_at": created,
            "amount": amount,
            "product": rng.choice(["a", "b"], n),
            "status": status,
            "stage": "proposal",
        }
    )
    chosen = pipeline_win_probability(opps, margin=0.02)
    assert chosen.source.startswith("model:")
    assert set(chosen.win_probability.index) == {f"O{i}" for i in range(n - 40, n)}
    assert chosen.win_probability.between(0, 1).all()
    # uninformative: outcome independent of everything -> fall back to stage history
    noise = opps.assign(status=np.where(rng.random(n) < 0.4, "won", "lost"))
    noise.loc[noise.index[-40:], "status"] = "open"
    fallback = pipeline_win_probability(noise, margin=0.05)
    assert fallback.source == "stage_win_rates" and fallback.win_probability is None
    assert "no deal-scoring model beats the simple rule" in fallback.reason
    assert "1.0 is perfect, 0.5 is chance" in fallback.reason and "ROC" not in fallback.reason
    assert "ranks deals better than the simple rule" in chosen.reason
