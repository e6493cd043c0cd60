"""The ``score-envs`` command line: the README's main job and its user errors."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time

import pytest

from score_envs.cli import DEMO_POLICIES, main
from score_envs.code.families import family_names as code_family_names
from score_envs.eval.results import read_results
from score_envs.math.procedural import family_names
from score_envs.testing.chat_server import ChatServer, Fault, digit_reply


def test_list_shows_envs_families_and_policies(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "ScoreMath-v0" in out
    assert all(name in out for name in family_names())
    assert "oracle" in out and "noisy" in out


def test_list_shows_code_families_and_which_envs_take_text(capsys):
    assert main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert all(f"  {name}" in lines for name in code_family_names())
    kinds = {line.split()[0]: line.split()[-1] for line in lines if line.startswith("  Score")}
    assert kinds["ScoreCode-v0"] == "text" and kinds["ScoreGridWorld-v0"] == "agents"


def test_demo_prints_the_paper_table_with_one_row_per_policy(capsys, tmp_path):
    out_file = tmp_path / "table.md"
    argv = [
        "demo",
        "--episodes",
        "40",
        "--code-episodes",
        "0",
        "--seed",
        "3",
        "--out",
        str(out_file),
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith("|")]
    assert lines[0].startswith("| Method | Acc@t1 | Acc@t2")
    rows = lines[2:]
    assert len(rows) == len(DEMO_POLICIES)
    oracle_row = next(r for r in rows if r.startswith("| oracle"))
    assert "100.0" in oracle_row.split("|")[2]
    assert out_file.read_text(encoding="utf-8").strip() == out.strip()


def test_demo_is_deterministic_for_a_seed(capsys):
    argv = ["demo", "--episodes", "30", "--code-episodes", "10", "--seed", "5"]
    main([*argv, "--families", "arithmetic,fractions"])
    first = capsys.readouterr().out
    main([*argv, "--families", "arithmetic,fractions"])
    assert capsys.readouterr().out == first


def test_demo_plays_score_code_in_the_sandbox_after_score_math(capsys):
    assert main(["demo", "--episodes", "10", "--code-episodes", "12", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    math_part, code_part = out.split("### ScoreCode-v0")
    assert math_part.startswith("### ScoreMath-v0")
    code_rows = [line for line in code_part.splitlines() if line.startswith("| ")][1:]
    assert len(code_rows) == len(DEMO_POLICIES)
    oracle_row = next(r for r in code_rows if r.startswith("| oracle"))
    random_row = next(r for r in code_rows if r.startswith("| random"))
    assert oracle_row.split("|")[2].strip() == "100.0 [100.0, 100.0]"
    assert float(random_row.split("|")[2].split()[0]) < 100.0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["demo", "--families", "astrology"], "astrology"),
        (["demo", "--difficulty", "9"], "difficulty"),
        (["demo", "--episodes", "0"], "--episodes"),
        (["demo", "--code-episodes", "-1"], "--code-episodes"),
    ],
)
def test_user_errors_exit_2_with_one_line_on_stderr(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("score-envs: error:") and message in err[0]


def test_console_script_runs_as_a_module():
    result = subprocess.run(
        [sys.executable, "-m", "score_envs.cli", "demo", "--episodes", "5", "--code-episodes", "3"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "| oracle" in result.stdout


# -- eval, leaderboard, plot ---------------------------------------------------------------------

EVAL_SEED = 3


def eval_args(out, policy="noisy:p1=0.5,i2c=0.3,c2i=0.1", episodes=12, *extra):
    return [
        "eval",
        "--policy",
        policy,
        "--episodes",
        str(episodes),
        "--seed",
        str(EVAL_SEED),
        "--out",
        str(out),
        "--env-opt",
        "families=arithmetic,fractions",
        *extra,
    ]


def one_error_line(capsys):
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err
    assert len(lines) == 1 and lines[0].startswith("score-envs: error:"), err
    return lines[0]


def episodes_of(path):
    """Finished episodes of a results file keyed by index, timings dropped."""
    return {
        index: {k: v for k, v in r.as_dict().items() if k not in ("seconds", "policy_seconds")}
        for index, r in read_results(path).records.items()
    }


def test_list_shows_the_policy_adapters(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "openai:model=NAME" in out and "hf:" in out


def test_eval_writes_one_line_per_episode_and_prints_the_row(tmp_path, capsys):
    out = tmp_path / "noisy.jsonl"
    assert main(eval_args(out)) == 0
    assert sorted(read_results(out).records) == list(range(12))
    assert "| 1 | noisy |" in capsys.readouterr().out


def test_eval_resume_keeps_finished_lines_and_adds_the_missing_ones(tmp_path):
    out = tmp_path / "run.jsonl"
    assert main(eval_args(out, episodes=6)) == 0
    before = out.read_bytes()
    assert main(eval_args(out, episodes=12)) == 0
    assert out.read_bytes().startswith(before)
    whole = tmp_path / "whole.jsonl"
    assert main(eval_args(whole, episodes=12)) == 0
    assert episodes_of(out) == episodes_of(whole)


def test_eval_rerun_of_a_finished_run_adds_nothing(tmp_path):
    out = tmp_path / "run.jsonl"
    assert main(eval_args(out, episodes=5)) == 0
    before = out.read_bytes()
    assert main(eval_args(out, episodes=5)) == 0
    assert out.read_bytes() == before


def test_eval_refuses_to_resume_another_configuration(tmp_path, capsys):
    out = tmp_path / "run.jsonl"
    assert main(eval_args(out, episodes=3)) == 0
    capsys.readouterr()
    assert main(eval_args(out, "oracle", 3)) == 2
    assert "holds another run" in one_error_line(capsys)


@pytest.mark.parametrize(
    ("argv_tail", "message"),
    [
        (["--env", "NoSuchEnv-v0"], "NoSuchEnv-v0"),
        (["--env-opt", "difficulty=9"], "difficulty"),
        (["--env-kwargs", "{oops"], "--env-kwargs"),
        (["--backend", "process", "--address", "auto"], "--address"),
        (["--env", "ScoreGridWorld-v0"], "ScoreGridWorld-v0"),
        (["--env", "ScoreMathChoice-v0"], "not a text self-correction env"),
        (["--env", "CartPole-v1"], "CartPole-v1"),
    ],
)
def test_eval_bad_env_input_is_one_line_and_creates_no_file(tmp_path, capsys, argv_tail, message):
    out = tmp_path / "run.jsonl"
    assert main(eval_args(out, "oracle", 3, *argv_tail)) == 2
    assert message in one_error_line(capsys)
    assert not out.exists()


def test_eval_unknown_policy_is_one_line_and_creates_no_file(tmp_path, capsys):
    out = tmp_path / "run.jsonl"
    assert main(eval_args(out, "gpt-7", 3)) == 2
    assert "unknown policy 'gpt-7'" in one_error_line(capsys)
    assert not out.exists()


def test_eval_of_an_env_without_text_actions_says_so(tmp_path, capsys):
    out = tmp_path / "run.jsonl"
    argv = ["eval", "--env", "ScoreGridWorld-v0", "--policy", "oracle", "--out", str(out)]
    assert main(argv) == 2
    assert "not a text self-correction env" in one_error_line(capsys)
    assert not out.exists()


def test_eval_endpoint_failing_mid_run_exits_1_and_keeps_finished_episodes(tmp_path, capsys):
    answered = []

    def reply(messages):
        answered.append(1)
        if len(answered) == 10:  # 5 episodes, then the endpoint breaks down
            server.fail_next(*[Fault.http_error(503)] * 50)
        return digit_reply(messages)

    out = tmp_path / "run.jsonl"
    with ChatServer(reply=reply) as server:
        spec = f"openai:model=m,base_url={server.base_url},max_retries=1,backoff=0.01"
        assert main(eval_args(out, spec, 12)) == 1
    line = one_error_line(capsys)
    assert "HTTP 503" in line and "5 episodes saved" in line and "re-run" in line
    assert sorted(read_results(out).records) == [0, 1, 2, 3, 4]


def test_eval_endpoint_down_exits_1_with_the_url(tmp_path, capsys):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    spec = f"openai:model=m,base_url=http://127.0.0.1:{port}/v1,max_retries=1,backoff=0.01"
    out = tmp_path / "run.jsonl"
    assert main(eval_args(out, spec, 3)) == 1
    line = one_error_line(capsys)
    assert f"127.0.0.1:{port}" in line and "connection refused" in line
    assert "no episode finished" in line and not out.exists()  # no header-only file left


def test_eval_ray_address_where_nothing_listens_is_one_line_at_once(tmp_path, capsys):
    pytest.importorskip("ray", reason="the ray extra is not installed")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    out = tmp_path / "run.jsonl"
    argv = eval_args(out, "oracle", 3, "--backend", "ray", "--address", f"127.0.0.1:{port}")
    assert main(argv) == 2
    assert f"no Ray cluster answers at 127.0.0.1:{port}" in one_error_line(capsys)
    assert not out.exists()


def test_eval_env_options_have_one_spelling_so_runs_resume_across_spellings(tmp_path, capsys):
    out = tmp_path / "run.jsonl"
    first = ["eval", "--policy", "oracle", "--episodes", "2", "--out", str(out)]
    assert main([*first, "--env-opt", "families=arithmetic", "--env-opt", "difficulty=2-3"]) == 0
    again = [*first[:4], "4", *first[5:], "--env-kwargs", '{"families": ["arithmetic"]}']
    assert main([*again, "--env-opt", "difficulty=[2, 3]"]) == 0
    assert sorted(read_results(out).records) == [0, 1, 2, 3]


def test_plot_and_demo_to_an_unwritable_path_are_one_line_before_any_work(tmp_path, capsys):
    main(eval_args(tmp_path / "a.jsonl", "oracle", 3))
    capsys.readouterr()
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert main(["plot", str(tmp_path / "a.jsonl"), "--out", str(blocker / "fig.png")]) == 2
    assert "--out" in one_error_line(capsys)
    assert main(["demo", "--episodes", "5", "--out", str(blocker / "table.md")]) == 2
    assert "--out" in one_error_line(capsys)


def test_eval_threads_against_a_real_server_match_the_sequential_run(tmp_path):
    with ChatServer() as server:
        spec = f"openai:model=m,base_url={server.base_url}"
        assert main(eval_args(tmp_path / "seq.jsonl", spec, 10)) == 0
        assert main(eval_args(tmp_path / "par.jsonl", spec, 10, "--concurrency", "4")) == 0
    assert episodes_of(tmp_path / "par.jsonl") == episodes_of(tmp_path / "seq.jsonl")


def test_eval_survives_sigkill_and_resumes_to_the_uninterrupted_result(tmp_path):
    out = tmp_path / "killed.jsonl"
    with ChatServer(delay=0.05) as server:  # about 2 s for the 40 episodes: time to kill it
        spec = f"openai:model=m,base_url={server.base_url},max_retries=0"
        argv = eval_args(out, spec, 40, "--concurrency", "2")
        child = subprocess.Popen(
            [sys.executable, "-m", "score_envs.cli", *argv],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and child.poll() is None:
            if out.exists() and out.read_bytes().count(b"\n") >= 9:  # header + 8 episodes
                break
            time.sleep(0.01)
        assert child.poll() is None, child.stderr.read().decode()
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        child.stderr.close()
        # A kill can land mid-write: add the torn line such a kill would leave.
        with out.open("ab") as stream:
            stream.write(b'{"type": "episode", "index": 39, "seed": 4')
        survived = read_results(out)
        assert 8 <= len(survived.records) < 40
        server.delay = 0.0
        assert main(argv) == 0
        assert main(eval_args(tmp_path / "whole.jsonl", spec, 40)) == 0
    assert episodes_of(out) == episodes_of(tmp_path / "whole.jsonl")
    assert all(json.loads(line) for line in out.read_text().splitlines())


def test_leaderboard_formats_write_files(tmp_path, capsys):
    runs = [tmp_path / "a.jsonl", tmp_path / "b.jsonl"]
    main(eval_args(runs[0], "oracle", 8))
    main(eval_args(runs[1], "random", 8))
    capsys.readouterr()
    assert main(["leaderboard", *map(str, runs)]) == 0
    markdown = capsys.readouterr().out
    assert markdown.index("| 1 | a |") < markdown.index("| 2 | b |")
    assert (
        main(["leaderboard", *map(str, runs), "--format", "csv", "--out", str(tmp_path / "t.csv")])
        == 0
    )
    assert (tmp_path / "t.csv").read_text().startswith("rank,run,policy")
    assert (
        main(
            ["leaderboard", *map(str, runs), "--format", "html", "--out", str(tmp_path / "t.html")]
        )
        == 0
    )
    assert (tmp_path / "t.html").read_text().startswith("<!DOCTYPE html>")


def test_leaderboard_unreadable_file_is_one_line(tmp_path, capsys):
    assert main(["leaderboard", str(tmp_path / "missing.jsonl")]) == 2
    assert "missing.jsonl" in one_error_line(capsys)


def test_leaderboard_non_results_file_is_one_line(tmp_path, capsys):
    path = tmp_path / "notes.jsonl"
    path.write_text("hello\n")
    assert main(["leaderboard", str(path)]) == 2
    assert "notes.jsonl" in one_error_line(capsys)


def test_leaderboard_refuses_runs_of_different_envs(tmp_path, capsys):
    math_run, other_run = tmp_path / "math.jsonl", tmp_path / "other.jsonl"
    main(eval_args(math_run, "oracle", 3))
    main(
        [
            "eval",
            "--policy",
            "oracle",
            "--episodes",
            "3",
            "--out",
            str(other_run),
            "--env-opt",
            "max_turns=3",
        ]
    )
    capsys.readouterr()
    assert main(["leaderboard", str(math_run), str(other_run)]) == 2
    assert "different environments" in one_error_line(capsys)


def test_plot_writes_an_image(tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="the plot extra (matplotlib) is not installed")
    run = tmp_path / "a.jsonl"
    main(eval_args(run, "oracle", 3))
    assert main(["plot", str(run), "--out", str(tmp_path / "fig.png")]) == 0
    assert (tmp_path / "fig.png").read_bytes()[:4] == b"\x89PNG"


def test_demo_also_writes_the_html_page_and_plot(tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="the plot extra (matplotlib) is not installed")
    html, plot = tmp_path / "board.html", tmp_path / "board.png"
    argv = ["demo", "--episodes", "30", "--code-episodes", "5"]
    assert main([*argv, "--html", str(html), "--plot", str(plot)]) == 0
    table = capsys.readouterr().out
    page = html.read_text(encoding="utf-8")
    assert page.count("<tr data-run=") == 2 * len(DEMO_POLICIES)
    oracle_row = next(line for line in table.splitlines() if line.startswith("| oracle"))
    assert oracle_row.split("|")[2].strip() == "100.0 [100.0, 100.0]"
    assert 'data-key="acc_t1" data-value="1.0"' in page
    assert plot.read_bytes()[:4] == b"\x89PNG"


def test_plot_without_matplotlib_names_the_extra(tmp_path, capsys, monkeypatch):
    run = tmp_path / "a.jsonl"
    main(eval_args(run, "oracle", 3))
    capsys.readouterr()
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now fails
    assert main(["plot", str(run), "--out", str(tmp_path / "fig.png")]) == 2
    assert "score-envs[plot]" in one_error_line(capsys)


def test_ray_backend_without_ray_names_the_extra_and_creates_no_file(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    out = tmp_path / "run.jsonl"
    assert main(eval_args(out, "oracle", 3, "--backend", "ray")) == 2
    assert "score-envs[ray]" in one_error_line(capsys)
    assert not out.exists()
