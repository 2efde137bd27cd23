"""HAMburger: a Llama base sandwiched between a compositional embedder and a micro-step decoder.

Parameter names map one to one onto the reference checkpoint (`model.model.*` are Hugging Face
Llama names, `comp_embedder.*`, `micro_step_decoder.*`). KV caches are position-major
[B, P, Hkv, hd], the layout the engine keeps preallocated.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .config import ModelConfig

Cache = list[tuple[torch.Tensor, torch.Tensor]]  # per layer: (key, value) [B, P, Hkv, hd]


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


def rope_frequencies(cfg: ModelConfig) -> torch.Tensor:
    """Inverse frequencies [hd/2], with Llama 3's long-context scaling when configured."""
    inv_freq = 1.0 / (cfg.rope_theta ** (torch.arange(0, cfg.head_dim, 2).float() / cfg.head_dim))
    factor = cfg.rope_scaling_factor
    if factor == 1.0:
        return inv_freq
    low_wavelen = cfg.rope_original_max_position / cfg.rope_low_freq_factor
    high_wavelen = cfg.rope_original_max_position / cfg.rope_high_freq_factor
    wavelen = 2 * math.pi / inv_freq
    # Long wavelengths are slowed by the factor, short ones kept, the band between blended.
    scaled = torch.where(wavelen > low_wavelen, inv_freq / factor, inv_freq)
    blend = (cfg.rope_original_max_position / wavelen - cfg.rope_low_freq_factor) / (
        cfg.rope_high_freq_factor - cfg.rope_low_freq_factor)
    blended = (1 - blend) * scaled / factor + blend * scaled
    in_band = (wavelen >= high_wavelen) & (wavelen <= low_wavelen)
    return torch.where(in_band, blended, scaled)


