"""One entry point that turns any policy spec into a policy: built-in scripted ones and adapters.

Adapters register a spec prefix (``openai:``, ``hf:``) with a factory that receives the text after
the prefix; every other spec goes to the scripted :func:`score_envs.policies.scripted.make_policy`.
The prefixes of the adapters shipped here are registered lazily, by module path, so importing the
registry never imports an optional dependency.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from score_envs.policies.base import Policy
from score_envs.policies.scripted import check_policy_spec, make_policy

PolicyFactory = Callable[[str], Policy]
"""Builds a policy from the part of a spec after its ``prefix:``."""

_FACTORIES: dict[str, PolicyFactory | str] = {
    "openai": "score_envs.policies.openai_chat:policy_from_spec",
    "hf": "score_envs.policies.hf_causal:policy_from_spec",
    "torch": "score_envs.policies.torch_tiny:policy_from_spec",
}

SPEC_FORMS: dict[str, str] = {
    "openai": "openai:model=NAME[,base_url=URL,api_key_env=VAR,timeout=S,max_retries=N,...]",
    "hf": "hf:model=PATH[,max_new_tokens=N,device=cpu] (needs the hf extra)",
    "torch": "torch:PATH[,device=cpu] (an agents/score_mini checkpoint, from a repo checkout)",
}
"""Spec forms of the adapters, for ``score-envs list`` and error messages."""


def register_policy_prefix(prefix: str, factory: PolicyFactory, form: str = "") -> None:
    """Make ``build_policy("PREFIX:...")`` call ``factory("...")``.

    The registration lives in this process: the ``process`` and ``ray`` backends rebuild
    policies in fresh interpreters, which know the built-in prefixes only (register there too,
    e.g. from a module the workers import, or use the ``local`` backend).

    Example:
        >>> from score_envs.policies import OraclePolicy
        >>> register_policy_prefix("always-right", lambda rest: OraclePolicy())
        >>> build_policy("always-right:anything").name
        'oracle'
    """
    if not prefix.isidentifier() and not prefix.replace("-", "_").isidentifier():
        raise ValueError(f"policy prefix must be a word like 'openai', got {prefix!r}")
    _FACTORIES[prefix.lower()] = factory
    if form:
        SPEC_FORMS[prefix.lower()] = form


def build_policy(spec: str) -> Policy:
    """Build the policy a spec names: ``openai:...``, ``hf:...``, ``torch:...`` or a scripted spec.

    Raises ``ValueError`` with the valid forms for an unknown or malformed spec.

    Example:
        >>> build_policy("noisy:p1=0.5").name
        'noisy:p1=0.5,i2c=0.2,c2i=0.05'
    """
    check_policy_spec(spec)
    prefix, has_rest, rest = spec.strip().partition(":")
    factory = _FACTORIES.get(prefix.strip().lower()) if has_rest else None
    if factory is None:
        if prefix.strip().lower() in _FACTORIES:
            raise ValueError(f"policy spec {spec!r} needs options after '{prefix.strip()}:'")
        try:
            return make_policy(spec)
        except ValueError as exc:
            forms = "; ".join(SPEC_FORMS.values())
            raise ValueError(f"{exc}; adapters: {forms}") from None
    if isinstance(factory, str):
        factory = _load(factory)
    return factory(rest)


def _load(target: str) -> PolicyFactory:
    module_name, _, attribute = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"policy adapter {module_name} cannot be imported: {exc}") from None
    return getattr(module, attribute)
