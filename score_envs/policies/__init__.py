"""Policies: given the chat so far, write the next attempt; the built-in scripted baselines."""

from score_envs.policies.base import (
    Policy,
    attempts_so_far,
    format_final_answer,
    is_code_task,
    render_answer,
)
from score_envs.policies.errors import ModelEndpointError
from score_envs.policies.registry import SPEC_FORMS, build_policy, register_policy_prefix
from score_envs.policies.scripted import (
    BUILTIN_POLICIES,
    CopyFirstPolicy,
    NoisySolverPolicy,
    OraclePolicy,
    RandomGuessPolicy,
    distractors_of,
    guaranteed_wrong_answer,
    make_policy,
)

__all__ = [
    "BUILTIN_POLICIES",
    "SPEC_FORMS",
    "CopyFirstPolicy",
    "ModelEndpointError",
    "NoisySolverPolicy",
    "OraclePolicy",
    "Policy",
    "RandomGuessPolicy",
    "attempts_so_far",
    "build_policy",
    "distractors_of",
    "format_final_answer",
    "guaranteed_wrong_answer",
    "is_code_task",
    "make_policy",
    "register_policy_prefix",
    "render_answer",
]
