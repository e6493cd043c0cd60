"""``build_policy``: one entry point for scripted specs and adapter prefixes."""

from __future__ import annotations

import pytest

from score_envs.policies.openai_chat import OpenAIChatPolicy
from score_envs.policies.registry import build_policy, register_policy_prefix
from score_envs.policies.scripted import CopyFirstPolicy, OraclePolicy


def test_scripted_specs_go_to_make_policy():
    assert isinstance(build_policy("copy-first:oracle"), CopyFirstPolicy)


def test_copy_first_wraps_an_adapter_spec():
    policy = build_policy("copy-first:openai:model=m,base_url=http://127.0.0.1:9/v1")
    assert isinstance(policy, CopyFirstPolicy) and policy.name.startswith("copy-first:")


def test_openai_prefix_builds_the_adapter_lazily():
    policy = build_policy("openai:model=m,base_url=http://127.0.0.1:9/v1")
    assert isinstance(policy, OpenAIChatPolicy)


def test_registered_prefix_gets_the_rest_of_the_spec():
    seen = []
    register_policy_prefix("test-recorder", lambda rest: seen.append(rest) or OraclePolicy())
    build_policy("test-recorder:a=1,b=2")
    assert seen == ["a=1,b=2"]


def test_unknown_spec_error_lists_scripted_forms_and_adapters():
    with pytest.raises(ValueError, match=r"unknown policy 'claude'.*adapters: openai:model=NAME"):
        build_policy("claude:opus")


def test_adapter_prefix_without_options_is_refused():
    with pytest.raises(ValueError, match="needs options after 'openai:'"):
        build_policy("openai")


def test_overlong_spec_is_refused():
    with pytest.raises(ValueError, match="at most"):
        build_policy("openai:model=" + "m" * 5000)


def test_bad_prefix_name_is_refused():
    with pytest.raises(ValueError, match="policy prefix"):
        register_policy_prefix("two words", lambda rest: OraclePolicy())
