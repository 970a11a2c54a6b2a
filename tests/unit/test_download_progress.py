"""Bytes on disk while a download runs in a thread (latentbrush.ml.download)."""

from __future__ import annotations

import time

import pytest

from latentbrush.ml.download import with_download_progress


def test_reports_bytes_while_the_download_runs_and_returns_its_result(tmp_path, monkeypatch):
    monkeypatch.setattr("latentbrush.ml.download.POLL_S", 0.02)
    part = tmp_path / "pip-unpack-1" / "x.whl"

    def download():
        part.parent.mkdir()
        with open(part, "wb") as f:
            for _ in range(5):
                f.write(b"\0" * 1000)
                f.flush()
                time.sleep(0.06)
        return part

    gen = with_download_progress(download, tmp_path, step=4, total=8, message="Faces: downloading", size=5000)
    seen = []
    while True:
        try:
            seen.append(next(gen))
        except StopIteration as stop:
            result = stop.value
            break
    assert result == part
    got = [p.done_bytes for p in seen]
    assert got[0] == 0 and max(got) <= 5000 and any(0 < b < 5000 for b in got)
    assert got == sorted(got)
    assert all(p.step == 4 and p.total == 8 for p in seen)
    assert seen[-1].message.startswith("Faces: downloading — ") and seen[-1].message.endswith(" MB")


def test_an_error_in_the_download_is_raised_on_the_caller(tmp_path):
    def download():
        raise OSError("no network")

    with pytest.raises(OSError, match="no network"):
        list(with_download_progress(download, tmp_path, step=0, total=4, message="m", size="junk"))


def test_a_chatty_pip_cannot_block_the_download(tmp_path, monkeypatch):
    """pip's output goes to a file: 200 kB of it (a verbose pip.conf) used to fill the pipe, block
    pip for good and freeze the progress bar until Cancel."""
    import sys
    import time

    import pytest

    from latentbrush.ml import fetch
    from latentbrush.ml.errors import FetchError

    fake = tmp_path / "chatty"
    fake.write_text(f"#!{sys.executable}\nimport sys\nsys.stdout.write('x' * 200_000 + '\\nno such wheel\\n')\n"
                    "sys.exit(1)\n")
    fake.chmod(0o755)
    monkeypatch.setattr(fetch.sys, "executable", str(fake))
    dest = tmp_path / "dest"
    dest.mkdir()
    t = time.monotonic()
    with pytest.raises(FetchError, match="no such wheel"):
        fetch._pip_download("pkg", "1.0", dest, None)
    assert time.monotonic() - t < 30


def test_a_folder_pip_deletes_while_we_count_is_skipped_not_raised(tmp_path, monkeypatch):
    # CI once failed a whole `models fetch` on "No such file or directory (…/pip-unpack-…)": pip removed
    # its unpack folder between the walk listing it and opening it
    import os

    from latentbrush.ml.download import bytes_under

    (tmp_path / "keep.whl").write_bytes(b"\0" * 700)
    gone = tmp_path / "pip-unpack-x"
    gone.mkdir()
    (gone / "part").write_bytes(b"\0" * 300)
    real_scandir = os.scandir

    def scandir(path="."):
        if str(path).endswith("pip-unpack-x"):
            raise FileNotFoundError(2, "No such file or directory", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    assert bytes_under(tmp_path) == 700
    monkeypatch.setattr(os, "scandir", real_scandir)
    assert bytes_under(tmp_path) == 1000
