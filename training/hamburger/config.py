"""Model and training configurations."""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields


@dataclass(frozen=True)
class ModelConfig:
    vocab_size: int = 2048          # byte-level BPE: 5 specials + 256 bytes + merges
    hidden_size: int = 256          # D
    num_layers: int = 6             # base decoder layers
    num_heads: int = 8              # query heads
    num_kv_heads: int = 2           # grouped-query attention: 4 query heads share one kv head
    head_dim: int = 32
    intermediate_size: int = 704    # SwiGLU width
    max_position: int = 1024        # positions the engine may use (rope has no hard limit)
    rope_theta: float = 10000.0
    rope_scaling_factor: float = 1.0        # Llama 3 style frequency scaling; 1.0 = none
    rope_low_freq_factor: float = 1.0
    rope_high_freq_factor: float = 4.0
    rope_original_max_position: int = 8192
    rms_norm_eps: float = 1e-5
    micro_layers: int = 1           # decoder layers of the micro-step decoder
    max_steps: int = 4              # most tokens per macro step (group size)
    feature_layers: tuple[int, ...] = (2, 4, 6)  # 1-based; the last is taken after the final norm
    compose_heads: int = 8          # heads of the compositional embedder's cross-attention

    def __post_init__(self) -> None:
        if self.num_heads % self.num_kv_heads:
            raise ValueError(f"num_heads {self.num_heads} is not a multiple of num_kv_heads {self.num_kv_heads}")
        if self.hidden_size % self.compose_heads or self.hidden_size % 2:
            raise ValueError(f"hidden_size {self.hidden_size} must be even and divisible by compose_heads {self.compose_heads}")
        if not self.feature_layers or self.feature_layers[-1] != self.num_layers:
            raise ValueError(f"feature_layers {self.feature_layers} must end with num_layers {self.num_layers}")
        if any(not 1 <= i <= self.num_layers for i in self.feature_layers):
            raise ValueError(f"feature_layers {self.feature_layers} must lie in 1..{self.num_layers}")
        if self.max_steps < 1:
            raise ValueError("max_steps must be >= 1")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["feature_layers"] = list(self.feature_layers)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "ModelConfig":
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown model config keys: {sorted(unknown)}; allowed: {sorted(known)}")
        d = dict(d)
        if "feature_layers" in d:
            d["feature_layers"] = tuple(d["feature_layers"])
        return cls(**d)


# The authors' released HAMburger-1B (Llama-3.2-1B-Instruct base), for checkpoint conversion.
REFERENCE_1B = ModelConfig(vocab_size=128256, hidden_size=2048, num_layers=16, num_heads=32, num_kv_heads=8,
                           head_dim=64, intermediate_size=8192, max_position=131072, rope_theta=500000.0,
                           rope_scaling_factor=32.0, rope_low_freq_factor=1.0, rope_high_freq_factor=4.0,
                           rope_original_max_position=8192, micro_layers=4, max_steps=4,
                           feature_layers=(4, 8, 12, 16), compose_heads=64)

# Named configs: `tiny` is the shipped CPU model; `small` is for a CUDA GPU.
CONFIGS: dict[str, ModelConfig] = {
    "tiny": ModelConfig(),
    "micro": ModelConfig(hidden_size=64, num_layers=2, num_heads=4, num_kv_heads=2, head_dim=16,
                         intermediate_size=128, feature_layers=(1, 2), compose_heads=4),
    "small": ModelConfig(hidden_size=512, num_layers=12, num_heads=8, num_kv_heads=2, head_dim=64,
                         intermediate_size=1408, micro_layers=2, feature_layers=(3, 6, 9, 12)),
}

