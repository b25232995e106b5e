"""Shared fixtures: a kiosk data directory and a way to run the real ``kiosk`` command."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


class KioskCommand:
    """Runs ``python -m kiosk`` as a separate process, as an operator or script would."""

    def __init__(self, data_dir: Path, **env):
        self.data_dir = data_dir
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
        self.env = {**inherited, "PYTHONPATH": str(ROOT), "KIOSK_DATA_DIR": str(data_dir),
                    "KIOSK_SITE": "hq", "KIOSK_DEVICE": "kiosk-a", **env}

    def __call__(self, *args, check=None, timeout=60):
        proc = subprocess.run([sys.executable, "-m", "kiosk", *args], env=self.env, capture_output=True,
                              text=True, timeout=timeout)
        if check is not None:
            assert proc.returncode == check, proc.stderr + proc.stdout
        return proc

    def json(self, *args, check=0):
        return json.loads(self(*args, "--json", check=check).stdout)

    @property
    def previews(self) -> Path:
        return self.data_dir / "previews"


@pytest.fixture
def kiosk_cmd(tmp_path):
    return KioskCommand(tmp_path / "data")


@pytest.fixture
def hosts_csv(tmp_path):
    path = tmp_path / "hosts.csv"
    path.write_text("name,department,email,phone\n李四,研发部,lisi@example.com,13800000001\n"
                    "张伟,行政部,zhangwei@example.com,\n王芳,财务部,wangfang@example.com,\n"
                    "Alice Smith,Sales,alice@example.com,\n", encoding="utf-8-sig")
    return path
