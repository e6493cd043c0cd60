"""score_envs/core/prompts.py: templates render exactly as ``str.format`` would."""

from __future__ import annotations

import pytest

from score_envs.core.prompts import PromptTemplates


@pytest.mark.parametrize(
    "template",
    [
        "Q: {problem}",
        "{problem} then {problem}",
        "Keep {{braces}}: {problem}",
        "{problem} {problem!r}",
    ],
)
def test_templates_render_exactly_as_str_format(template):
    templates = PromptTemplates(first_turn=template, correction=template)
    problem = "What is {x}?"
    assert templates.first_message(problem) == template.format(problem=problem)
    assert templates.correction_message(problem) == template.format(problem=problem)
