"""The sandbox that runs untrusted Python programs against hidden tests.

Public API (re-exported by :mod:`score_envs.code`): :func:`~score_envs.code.sandbox.api.run_tests`,
:func:`~score_envs.code.sandbox.api.run_tests_many`, :class:`~score_envs.code.sandbox.api.Sandbox`,
:class:`~score_envs.code.sandbox.report.TestReport`. See ``docs/sandbox.md`` for exactly what is
isolated and how verdicts are reached.

This package ``__init__`` imports nothing on purpose: the fork server imports the modules it
needs from here without pulling in the parent-side code.
"""
