"""The command line: help everywhere, exit codes, the analyze command on the bundled sample."""

import json
import shutil

import pandas as pd
import pytest
from typer.main import get_command
from typer.testing import CliRunner

from linkguard.cli import _register, app

_register()
runner = CliRunner()


def _commands(group, prefix: tuple[str, ...] = ()):
    for name, cmd in group.commands.items():
        path = (*prefix, name)
        yield path, cmd
        if hasattr(cmd, "commands"):
            yield from _commands(cmd, path)


ALL = list(_commands(get_command(app)))


def test_there_are_commands():
    names = {" ".join(p) for p, _ in ALL}
    assert {"synth", "analyze", "serve", "account", "neo4j"} <= names


@pytest.mark.parametrize(
    "path", [p for p, c in ALL if not hasattr(c, "commands")], ids=lambda p: " ".join(p)
)
def test_every_command_has_help_with_an_example(path):
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.output
    assert "linkguard " + " ".join(path) in " ".join(result.output.split())


def test_analyze_sample_json_summary_counts_add_up(sample_dir, tmp_path):
    result = runner.invoke(
        app, ["analyze", str(sample_dir), "--out", str(tmp_path / "s"), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    for table, rep in summary["inputs"].items():
        assert rep["rows_in"] == rep["rows_loaded"] + rep["rows_quarantined"], table
    assert summary["flagged_accounts"] > 0
    for name in ("flags", "accounts", "clusters", "rings", "concentration"):
        assert (tmp_path / "s" / f"{name}.parquet").is_file()


def test_missing_required_column_exits_2_and_writes_nothing(sample_dir, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(sample_dir, data, ignore=shutil.ignore_patterns("truth"))
    orders = pd.read_csv(data / "orders.csv", dtype=str).drop(columns=["amount"])
    orders.to_csv(data / "orders.csv", index=False)
    out = tmp_path / "out"
    result = runner.invoke(app, ["analyze", str(data), "--out", str(out)])
    assert result.exit_code == 2
    assert "orders.csv" in result.output
    assert "amount" in result.output
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [data]


def test_missing_data_directory_exits_2(tmp_path):
    result = runner.invoke(app, ["analyze", str(tmp_path / "nope"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2


def test_evaluate_scores_the_sample(sample_snapshot, sample_dir):
    result = runner.invoke(
        app, ["evaluate", str(sample_snapshot.path), "--data", str(sample_dir), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)
    assert scores["seller_fraud"]["f1"] >= 0.9
    assert scores["honest_shops_flagged"] == []


def test_command_modules_name_every_command_and_its_module():
    from linkguard.cli import COMMAND_MODULES

    top = {path[0]: cmd for path, cmd in ALL if len(path) == 1}
    assert set(COMMAND_MODULES) == set(top)
    for name, cmd in top.items():
        if cmd.callback is not None:  # groups (neo4j) have none
            assert cmd.callback.__module__ == f"linkguard.cli.{COMMAND_MODULES[name]}"


@pytest.mark.parametrize(
    ("argv", "loaded", "absent"),
    [
        (["analyze", "--help"], {"analyze"}, {"serve", "account", "neo4j"}),
        (["--version"], {"analyze", "serve", "neo4j", "neo4j_devserver"}, set()),
        (["no-such-command"], {"analyze", "serve"}, set()),
        (["neo4j", "dev-server", "status"], {"neo4j", "neo4j_devserver"}, {"analyze"}),
    ],
)
def test_only_the_command_being_run_is_imported(argv, loaded, absent):
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from linkguard.cli import _register\n"
        f"_register({argv!r})\n"
        "names = [m for m in sys.modules if m.startswith('linkguard.cli.')]\n"
        "print(' '.join(m.rsplit('.', 1)[1] for m in names))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert loaded <= set(out), out
    assert not absent & set(out), out


def test_registering_twice_adds_the_dev_server_group_once():
    from linkguard.cli import neo4j_app

    _register(["neo4j"])
    _register()
    assert [g.name for g in neo4j_app.registered_groups].count("dev-server") == 1


@pytest.mark.parametrize(("code", "status"), [(None, 0), (3, 3), ("bad input", 1)])
def test_exit_now_finishes_threads_handlers_and_output_before_it_ends(tmp_path, code, status):
    import subprocess
    import sys

    marker = tmp_path / "late.txt"
    script = (
        "import atexit, threading, time\n"
        "from linkguard.cli import exit_now\n"
        f"def late():\n    time.sleep(0.3)\n    open({str(marker)!r}, 'w').write('done')\n"
        "threading.Thread(target=late).start()\n"
        "atexit.register(print, 'handler ran')\n"
        "print('buffered', end=' ')\n"
        f"exit_now({code!r})\n"
        "print('never')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == status
    assert done.stdout == "buffered handler ran\n"
    assert marker.read_text() == "done"
    if isinstance(code, str):
        assert code in done.stderr


def test_the_entry_point_writes_everything_and_keeps_the_exit_code(sample_dir, tmp_path):
    import subprocess
    import sys

    run = [sys.executable, "-m", "linkguard", "analyze", str(sample_dir)]
    done = subprocess.run(
        [*run, "--out", str(tmp_path / "s"), "--format", "json"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["accounts"] > 0
    assert (tmp_path / "s" / "summary.json").is_file()
    missing = subprocess.run(
        [*run[:-1], str(tmp_path / "nothere"), "--out", str(tmp_path / "t")],
        capture_output=True,
        text=True,
    )
    assert missing.returncode == 2
    assert "not a directory" in missing.stderr


def test_exit_now_stops_an_idle_executor_as_the_interpreter_would():
    import subprocess
    import sys

    script = (
        "from concurrent.futures import ThreadPoolExecutor\n"
        "from linkguard.cli import exit_now\n"
        "pool = ThreadPoolExecutor(max_workers=2)\n"
        "print(pool.submit(pow, 2, 10).result())\n"
        "exit_now(0)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30
    )
    assert (done.returncode, done.stdout) == (0, "1024\n")
