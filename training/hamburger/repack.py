"""A package's weights stored another way: `python3 -m hamburger repack --package DIR
--weights int8 --out DIR2`. The graphs are rebuilt from the package's own weights (read back
as float32) and written as `--weights` says; the tokenizer, golden traces and evaluation files
are copied as they are, and the manifest records what was done. Golden traces stay those of
the original weights: an int8 package agrees with them only as far as int8 allows
(docs/real-models.md measures how far, on the shipped model)."""
from __future__ import annotations

import shutil
from pathlib import Path

from .package import export_models, load_models, write_manifest_folder


def repack(package: Path, out: Path, weights: str, overwrite: bool = False) -> Path:
    package = Path(package)
    if not (package / "hamburger.json").is_file():
        raise SystemExit(f"error: {package} is not a model package (no hamburger.json)")
    h, baseline, man = load_models(package)
    graph_files = set(man["graphs"].values()) | set(man.get("baseline", {}).get("graphs", {}).values())
    kept = [p for p in sorted(package.rglob("*")) if p.is_file() and p.name != "hamburger.json"
            and p.name not in graph_files and not p.name.endswith(".onnx.data")]
    provenance = {**man.get("provenance", {}), "repacked": {"from": str(package), "weights": weights,
                                                            "was": man.get("weights", "fp16")}}
    new_man = {k: v for k, v in man.items() if k != "external_data"} | {"weights": weights, "provenance": provenance}

    def write(folder: Path) -> None:
        export_models(lambda: h, (lambda: baseline) if baseline is not None else None, folder, weights)
        for source in kept:
            target = folder / source.relative_to(package)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)

    return write_manifest_folder(Path(out), new_man, write, overwrite)
