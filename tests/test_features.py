"""skdstft.features: values, layouts, names, pooling, differentiability."""

import numpy as np
import pytest
from autograd import grad

from skdstft.features import (
    extract_features,
    feature_names,
    n_features,
    pooling_matrix,
    spectrogram_values,
)


def spectrograms(B=3, F=9, T=7, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((B, F, T)) + 1j * rng.standard_normal((B, F, T))


@pytest.mark.parametrize("layout,expected", [
    ("flat", 9 * 7), ("pooled", 4 * 3), ("stats", 4 * 3)])
def test_shapes_and_names_agree(layout, expected):
    S = spectrograms()
    Z = extract_features(S, layout=layout, n_bands=4, n_segments=3)
    names = feature_names(9, 7, layout=layout, n_bands=4, n_segments=3)
    assert Z.shape == (3, expected) == (3, len(names))
    assert n_features(9, 7, layout=layout, n_bands=4, n_segments=3) == expected
    assert len(set(names)) == len(names) and names.dtype == object
    single = extract_features(S[0], layout=layout, n_bands=4, n_segments=3)
    np.testing.assert_allclose(single, Z[0])


def test_names_follow_the_column_order():
    assert list(feature_names(3, 2, layout="flat")) == [
        "bin000_frame000", "bin000_frame001", "bin001_frame000", "bin001_frame001",
        "bin002_frame000", "bin002_frame001"]
    assert list(feature_names(5, 4, layout="pooled", n_bands=2, n_segments=2)) == [
        "band00_seg00", "band00_seg01", "band01_seg00", "band01_seg01"]
    assert list(feature_names(5, 4, layout="stats", n_bands=2, stats=("mean", "max"))) == [
        "band00__mean", "band00__max", "band01__mean", "band01__max"]


def test_pooled_values_are_block_means():
    S = spectrograms(B=1, F=4, T=4)
    V = np.log(np.abs(S[0]) + 1e-10)
    Z = extract_features(S, layout="pooled", n_bands=2, n_segments=2)[0]
    assert Z[0] == pytest.approx(V[:2, :2].mean())
    assert Z[3] == pytest.approx(V[2:, 2:].mean())
    Zs = extract_features(S, layout="stats", n_bands=2, stats=("mean", "std", "min", "max"))[0]
    band0 = V[:2].mean(axis=0)
    np.testing.assert_allclose(Zs[:4], [band0.mean(), band0.std(), band0.min(), band0.max()])


@pytest.mark.parametrize("kind", ["log", "magnitude", "power", "db"])
def test_value_kinds(kind):
    S = np.array([[3 + 4j, 0.0]])
    V = spectrogram_values(S, kind)
    expected = {"log": np.log([5.0 + 1e-10, 1e-10]), "magnitude": [5.0, 0.0],
                "power": [25.0, 0.0], "db": 20 * np.log10([5.0 + 1e-10, 1e-10])}[kind]
    np.testing.assert_allclose(V[0], expected)


def test_pooling_matrix_rows_average_contiguous_blocks():
    P = pooling_matrix(10, 3)
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    assert np.all((P > 0).sum(axis=0) == 1)  # each input in exactly one block
    with pytest.raises(ValueError, match="cannot pool"):
        pooling_matrix(3, 4)


def test_layout_length_independence_of_stats():
    a = extract_features(spectrograms(T=7), layout="stats", n_bands=4)
    b = extract_features(spectrograms(T=30), layout="stats", n_bands=4)
    assert a.shape == b.shape


def test_differentiable_through_features():
    S0 = spectrograms(B=2)

    def f(scale):
        return np.sum(extract_features(scale * S0, kind="magnitude", layout="pooled",
                                       n_bands=3, n_segments=2))

    g = grad(f)(1.5)
    assert np.isfinite(g)
    assert g == pytest.approx((f(1.5 + 1e-6) - f(1.5 - 1e-6)) / 2e-6, rel=1e-5)


@pytest.mark.parametrize("kwargs,match", [
    ({"kind": "loud"}, "feature_kind"), ({"layout": "grid"}, "layout"),
    ({"n_bands": 0}, "n_bands"), ({"n_segments": 0}, "n_segments"),
    ({"layout": "stats", "stats": ()}, "stats"), ({"layout": "stats", "stats": "mean"}, "stats"),
    ({"layout": "stats", "stats": ("median",)}, "stats")])
def test_bad_arguments_name_the_parameter(kwargs, match):
    with pytest.raises(ValueError, match=match):
        extract_features(spectrograms(), **kwargs)
