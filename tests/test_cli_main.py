import subprocess
import sys

import mitigate


def test_version_flag_prints_the_installed_version() -> None:
    out = subprocess.run([sys.executable, "-m", "mitigate", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"mitigate {mitigate.__version__}"


def test_help_lists_usage() -> None:
    out = subprocess.run([sys.executable, "-m", "mitigate", "--help"], capture_output=True, text=True, check=True)
    assert "usage: mitigate" in out.stdout
