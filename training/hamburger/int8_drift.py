"""What int8 weights change in a package's outputs: `python3 -m hamburger.int8_drift
--checkpoint CKPT --package PKG [--steps 4]`. The HAMburger base graph of PKG (int8, run by
ONNX Runtime, its embeddings from PKG's embed graph) against the same graph in PyTorch on the
checkpoint's float32 weights: a prefill of a fixed prompt, then decode steps that both feed
PyTorch's greedy token. Prints per step the largest |logit difference|, the logits' scale
(largest |logit|), the stop logits of both, and whether the greedy token agrees, as JSON.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

from .config import ModelConfig
from .convert import load_reference, read_lightning_state
from .graphs import hamburger_graphs

PROMPT_IDS = [128000, 791, 4062, 14198, 39935, 35308, 927, 279, 16053, 5679, 13, 578, 4062, 374]


def drift(checkpoint: Path, package: Path, steps: int) -> dict:
    man = json.loads((package / "hamburger.json").read_text())
    cfg = ModelConfig.from_dict(man["architecture"])
    h = load_reference(read_lightning_state(checkpoint), cfg).eval()
    torch_base = hamburger_graphs(h)["base"]
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    embed = ort.InferenceSession(str(package / man["graphs"]["embed"]), options)
    base = ort.InferenceSession(str(package / man["graphs"]["base"]), options)
    names = [o.name for o in base.get_outputs()]
    empty = [np.zeros((1, 0, cfg.num_kv_heads, cfg.head_dim), np.float32) for _ in range(2 * cfg.num_layers)]
    ids, past_torch, past_ort, rows = list(PROMPT_IDS), [torch.from_numpy(e) for e in empty], empty, []
    position = 0
    for step in range(steps):
        feed_ids = ids if step == 0 else ids[-1:]
        n = len(feed_ids)
        positions = np.arange(position, position + n, dtype=np.int64)[None]
        with torch.no_grad():
            emb = h.embed_tokens(torch.tensor(feed_ids))
            out = torch_base(emb[None, :-1], emb[-1:], torch.from_numpy(positions), *past_torch)
        t_logits, t_stop, past_torch = out[1].numpy(), out[2].numpy(), [torch.cat([p, new], 1) for p, new in zip(past_torch, out[3:])]
        q_emb = embed.run(None, {"input_ids": np.array(feed_ids, np.int64)})[0]
        feed = {"inputs_embeds": q_emb[None, :-1], "group": q_emb[-1:], "position_ids": positions}
        feed.update({f"past_{kind}_{i}": past_ort[2 * i + j] for i in range(cfg.num_layers) for j, kind in enumerate(("key", "value"))})
        got = dict(zip(names, base.run(None, feed)))
        new = [got[f"new_{kind}_{i}"] for i in range(cfg.num_layers) for kind in ("key", "value")]
        past_ort = [np.concatenate([p, n_], 1) for p, n_ in zip(past_ort, new)]
        q_logits = got["logits"]
        token = int(t_logits.argmax())
        rows.append({"step": step, "positions": n, "max_abs_logit_diff": float(np.abs(q_logits - t_logits).max()),
                     "logit_scale": float(np.abs(t_logits).max()), "stop_logit_fp32": float(t_stop.item()),
                     "stop_logit_int8": float(got["stop_logit"].item()), "greedy_agrees": token == int(q_logits.argmax())})
        ids.append(token)
        position += n
    return {"package": str(package), "weights": man.get("weights", "fp16"), "steps": rows,
            "max_abs_logit_diff": max(r["max_abs_logit_diff"] for r in rows)}


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--checkpoint", type=Path, required=True)
    p.add_argument("--package", type=Path, required=True)
    p.add_argument("--steps", type=int, default=4)
    a = p.parse_args()
    print(json.dumps(drift(a.checkpoint, a.package, a.steps), indent=1))
