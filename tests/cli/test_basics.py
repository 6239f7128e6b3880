"""The `s2d` entry point: --help, --version, and a help that never imports torch."""

from __future__ import annotations

import subprocess
import sys

from click.testing import CliRunner

from s2dcli import __version__
from s2dcli.cli import cli


def test_help_lists_commands_and_examples():
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert "models" in result.output
    assert "Examples:" in result.output


def test_version():
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"s2d, version {__version__}"


def test_help_does_not_import_torch():
    code = (
        "import sys\n"
        "from s2dcli.cli import cli\n"
        "try:\n"
        "    cli(['--help'], prog_name='s2d')\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [m for m in ('torch', 'huggingface_hub', 'timm', 'numpy') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY []" in out.stdout, out.stdout


def test_python_dash_m_runs_the_cli():
    out = subprocess.run(
        [sys.executable, "-m", "s2dcli", "--version"], capture_output=True, text=True, check=True
    )
    assert __version__ in out.stdout
