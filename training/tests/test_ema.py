import pytest
import torch

from hamburger.ema import WeightAverage


def _model(value: float) -> torch.nn.Module:
    m = torch.nn.Linear(2, 1)
    with torch.no_grad():
        m.weight.fill_(value)
        m.bias.fill_(-value)
    return m


def test_the_average_moves_by_one_minus_decay_toward_each_step_s_weights():
    m = _model(0.0)
    avg = WeightAverage(m, decay=0.75)
    for value in (4.0, 8.0):
        with torch.no_grad():
            m.weight.fill_(value)
            m.bias.fill_(-value)
        avg.update(m)
    # 0 -> 0.25 * 4 = 1 -> 0.75 * 1 + 0.25 * 8 = 2.75
    assert torch.allclose(avg.state_dict()["weight"], torch.full((1, 2), 2.75))
    assert torch.allclose(avg.state_dict()["bias"], torch.full((1,), -2.75))


def test_a_saved_average_goes_on_and_stays_float32_beside_half_weights():
    m = _model(1.0).half()
    avg = WeightAverage(m, decay=0.5, state={"weight": torch.full((1, 2), 3.0), "bias": torch.zeros(1)})
    avg.update(m)
    assert avg.state_dict()["weight"].dtype == torch.float32
    assert torch.allclose(avg.state_dict()["weight"], torch.full((1, 2), 2.0))
    assert torch.allclose(avg.state_dict()["bias"], torch.full((1,), -0.5))


def test_an_average_of_another_model_or_a_decay_outside_0_1_is_refused():
    with pytest.raises(SystemExit, match="does not hold this model's weights"):
        WeightAverage(_model(0.0), 0.9, state={"weight": torch.zeros(1, 2)})
    for decay in (0.0, 1.0):
        with pytest.raises(ValueError, match=r"lies in \(0, 1\), got"):
            WeightAverage(_model(0.0), decay)
