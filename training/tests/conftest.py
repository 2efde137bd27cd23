import sys
from pathlib import Path

import pytest

TRAINING = Path(__file__).resolve().parents[1]
REPO = TRAINING.parent
sys.path.insert(0, str(TRAINING))

SHIPPED = REPO / "models" / "hamburger-tiny"


@pytest.fixture(scope="session")
def shipped():
    from hamburger.package import load_package
    return load_package(SHIPPED)


def assert_same_figures(got, want, where: str = "", rel: float = 1e-4) -> None:
    """`got` equals `want` (nested dicts and lists from JSON) in every key, id, count and flag;
    floats within `rel`: probabilities and perplexities are sums of float32 products whose last
    digits follow the CPU's BLAS kernels, so a reference written on one machine is read on another."""
    if isinstance(want, float) or isinstance(got, float):
        assert got == pytest.approx(want, rel=rel, abs=1e-12), where
    elif isinstance(want, dict):
        assert isinstance(got, dict) and sorted(got) == sorted(want), where
        for key in want:
            assert_same_figures(got[key], want[key], f"{where}.{key}", rel)
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), where
        for i, (g, w) in enumerate(zip(got, want)):
            assert_same_figures(g, w, f"{where}[{i}]", rel)
    else:
        assert got == want, where
