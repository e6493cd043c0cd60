"""Run configurations: env options from the command line, validation, rebuilding env and policy."""

from __future__ import annotations

import pytest

from score_envs.eval.config import RunConfig, parse_env_options


def test_env_opt_values_are_json_when_they_parse_and_strings_otherwise():
    options = parse_env_options(None, ["max_turns=3", "feedback=binary", "difficulty=[2, 4]"])
    assert options == {"max_turns": 3, "feedback": "binary", "difficulty": [2, 4]}


def test_env_opt_comma_list_becomes_a_list_of_strings():
    assert parse_env_options(None, ["families=arithmetic, fractions"]) == {
        "families": ["arithmetic", "fractions"]
    }


def test_env_opt_overrides_env_kwargs():
    assert parse_env_options('{"max_turns": 2}', ["max_turns=4"]) == {"max_turns": 4}


@pytest.mark.parametrize(
    ("kwargs_json", "options", "message"),
    [
        ("[1, 2]", [], "JSON object"),
        ("{not json", [], "JSON object"),
        (None, ["max_turns"], "KEY=VALUE"),
        (None, ["bad key=1"], "KEY=VALUE"),
    ],
)
def test_malformed_env_options_name_the_flag(kwargs_json, options, message):
    with pytest.raises(ValueError, match=message):
        parse_env_options(kwargs_json, options)


def test_env_kwargs_are_canonicalised_so_equal_configs_compare_equal():
    first = RunConfig("ScoreMath-v0", {"b": 1, "a": (1, 2)}, "oracle", 0)
    second = RunConfig("ScoreMath-v0", {"a": [1, 2], "b": 1}, "oracle", 0)
    assert first == second


def test_non_json_env_kwargs_are_refused():
    with pytest.raises(ValueError, match="JSON values"):
        RunConfig("ScoreMath-v0", {"families": {"arithmetic"}}, "oracle", 0)


@pytest.mark.parametrize("seed", [-1, 1.5, True])
def test_seed_must_be_a_non_negative_int(seed):
    with pytest.raises(ValueError, match="seed"):
        RunConfig("ScoreMath-v0", {}, "oracle", seed)


def test_unknown_env_id_is_a_value_error_naming_it():
    with pytest.raises(ValueError, match="NoSuchEnv-v0"):
        RunConfig("NoSuchEnv-v0").make_env()


def test_unknown_env_option_is_a_value_error_naming_the_env():
    with pytest.raises(ValueError, match="rejects options"):
        RunConfig("ScoreMath-v0", {"colour": "blue"}).make_env()


def test_make_policy_uses_the_spec():
    assert RunConfig("ScoreMath-v0", {}, "copy-first:oracle").make_policy().name == (
        "copy-first:oracle"
    )
