"""A small Transformer with a pluggable positional encoding (decoder-only or encoder).

Pre-norm blocks; attention through one of the kernels of `empirics.attention_backends` (`attention`):
on the CPU `scaled_dot_product_attention` with one float mask that sums the PE bias, the causal mask and
the key-padding mask (the reference); on CUDA FlexAttention for bias PEs and SDPA's fused causal kernels
for the others. The forward pass makes no host-device synchronisation: position ids are checked, and the
PE's tables grown, on the host before it (`empirics.pe_base`).

Options follow the papers: Kazemnejad et al. 2023 (K23) built their decoder from T5 blocks (Raffel et
al. 2020): RMSNorm, ReLU, no score scaling, no biases in attention and MLP, T5's initialisation, tied
embeddings and the final hidden state scaled by d_model^-0.5 before the LM head (`linear_bias`, `init`,
`output_scale`); Li 2025 a 2-layer, single-head, d_model 64 encoder on real-valued inputs. The defaults
are GPT-2's choices (biases, normal(0.02) init, no output scale).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

import torch
from torch import nn

from .attention_backends import (BACKENDS, AttentionPlan, attend, check_backend, choose_backend, fp32_region,
                                 plan_attention)
from .errors import PelgError, require_positive, unknown
from .pe_base import reserve_for
from .positional import PES, TOKEN_INIT_STD, PositionalEncoding, T5Bias, build_pe
from .positions import PositionScheme, parse_pe_name, split_options


# Fields added after config hashes were first recorded: the hash leaves them out while they are at their
# defaults (empirics/engine/confighash.py), so every earlier run keeps its hash.
HASH_OMIT_DEFAULT = {"hash": "omit_default"}
INIT_TOKEN_STD = {"gpt2": TOKEN_INIT_STD, "t5": 1.0}  # std of the token embedding rows per init scheme
# Named sets of architecture choices. "k23": Kazemnejad et al. 2023's T5 decoder blocks (K23 "Model").
PRESETS = {"k23": dict(norm="rmsnorm", activation="relu", score_scaling=False, linear_bias=False, init="t5",
                       output_scale="rsqrt_d", dropout=0.1, tie_embeddings=True)}


@dataclass
class ModelConfig:
    """Architecture. `vocab_size == 0` means real-valued inputs and outputs (regression)."""

    vocab_size: int = 0
    arch: str = "decoder"           # "decoder" (always causal) | "encoder"
    causal: bool = True             # encoders: False = bidirectional
    n_layer: int = 2
    n_head: int = 1
    d_model: int = 64
    d_ff: int = 256
    activation: str = "gelu"        # "gelu" | "relu"
    norm: str = "layernorm"         # "layernorm" | "rmsnorm"
    score_scaling: bool = True      # 1/sqrt(d_head) on logits (K23's T5 blocks used none)
    tie_embeddings: bool = True
    dropout: float = 0.0
    pe: str = "nope"                # BASE or BASE+random / BASE+sh
    pe_options: dict = field(default_factory=dict)
    # K23's T5 blocks (Raffel et al. 2020); see `Transformer._init_t5`
    linear_bias: bool = field(default=True, metadata=HASH_OMIT_DEFAULT)   # False: no bias in attention, MLP
    init: str = field(default="gpt2", metadata=HASH_OMIT_DEFAULT)         # "gpt2" | "t5"
    output_scale: str = field(default="none", metadata=HASH_OMIT_DEFAULT)  # "none" | "rsqrt_d"
    # the attention kernel (empirics.attention_backends): "auto" | "sdpa" | "flex" | "fused"
    attention: str = field(default="auto", metadata=HASH_OMIT_DEFAULT)

    def __post_init__(self):
        checks = {"arch": (self.arch, ("decoder", "encoder")), "activation": (self.activation, ("gelu", "relu")),
                  "norm": (self.norm, ("layernorm", "rmsnorm")), "init": (self.init, tuple(INIT_TOKEN_STD)),
                  "output_scale": (self.output_scale, ("none", "rsqrt_d")), "attention": (self.attention, BACKENDS)}
        for name, (value, valid) in checks.items():
            if value not in valid:
                raise unknown(name, value, valid)
        if not isinstance(self.linear_bias, bool):
            raise PelgError(f"linear_bias must be true or false, got {self.linear_bias!r}")
        if self.arch == "decoder" and not self.causal:
            raise PelgError("a decoder is always causal; use arch='encoder' for bidirectional attention")
        for name in ("n_layer", "n_head", "d_model", "d_ff"):
            require_positive(name, getattr(self, name))
        if not isinstance(self.vocab_size, int) or self.vocab_size < 0:
            raise PelgError(f"vocab_size must be an integer >= 0 (0 = regression), got {self.vocab_size!r}")
        if self.d_model % self.n_head:
            raise PelgError(f"d_model {self.d_model} is not divisible by n_head {self.n_head}")
        check_backend(self.attention, PES[parse_pe_name(self.pe)[0]].hook, self.pe, self.dropout)

    @classmethod
    def from_dict(cls, d: dict) -> "ModelConfig":
        names = {f.name for f in fields(cls)}
        bad = set(d) - names
        if bad:
            raise unknown("model config field", sorted(bad)[0], names)
        return cls(**d)

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def token_init_std(self) -> float:
        """Init std of the token embedding rows (0.02 for GPT-2's init, 1.0 for T5's)."""
        return INIT_TOKEN_STD[self.init]


def _norm(kind: str, d: int) -> nn.Module:
    return nn.LayerNorm(d) if kind == "layernorm" else nn.RMSNorm(d)


class Attention(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.n_head, self.d_head = cfg.n_head, cfg.d_model // cfg.n_head
        self.qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model, bias=cfg.linear_bias)  # rows: q, k, v
        self.out = nn.Linear(cfg.d_model, cfg.d_model, bias=cfg.linear_bias)
        self.scale = None if cfg.score_scaling else 1.0
        self.dropout = cfg.dropout

    def forward(self, x, mask, pe: PositionalEncoding, positions):
        """x (B, T, D); mask: the reference float mask (or None) or an AttentionPlan -> (B, T, D)."""
        B, T, D = x.shape
        q, k, v = self.qkv(x).view(B, T, 3, self.n_head, self.d_head).permute(2, 0, 3, 1, 4)  # (B, H, T, dh)
        if pe.hook == "qk":
            q, k = pe.rotate(q, positions, "query"), pe.rotate(k, positions, "key")
        y = attend(q, k, v, mask, self.scale, self.dropout if self.training else 0.0)  # (B, H, T, dh)
        return self.out(y.transpose(1, 2).reshape(B, T, D))


class Block(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.ln1, self.ln2 = _norm(cfg.norm, cfg.d_model), _norm(cfg.norm, cfg.d_model)
        self.attn = Attention(cfg)
        act = nn.GELU() if cfg.activation == "gelu" else nn.ReLU()
        self.mlp = nn.Sequential(nn.Linear(cfg.d_model, cfg.d_ff, bias=cfg.linear_bias), act,
                                 nn.Linear(cfg.d_ff, cfg.d_model, bias=cfg.linear_bias))
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x, mask, pe, positions):
        x = x + self.drop(self.attn(self.ln1(x), mask, pe, positions))
        return x + self.drop(self.mlp(self.ln2(x)))


class Transformer(nn.Module):
    """forward(inputs, positions, pad_mask) -> logits (B, T, V) or predictions (B, T).

    inputs: (B, T) token ids, or (B, T) floats when vocab_size == 0.
    positions: (B, T) integer position ids (from a PositionScheme).
    pad_mask: optional (B, T) bool, True at padding tokens (masked as keys).
    scale: optional (B,) instance scale n (source tokens), used by scale-aware PEs (LBPE).
    Position ids on the CPU (as `empirics.positions` makes them) are checked without a device sync; the
    device part of the pass is `core`, which `compile_core` compiles.
    """

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        base, scheme = parse_pe_name(cfg.pe)
        base_opts, scheme_opts = split_options(cfg.pe_options)
        self.positions = PositionScheme(scheme, **scheme_opts)
        self.pe = build_pe(base, cfg.d_model, cfg.n_head, cfg.causal, base_opts, token_std=cfg.token_init_std)
        self.regression = cfg.vocab_size == 0
        self.embed = nn.Linear(1, cfg.d_model) if self.regression else nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
        self.ln_f = _norm(cfg.norm, cfg.d_model)
        self.head = nn.Linear(cfg.d_model, 1 if self.regression else cfg.vocab_size, bias=self.regression)
        if cfg.tie_embeddings and not self.regression:
            self.head.weight = self.embed.weight
        self.output_scale = cfg.d_model ** -0.5 if cfg.output_scale == "rsqrt_d" else None
        self.apply(self._init)
        if cfg.init == "t5":
            self._init_t5()
        self._compiled_core = None

    @staticmethod
    def _init(m):
        """GPT-2's init: every Linear and Embedding weight normal(0.02), biases 0 (PE MLPs included)."""
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=TOKEN_INIT_STD)
            if getattr(m, "bias", None) is not None:
                nn.init.zeros_(m.bias)

    @torch.no_grad()
    def _init_t5(self):
        """T5's init (Raffel et al. 2020; Mesh TensorFlow, as transformers' T5 with factor 1), over GPT-2's:
        token embedding (and an untied head) std 1; q std (d_model d_head)^-1/2 (it stands in for the
        1/sqrt(d_head) score scaling T5 omits); k, v std d_model^-1/2; attention output std
        (n_head d_head)^-1/2; MLP in std d_model^-1/2, MLP out std d_ff^-1/2; T5 bias table std d_model^-1/2.
        Biases stay 0 and norm weights 1; the other PEs' parameters keep their own init."""
        c = self.cfg
        d, dh, normal = c.d_model, c.d_model // c.n_head, nn.init.normal_
        normal(self.embed.weight, std=1.0)
        if self.head.weight is not self.embed.weight:
            normal(self.head.weight, std=1.0)
        for block in self.blocks:
            q, k, v = block.attn.qkv.weight.split(d)  # views of the fused (3d, d) weight
            normal(q, std=(d * dh) ** -0.5), normal(k, std=d ** -0.5), normal(v, std=d ** -0.5)
            normal(block.attn.out.weight, std=(c.n_head * dh) ** -0.5)
            normal(block.mlp[0].weight, std=d ** -0.5), normal(block.mlp[2].weight, std=c.d_ff ** -0.5)
        if isinstance(self.pe, T5Bias):  # the relative-bias table
            normal(self.pe.table.weight, std=d ** -0.5)

    def attention_mask(self, positions, pad_mask, T, device, scale=None) -> torch.Tensor | None:
        """Float mask (B or 1, H or 1, T, T): PE bias + causal -inf + key padding -inf (the "sdpa" path)."""
        mask = None
        if self.pe.hook == "bias":
            with fp32_region(device):
                mask = self.pe.bias(positions, positions, scale)  # (B, H, T, T)
        neg = torch.zeros(1, 1, T, T, device=device)
        if self.cfg.causal:
            neg = neg.masked_fill(torch.ones(T, T, dtype=torch.bool, device=device).triu(1), float("-inf"))
        if pad_mask is not None:
            neg = neg.masked_fill(pad_mask[:, None, None, :], float("-inf"))  # (B, 1, T, T)
        if self.cfg.causal or pad_mask is not None:
            mask = neg if mask is None else mask + neg
        return mask

    def attention_inputs(self, positions, pad_mask, T, device, scale=None) -> torch.Tensor | AttentionPlan | None:
        """What every layer's attention reads: the float mask ("sdpa") or an AttentionPlan ("flex", "fused")."""
        backend = choose_backend(self.cfg.attention, self.pe.hook, torch.device(device).type,
                                 self.training and self.cfg.dropout > 0)
        if backend == "sdpa":
            return self.attention_mask(positions, pad_mask, T, device, scale)
        return plan_attention(backend, self.pe, positions, pad_mask, self.cfg.causal, self.cfg.n_head, scale)

    def forward(self, inputs: torch.Tensor, positions: torch.Tensor, pad_mask: torch.Tensor | None = None,
                scale: torch.Tensor | None = None):
        reserve_for(self.pe, positions)  # host ints from CPU position ids: tables grown before the pass
        device = inputs.device
        positions = positions.to(device, non_blocking=True)
        pad_mask = None if pad_mask is None else pad_mask.to(device, non_blocking=True)
        scale = None if scale is None else scale.to(device, non_blocking=True)
        core = self.core if self._compiled_core is None else self._compiled_core
        return core(inputs, positions, pad_mask, scale)

    def core(self, inputs, positions, pad_mask=None, scale=None):
        """The device part of `forward` (every tensor on the model's device; tables already reserved)."""
        B, T = inputs.shape
        x = self.embed(inputs.unsqueeze(-1).float()) if self.regression else self.embed(inputs)  # (B, T, D)
        if self.pe.hook == "embedding":
            x = x + self.pe.embed(positions)
        x = self.drop(x)
        mask = self.attention_inputs(positions, pad_mask, T, inputs.device, scale)
        for block in self.blocks:
            x = block(x, mask, self.pe, positions)
        x = self.ln_f(x)
        if self.output_scale is not None:  # T5 with tied embeddings (K23): h * d_model^-0.5 before the head
            x = x * self.output_scale
        out = self.head(x)  # (B, T, V) or (B, T, 1)
        return out.squeeze(-1) if self.regression else out

    def compile_core(self, **options) -> "Transformer":
        """Run `core` through torch.compile from now on (issue 14; `options` go to torch.compile). The host
        part of `forward` stays eager, so the compiled graph has no data-dependent break."""
        self._compiled_core = torch.compile(self.core, **options)
        return self
