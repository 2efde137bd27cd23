import random

import pytest
import torch

from hamburger.config import CONFIGS, ModelConfig
from hamburger.data import SftExample
from hamburger.decode import generate_hamburger
from hamburger.graphs import hamburger_graphs
from hamburger.model import Hamburger, LlamaForCausalLM, causal_mask, init_weights, rope_frequencies
from hamburger.objective import (distill_kl, group_forward, hamburger_loss, response_logits, sft_batch, sft_loss,
                                 split_groups)

MICRO = CONFIGS["micro"]


def _model(seed=0, cfg=MICRO):
    torch.manual_seed(seed)
    h = Hamburger(cfg)
    init_weights(h, std=0.1)
    return h.eval()


def test_compose_of_one_token_is_its_embedding():
    h = _model()
    e = torch.randn(1, 1, MICRO.hidden_size)
    out = h.comp_embedder(e, torch.ones(1, 1, dtype=torch.bool))
    assert torch.equal(out, e[:, 0])


def test_compose_sees_order_through_in_group_positions():
    h = _model()
    e = torch.randn(1, 3, MICRO.hidden_size)
    valid = torch.ones(1, 3, dtype=torch.bool)
    perm = e[:, [2, 0, 1]]
    assert not torch.allclose(h.comp_embedder(e, valid), h.comp_embedder(perm, valid), atol=1e-4)
    # Without position vectors the merger is a set function: permutation invariant.
    with torch.no_grad():
        h.comp_embedder.merger.pos.zero_()
    assert torch.allclose(h.comp_embedder(e, valid), h.comp_embedder(perm, valid), atol=1e-5)


def test_compose_padding_does_not_leak():
    h = _model()
    e = torch.randn(1, 4, MICRO.hidden_size)
    short = h.comp_embedder(e[:, :2], torch.ones(1, 2, dtype=torch.bool))
    padded = h.comp_embedder(e, torch.tensor([[True, True, False, False]]))
    assert torch.allclose(short, padded, atol=1e-6)


def test_causal_mask_with_offset():
    m = causal_mask(2, 3, torch.device("cpu"))
    assert m.shape == (2, 5)
    assert torch.isinf(m[0, 4]) and m[0, 3] == 0 and m[1, 4] == 0


def test_cached_forward_equals_full_forward():
    llm = LlamaForCausalLM(MICRO)
    init_weights(llm, std=0.1)
    x = torch.randn(1, 7, MICRO.hidden_size)
    pos = torch.arange(7)[None]
    full, _ = llm.model(x, pos, causal_mask(7, 0, x.device))
    head, cache = llm.model(x[:, :4], pos[:, :4], causal_mask(4, 0, x.device))
    tail, _ = llm.model(x[:, 4:], pos[:, 4:], causal_mask(3, 4, x.device), cache)
    assert torch.allclose(full[:, 4:], tail, atol=1e-5)


def test_merged_entries_take_the_position_of_their_last_token():
    h = _model(cfg=ModelConfig.from_dict({**MICRO.to_dict(), "vocab_size": 64}))
    prompt = [1, 3, 10, 11, 4]
    trace = generate_hamburger(hamburger_graphs(h), h.cfg, prompt, eos_id=2, confidence=0.0, max_new_tokens=11)
    sizes = [len(s.token_ids) for s in trace.steps]
    assert sizes == [4, 4, 3]                      # confidence 0: never stop early; limit at 11
    assert [s.position_id for s in trace.steps] == [4, 8, 12]   # last prompt token, then +4, +4


def test_llama3_rope_scaling_keeps_high_and_slows_low_frequencies():
    plain = ModelConfig.from_dict({**MICRO.to_dict(), "head_dim": 64, "rope_theta": 500000.0})
    scaled = ModelConfig.from_dict({**plain.to_dict(), "rope_scaling_factor": 32.0})
    a, b = rope_frequencies(plain), rope_frequencies(scaled)
    assert torch.equal(a[:4], b[:4])                               # short wavelengths unchanged
    assert torch.allclose(a[-1] / 32, b[-1])                       # long wavelengths divided by the factor
    assert bool(((b <= a + 1e-12) & (b >= a / 32 - 1e-12)).all())


def test_an_unmerged_row_is_plain_sft_and_leaves_the_stop_head_alone():
    h = _model()
    ex = SftExample("0", "copy", [1, 3, 10, 11, 4], [10, 11, 12, 2])
    loss, metrics = hamburger_loss(h, [ex], [[1, 1, 1, 1]], supervise_stop=[False])
    inputs, targets = sft_batch([ex], pad_id=0)
    assert torch.allclose(loss, sft_loss(h.model, inputs, targets), atol=1e-5)
    assert metrics["bce"] == 0.0 and metrics["tokens_per_group"] == 1.0
    stop = list(h.micro_step_decoder.stop_head.parameters())
    grads = torch.autograd.grad(loss, stop, allow_unused=True)
    assert all(g is None or not g.any() for g in grads)
    supervised, _ = hamburger_loss(h, [ex], [[1, 1, 1, 1]])
    assert supervised > loss                                    # the same groups with their stop loss


