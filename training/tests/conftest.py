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
