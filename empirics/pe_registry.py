"""The PE registry: one registration per positional encoding.

A registration (`PESpec`) names everything pelg needs to know about a PE: where it acts (its hook), its
formula in one line and where it comes from, the `theory.encodings` function it is built from and tested
against, its torch module class, a builder, and its options with types, defaults and valid values.
`build_pe`, `resolve_options`, `pelg pes`, PE-name parsing, the weights adapter and every PE-generic test
read `PES`, so a PE registered at run time (`register_pe`) trains through the same path as the built-in
ones (`empirics.positional` registers those).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

from .errors import PelgError, unknown

HOOKS = ("none", "embedding", "qk", "bias")
_TRUE, _FALSE = ("1", "true", "yes"), ("0", "false", "no")


@dataclass(frozen=True)
class Option:
    """One PE option: its default (whose type is the option's type), its valid values, its bounds."""

    default: object
    choices: tuple | None = None
    minimum: float | None = None      # lowest valid value
    above: bool = False               # True: the value must be strictly above `minimum`
    maximum: float | None = None      # highest valid value

    def parse(self, owner: str, key: str, value):
        """`value` (a string from the CLI, or a TOML value) converted to the option's type and checked."""
        kind = type(self.default)
        where = f"option {key}={value!r} for {owner}"
        if kind is bool:
            text = str(value).lower()
            if isinstance(value, bool) or text in _TRUE + _FALSE:
                return value if isinstance(value, bool) else text in _TRUE
            raise PelgError(f"{where}: expected a boolean; valid: true, false")
        try:
            if kind is int and isinstance(value, float) and not value.is_integer():
                raise ValueError
            out = kind(value)
        except (TypeError, ValueError):
            raise PelgError(f"{where}: expected {kind.__name__}") from None
        if kind is float and not math.isfinite(out):
            raise PelgError(f"{where}: expected a finite number")
        if self.choices is not None and out not in self.choices:
            raise PelgError(f"{where}: valid: {', '.join(map(str, self.choices))}")
        if self.minimum is not None and (out <= self.minimum if self.above else out < self.minimum):
            raise PelgError(f"{where}: must be {'>' if self.above else '>='} {self.minimum}")
        if self.maximum is not None and out > self.maximum:
            raise PelgError(f"{where}: must be <= {self.maximum}")
        return out


@dataclass(frozen=True)
class PEContext:
    """What a builder may read of the model: width, heads, whether attention is causal, and the init std of
    the token embedding rows (0.02 for GPT-2's init, 1.0 for T5's; fixed tables scaled "token" match it)."""

    d_model: int
    n_head: int
    causal: bool
    token_std: float = 0.02

    @property
    def d_head(self) -> int:
        return self.d_model // self.n_head

    @property
    def symmetric(self) -> bool:
        """Distances are |i - j| in bidirectional encoders, max(i - j, 0) under a causal mask."""
        return not self.causal


@dataclass(frozen=True)
class PESpec:
    """One PE. `build(ctx, options)` returns the module; `options` are resolved (typed, defaults filled)."""

    name: str
    hook: str                                   # one of HOOKS
    formula: str
    source: str
    module: type                                # the torch module class `build` returns
    build: Callable[[PEContext, dict], object]
    theory: Callable | None = None              # the theory.encodings function it is built from
    options: dict[str, Option] = field(default_factory=dict)

    def defaults(self) -> dict:
        return {k: o.default for k, o in self.options.items()}


PES: dict[str, PESpec] = {}


def register_pe(spec: PESpec) -> PESpec:
    """Add a PE to the registry; its name must be new and must not contain '+' (that joins a scheme)."""
    if spec.hook not in HOOKS:
        raise unknown("PE hook", spec.hook, HOOKS)
    if not spec.name or "+" in spec.name or spec.name in PES:
        raise PelgError(f"cannot register PE {spec.name!r}: the name is empty, has '+', or is taken")
    PES[spec.name] = spec
    return spec


def get_pe(base: str) -> PESpec:
    if base not in PES:
        raise unknown("positional encoding", base, PES)
    return PES[base]


def resolve_options(base: str, options: dict | None) -> dict:
    """Defaults of `base` updated by `options`, each converted and checked; unknown names are an error."""
    spec = get_pe(base)
    opts = spec.defaults()
    for key, value in (options or {}).items():
        if key not in spec.options:
            raise unknown(f"option for PE {base!r}", key, spec.options or ["(none)"])
        opts[key] = spec.options[key].parse(f"PE {base!r}", key, value)
    return opts


def build_pe(base: str, d_model: int, n_head: int, causal: bool, options: dict | None = None,
             token_std: float = 0.02):
    """Build the module for a base PE name (no position-scheme suffix; see `empirics.positions`);
    `token_std`: the model's token-embedding init std (`PEContext.token_std`)."""
    spec = get_pe(base)
    options = resolve_options(base, options)
    try:
        return spec.build(PEContext(d_model, n_head, causal, token_std), options)
    except ValueError as e:  # a theory function's one-line message about an impossible option value
        raise PelgError(f"PE {base!r}: {str(e).splitlines()[0]}") from None