def test_stop_on_miss_adds_a_stop_before_each_mispredicted_token():
    h = _model()
    ex = SftExample("0", "copy", [1, 3, 10, 11, 4], [10, 11, 12, 13, 14, 2])
    _, plain = hamburger_loss(h, [ex], [[4, 2]])
    assert abs(plain["stop_target_rate"] - 2 / 6) < 1e-6          # the two group ends
    # An untrained model gets (almost) every token wrong: a stop before each one in a group.
    _, calibrated = hamburger_loss(h, [ex], [[4, 2]], stop_on_miss="argmax")
    assert calibrated["stop_target_rate"] == 1.0
    # Trained to copy, it gets them right: the targets are the group ends again.
    torch.manual_seed(0)
    opt = torch.optim.AdamW(h.parameters(), lr=3e-3)
    for _ in range(60):
        loss, _ = hamburger_loss(h, [ex], [[4, 2]])
        opt.zero_grad()
        loss.backward()
        opt.step()
    _, learnt = hamburger_loss(h, [ex], [[4, 2]], stop_on_miss="argmax")
    assert abs(learnt["stop_target_rate"] - 2 / 6) < 1e-6
    # The expected miss of the trained model: the group ends, plus what it leaves to wrong tokens.
    out = group_forward(h, [ex], [[4, 2]])
    p_right = torch.softmax(out.logits.float(), -1).gather(-1, out.targets[:, None])[:, 0]   # [6]
    _, expected = hamburger_loss(h, [ex], [[4, 2]], stop_on_miss="expected")
    # Each token but a group's last is targeted with its successor's miss; the group ends (answer
    # positions 3 and 5) are stops in any case.
    want = (1 - p_right[1]) + (1 - p_right[2]) + (1 - p_right[3]) + 1 + (1 - p_right[5]) + 1
    assert 0 < (1 - p_right).max() < 0.5
    assert abs(expected["stop_target_rate"] - want / 6) < 1e-5
    with pytest.raises(ValueError, match="stop_on_miss must be"):
        hamburger_loss(h, [ex], [[4, 2]], stop_on_miss="soft")


def test_split_groups_cuts_inside_groups_and_keeps_every_token():
    rng = random.Random(0)
    assert split_groups([3, 1, 4], 0.0, rng) == ([3, 1, 4], [True, True, True])
    sizes, ends = split_groups([3, 1, 4, 2], 1.0, rng)
    assert sum(sizes) == 10 and min(sizes) >= 1
    assert ends == [False, True, True, False, True, False, True]     # the one-token group stays whole
    assert sizes[2] == 1 and sizes[0] + sizes[1] == 3 and sizes[3] + sizes[4] == 4 and sizes[5:] == [1, 1]


def test_a_cut_group_end_is_no_stop_target():
    h = _model()
    ex = SftExample("0", "copy", [1, 3, 10, 11, 4], [10, 11, 12, 13, 14, 2])
    _, whole = hamburger_loss(h, [ex], [[2, 2, 2]])
    _, cut = hamburger_loss(h, [ex], [[2, 2, 2]], stop_at_end=[[False, True, True]])
    assert abs(whole["stop_target_rate"] - 3 / 6) < 1e-6
    assert abs(cut["stop_target_rate"] - 2 / 6) < 1e-6
    assert cut["ce"] == whole["ce"]                                   # the tokens' loss does not change


def test_the_end_weight_scales_each_answer_s_last_token_only():
    h = _model()
    a = SftExample("0", "copy", [1, 3, 10, 11, 4], [10, 11, 12, 13, 14, 2])
    b = SftExample("1", "count", [1, 3, 20, 4], [21, 22, 2])
    inputs, targets = sft_batch([a, b], pad_id=0)
    ce = torch.nn.functional.cross_entropy(h.model(inputs).transpose(1, 2), targets, ignore_index=-100,
                                           reduction="none")                       # [B, T]
    scored = targets != -100
    assert torch.allclose(sft_loss(h.model, inputs, targets), ce[scored].mean(), atol=1e-6)
    # Row a ends at column 9 (5 prompt + 6 response - 2), row b at column 5; weight 3 there.
    weight = scored.float()
    weight[0, 9] = weight[1, 5] = 3.0
    assert targets[0, 9] == targets[1, 5] == 2 and not scored[1, 6:].any()
    expected = (ce * weight).sum() / weight.sum()
    assert torch.allclose(sft_loss(h.model, inputs, targets, end_weight=3.0), expected, atol=1e-6)
    # Grouped: the last slot of each example's last group, wherever the group boundary falls.
    groups = [[4, 2], [1, 1, 1]]
    out = group_forward(h, [a, b], groups)
    token_ce = torch.nn.functional.cross_entropy(out.logits, out.targets, reduction="none")   # [9]
    w = torch.tensor([1, 1, 1, 1, 1, 3, 1, 1, 3.0])
    _, metrics = hamburger_loss(h, [a, b], groups, end_weight=3.0)
    assert abs(metrics["ce"] - ((token_ce * w).sum() / w.sum()).item()) < 1e-5
    # One token per group without stop loss is still the baseline's SFT loss, weighted alike.
    unmerged, _ = hamburger_loss(h, [a, b], [[1] * 6, [1] * 3], supervise_stop=[False, False], end_weight=3.0)
    assert torch.allclose(unmerged, expected, atol=1e-5)


