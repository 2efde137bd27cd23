import random

import torch

from hamburger.config import CONFIGS, ModelConfig
from hamburger.data import SftExample
from hamburger.decode import generate_hamburger
from hamburger.graphs import hamburger_graphs
from hamburger.model import Hamburger, LlamaForCausalLM, causal_mask, init_weights, rope_frequencies
from hamburger.objective import hamburger_loss, sft_batch, sft_loss, split_groups

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
    _, calibrated = hamburger_loss(h, [ex], [[4, 2]], stop_on_miss=True)
    assert calibrated["stop_target_rate"] == 1.0
    # Trained to copy, it gets them right: the targets are the group ends again.
    torch.manual_seed(0)
    opt = torch.optim.AdamW(h.parameters(), lr=3e-3)
    for _ in range(60):
        loss, _ = hamburger_loss(h, [ex], [[4, 2]])
        opt.zero_grad()
        loss.backward()
        opt.step()
    _, learnt = hamburger_loss(h, [ex], [[4, 2]], stop_on_miss=True)
    assert abs(learnt["stop_target_rate"] - 2 / 6) < 1e-6


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
