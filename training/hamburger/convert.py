"""Reading the authors' released Lightning checkpoint (HAMburger-1B) into this project's model.

The reference's state-dict names are this project's names: `model.model.*` (Hugging Face
Llama), `model.lm_head.*`, `comp_embedder.merger.*`, `comp_embedder.out_proj.*`,
`micro_step_decoder.decoders.*`, `micro_step_decoder.stop_head.*`. The load is strict: a
missing or unexpected weight, or a shape that does not fit the config, is an error.
`import_reference.py` turns a checkpoint and its Hugging Face folder into a package.
"""
from __future__ import annotations

from pathlib import Path

import torch

from .config import REFERENCE_1B, ModelConfig
from .model import Hamburger

# Entries of the reference state dict that are not weights of their own.
ALIASES = {"comp_embedder.embedding.weight": "model.model.embed_tokens.weight"}
BUFFERS = ("micro_step_decoder.rotary_emb.inv_freq", "model.model.rotary_emb.inv_freq")


def read_lightning_state(path: Path) -> dict[str, torch.Tensor]:
    if not path.exists():
        raise SystemExit(f"error: checkpoint {path} does not exist")
    try:
        # mmap: a 1B checkpoint's tensors stay on disk until each is copied into the model.
        ck = torch.load(path, map_location="cpu", mmap=True, weights_only=True)
    except Exception as e:  # truncated zip, pickle of something else, ...
        raise SystemExit(f"error: {path} is not a readable PyTorch checkpoint ({type(e).__name__}: {e})")
    state = ck.get("state_dict", ck) if isinstance(ck, dict) else None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise SystemExit(f"error: {path} holds no state dict (expected a Lightning checkpoint with 'state_dict')")
    return state


def reference_weights(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Drop aliases (after checking they are the same weights) and non-persistent buffers; dtypes as stored."""
    out = dict(state)
    for alias, target in ALIASES.items():
        if alias in out:
            if target in out and not torch.equal(out[alias], out[target]):
                raise SystemExit(f"error: {alias} differs from {target}; the checkpoint is not a tied HAMburger")
            out.pop(alias)
    for b in BUFFERS:
        out.pop(b, None)
    return out


def to_model_state(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v.float() for k, v in reference_weights(state).items()}


def load_reference(state: dict[str, torch.Tensor], cfg: ModelConfig = REFERENCE_1B) -> Hamburger:
    h = Hamburger(cfg)
    weights = to_model_state(state)
    own = h.state_dict()
    missing = sorted(set(own) - set(weights))
    unexpected = sorted(set(weights) - set(own))
    if missing or unexpected:
        raise SystemExit(f"error: the checkpoint does not fit the config: missing {missing[:8]}"
                         f"{' ...' if len(missing) > 8 else ''}, unexpected {unexpected[:8]}"
                         f"{' ...' if len(unexpected) > 8 else ''}")
    bad = [f"{k}: {tuple(v.shape)} != {tuple(own[k].shape)}" for k, v in weights.items() if v.shape != own[k].shape]
    if bad:
        raise SystemExit("error: weight shapes do not fit the config: " + "; ".join(bad[:8]))
    h.load_state_dict(weights, strict=False)
    return h.eval()