def test_distill_kl_is_the_teacher_s_kl_on_the_tokens_it_gets_right():
    teacher = torch.tensor([[2.0, 0.0, -1.0], [0.0, 3.0, 0.0], [1.0, 0.5, 0.0]])
    student = torch.tensor([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0], [0.0, 0.0, 5.0]])
    targets = torch.tensor([0, 0, 0])                       # the teacher is wrong on token 1
    kl, right = distill_kl(student, teacher, targets)
    p = teacher.softmax(-1)
    by_hand = (p * (p.log() - student.log_softmax(-1))).sum(-1)
    assert abs(right - 2 / 3) < 1e-6
    assert torch.allclose(kl, by_hand[[0, 2]].mean(), atol=1e-6)
    assert float(distill_kl(teacher, teacher, targets)[0]) < 1e-6
    zero, none = distill_kl(student, teacher, torch.tensor([2, 2, 2]))
    assert float(zero) == 0.0 and none == 0.0 and zero.requires_grad is False


def test_response_logits_follow_group_forward_s_token_order():
    h = _model()
    a = SftExample("0", "copy", [1, 3, 10, 11, 4], [10, 11, 12, 13, 14, 2])
    b = SftExample("1", "count", [1, 3, 20, 4], [21, 22, 2])
    # One token per group: group_forward is the LLM's own next-token prediction, token by token.
    out = group_forward(h, [a, b], [[1] * 6, [1] * 3])
    teacher = response_logits(h.model, [a, b], pad_id=0)
    assert teacher.shape == (9, MICRO.vocab_size)
    assert torch.allclose(teacher, out.logits, atol=1e-5)


def test_distillation_adds_its_weight_times_the_kl_to_the_loss():
    h, teacher = _model(seed=0), _model(seed=1)
    a = SftExample("0", "copy", [1, 3, 10, 11, 4], [10, 11, 12, 13, 14, 2])
    b = SftExample("1", "count", [1, 3, 20, 4], [21, 22, 2])
    groups = [[4, 2], [2, 1]]
    t_logits = response_logits(teacher.model, [a, b], pad_id=0)
    out = group_forward(h, [a, b], groups)
    # The teacher is made right on every token, so each one is distilled.
    t_logits[torch.arange(9), out.targets] += 100.0
    plain, _ = hamburger_loss(h, [a, b], groups)
    loss, metrics = hamburger_loss(h, [a, b], groups, teacher_logits=t_logits, distill_weight=0.5)
    kl, right = distill_kl(out.logits, t_logits, out.targets)
    assert right == 1.0 and metrics["teacher_right"] == 1.0
    assert abs(metrics["kl"] - kl.item()) < 1e-5
    assert torch.allclose(loss, plain + 0.5 * kl, atol=1e-5)
    with pytest.raises(ValueError, match=r"teacher's logits for the batch's \(9, 2048\) response tokens, got \(8, 2048\)"):
        hamburger_loss(h, [a, b], groups, teacher_logits=t_logits[:8], distill_weight=0.5)


def test_a_micro_config_learns():
    torch.manual_seed(0)
    cfg = ModelConfig.from_dict({**MICRO.to_dict(), "vocab_size": 32})
    h = Hamburger(cfg)
    init_weights(h)
    opt = torch.optim.AdamW(h.parameters(), lr=3e-3)
    # A copy-like task: the response repeats the prompt's content tokens.
    gen = torch.Generator().manual_seed(1)
    examples, groups = [], []
    for i in range(16):
        content = torch.randint(5, 32, (6,), generator=gen).tolist()
        examples.append(SftExample(str(i), "copy", [1, 3] + content + [4], content + [2]))
        groups.append([3, 3, 1])
    losses = []
    for _ in range(40):
        loss, metrics = hamburger_loss(h, examples, groups)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.6 * losses[0]
    assert metrics["tokens_per_group"] == 7 / 3
