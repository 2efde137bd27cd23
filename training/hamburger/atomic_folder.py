"""Writing a folder whole or not at all: into a temporary folder beside the target, renamed
into place at the end, so that a failure (a full disk, an error mid-export) leaves whatever
was there untouched and no half-written folder behind."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable


def write_folder_atomically(out: Path, write: Callable[[Path], None], overwrite: bool) -> Path:
    out = Path(out)
    if out.exists() and not overwrite:
        raise SystemExit(f"error: {out} already exists; pass --overwrite to replace it")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        tmp.chmod(0o755)  # mkdtemp makes it private
        write(tmp)
        if out.exists():
            old = out.with_name(f".{out.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.rename(out, old)
            os.rename(tmp, out)
            shutil.rmtree(old)
        else:
            os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