class RotaryEmbedding(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.register_buffer("inv_freq", rope_frequencies(cfg), persistent=False)

    def forward(self, position_ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # position_ids [B, T] -> cos, sin [B, T, hd]
        freqs = position_ids.float()[..., None] * self.inv_freq
        emb = torch.cat([freqs, freqs], dim=-1)
        return emb.cos(), emb.sin()


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


def apply_rotary(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    # x [B, T, H, hd]; cos/sin [B, T, hd]
    return x * cos[:, :, None, :] + rotate_half(x) * sin[:, :, None, :]


def causal_mask(t: int, past: int, device: torch.device) -> torch.Tensor:
    """Additive mask [T, P+T]: query i (at P+i) sees keys 0..P+i."""
    q = torch.arange(t, device=device)[:, None] + past
    k = torch.arange(past + t, device=device)[None, :]
    return torch.zeros(t, past + t, device=device).masked_fill(k > q, float("-inf"))


class Attention(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.h, self.hkv, self.hd = cfg.num_heads, cfg.num_kv_heads, cfg.head_dim
        d = cfg.hidden_size
        self.q_proj = nn.Linear(d, self.h * self.hd, bias=False)
        self.k_proj = nn.Linear(d, self.hkv * self.hd, bias=False)
        self.v_proj = nn.Linear(d, self.hkv * self.hd, bias=False)
        self.o_proj = nn.Linear(self.h * self.hd, d, bias=False)

    def forward(self, x, cos, sin, mask, past: tuple[torch.Tensor, torch.Tensor] | None):
        b, t, _ = x.shape
        q = apply_rotary(self.q_proj(x).view(b, t, self.h, self.hd), cos, sin)
        k = apply_rotary(self.k_proj(x).view(b, t, self.hkv, self.hd), cos, sin)
        v = self.v_proj(x).view(b, t, self.hkv, self.hd)
        new_k, new_v = k, v                                   # [B, T, Hkv, hd]
        if past is not None:
            k = torch.cat([past[0], k], dim=1)
            v = torch.cat([past[1], v], dim=1)
        # Query head j*rep + r reads kv head j (Hugging Face's repeat_kv order), by broadcasting.
        rep = self.h // self.hkv
        q = q.view(b, t, self.hkv, rep, self.hd).permute(0, 2, 3, 1, 4)   # [B, Hkv, rep, T, hd]
        k = k.permute(0, 2, 1, 3)[:, :, None]                 # [B, Hkv, 1, P+T, hd]
        v = v.permute(0, 2, 1, 3)[:, :, None]
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.hd) + mask        # [B, Hkv, rep, T, P+T]
        out = scores.softmax(-1) @ v                          # [B, Hkv, rep, T, hd]
        out = out.permute(0, 3, 1, 2, 4).reshape(b, t, self.h * self.hd)
        return self.o_proj(out), new_k, new_v


class MLP(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.gate_proj = nn.Linear(cfg.hidden_size, cfg.intermediate_size, bias=False)
        self.up_proj = nn.Linear(cfg.hidden_size, cfg.intermediate_size, bias=False)
        self.down_proj = nn.Linear(cfg.intermediate_size, cfg.hidden_size, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class DecoderLayer(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.self_attn = Attention(cfg)
        self.mlp = MLP(cfg)
        self.input_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.post_attention_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)

    def forward(self, x, cos, sin, mask, past=None):
        a, new_k, new_v = self.self_attn(self.input_layernorm(x), cos, sin, mask, past)
        x = x + a
        x = x + self.mlp(self.post_attention_layernorm(x))
        return x, new_k, new_v


class LlamaModel(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        self.layers = nn.ModuleList([DecoderLayer(cfg) for _ in range(cfg.num_layers)])
        self.norm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.rotary_emb = RotaryEmbedding(cfg)

    def forward(self, inputs_embeds, position_ids, mask, past: Cache | None = None):
        """inputs_embeds [B, T, D], position_ids [B, T], mask [T, P+T] or [B, 1, 1, T, P+T].

        Returns the feature stack [B, T, F, D] (last = final normed hidden) and the new
        cache rows per layer [B, T, Hkv, hd].
        """
        cos, sin = self.rotary_emb(position_ids)
        x = inputs_embeds
        feats, new_cache = [], []
        wanted = set(self.cfg.feature_layers)
        for i, layer in enumerate(self.layers):
            x, k, v = layer(x, cos, sin, mask, None if past is None else past[i])
            new_cache.append((k, v))
            if i + 1 in wanted and i + 1 != self.cfg.num_layers:
                feats.append(x)
        feats.append(self.norm(x))
        return torch.stack(feats, dim=2), new_cache


class LlamaForCausalLM(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.model = LlamaModel(cfg)
        self.lm_head = nn.Linear(cfg.hidden_size, cfg.vocab_size, bias=False)
        self.lm_head.weight = self.model.embed_tokens.weight  # tied

    def forward(self, input_ids: torch.Tensor, attention_pad: torch.Tensor | None = None) -> torch.Tensor:
        """Plain next-token logits [B, T, V] for right-padded input_ids [B, T]."""
        b, t = input_ids.shape
        pos = torch.arange(t, device=input_ids.device).expand(b, t)
        feats, _ = self.model(self.model.embed_tokens(input_ids), pos, causal_mask(t, 0, input_ids.device))
        return self.lm_head(feats[:, :, -1])


class AttentionMerger(nn.Module):
    """Cross-attention from the group's mean embedding onto its tokens plus in-group positions."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        d = cfg.hidden_size
        self.heads = cfg.compose_heads
        self.head_size = d // cfg.compose_heads
        self.q_proj = nn.Linear(d, d)
        self.k_proj = nn.Linear(d + d // 2, d)
        self.v_proj = nn.Linear(d + d // 2, d)
        self.pos = nn.Parameter(torch.zeros(cfg.max_steps, d // 2))
        nn.init.xavier_normal_(self.pos)

    def forward(self, emb: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        """emb [G, S, D] (padded), valid [G, S] bool -> attended [G, D]."""
        g, s, d = emb.shape
        hs = self.head_size
        mean = (emb * valid[..., None]).sum(1) / valid.sum(1, keepdim=True)
        q = self.q_proj(mean).view(g, self.heads, 1, hs)
        kv_in = torch.cat([emb, self.pos[:s].expand(g, s, -1)], dim=-1)
        k = self.k_proj(kv_in).view(g, s, self.heads, hs).transpose(1, 2)   # [G, H, S, hs]
        v = self.v_proj(kv_in).view(g, s, self.heads, hs).transpose(1, 2)
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(self.head_size)                  # [G, H, 1, S]
        scores = scores.masked_fill(~valid[:, None, None, :], float("-inf"))
        return (scores.softmax(-1) @ v).reshape(g, d)


class CompositionalEmbedder(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.merger = AttentionMerger(cfg)
        self.out_proj = nn.Linear(cfg.hidden_size, cfg.hidden_size)

    def forward(self, emb: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        """emb [G, S, D], valid [G, S] -> one embedding per group [G, D].

        k = 1: the token's own embedding; k > 1: mean(E) + out_proj(attn).
        """
        k = valid.sum(1, keepdim=True)
        mean = (emb * valid[..., None]).sum(1) / k
        merged = mean + self.out_proj(self.merger(emb, valid))
        return torch.where(k == 1, emb[:, 0], merged)


class MicroStepDecoder(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        d = cfg.hidden_size
        self.decoders = nn.ModuleList([DecoderLayer(cfg) for _ in range(cfg.micro_layers)])
        self.stop_head = nn.Sequential(nn.Linear(d, d), nn.SiLU(), nn.Linear(d, d), nn.SiLU(), nn.Linear(d, 1))
        self.rotary_emb = RotaryEmbedding(cfg)

    def forward(self, hiddens, position_ids, mask, past: Cache | None = None):
        """hiddens [B, m, D] -> outputs [B, m, D] (no final norm) and new cache rows."""
        cos, sin = self.rotary_emb(position_ids)
        new_cache = []
        x = hiddens
        for i, layer in enumerate(self.decoders):
            x, k, v = layer(x, cos, sin, mask, None if past is None else past[i])
            new_cache.append((k, v))
        return x, new_cache


class Hamburger(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.model = LlamaForCausalLM(cfg)
        self.comp_embedder = CompositionalEmbedder(cfg)
        self.micro_step_decoder = MicroStepDecoder(cfg)

    @property
    def embed_tokens(self) -> nn.Embedding:
        return self.model.model.embed_tokens

    def heads(self, hidden: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """LM head and stop head: [..., D] -> logits [..., V], stop_logit [..., 1]."""
        return self.model.lm_head(hidden), self.micro_step_decoder.stop_head(hidden)


def init_weights(module: nn.Module, std: float = 0.02) -> None:
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, std=std)


def count_params(module: nn.Module) -> int:
    return sum(p.numel() for p in {id(p): p for p in module.parameters()}.values())
