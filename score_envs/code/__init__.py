"""Code tasks: programs written by a model, graded by hidden tests run in a sandbox."""

from score_envs.code.datasets import CodeDatasetSource, load_code_dataset, load_humaneval_package
from score_envs.code.env import CODE_TEMPLATES, ScoreCodeEnv
from score_envs.code.extraction import extract_program
from score_envs.code.grader import CodeGrader
from score_envs.code.procedural import ProceduralCodeSource
from score_envs.code.sandbox.api import (
    Sandbox,
    TestJob,
    default_sandbox,
    run_tests,
    run_tests_many,
)
from score_envs.code.sandbox.forkserver import SandboxError
from score_envs.code.sandbox.limits import Limits
from score_envs.code.sandbox.report import STATUSES, TestReport

__all__ = [
    "CODE_TEMPLATES",
    "STATUSES",
    "CodeDatasetSource",
    "CodeGrader",
    "Limits",
    "ProceduralCodeSource",
    "Sandbox",
    "SandboxError",
    "ScoreCodeEnv",
    "TestJob",
    "TestReport",
    "default_sandbox",
    "extract_program",
    "load_code_dataset",
    "load_humaneval_package",
    "run_tests",
    "run_tests_many",
]
