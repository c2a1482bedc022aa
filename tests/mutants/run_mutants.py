"""Hand-written mutants: break the code on purpose, in a copy, and check that a test fails.

Not part of the suite (pytest does not collect this file) and not run in CI: a run trains tiny
models and takes many minutes. Each mutant replaces one exact snippet of one module (the snippet
must occur once, so a mutant that no longer applies says so instead of passing silently), in a
fresh copy of the working tree; the named tests then run against that copy (PYTHONPATH puts the
copy's ``vagent`` before the editable install). A mutant is *killed* when the tests fail.

    .venv/bin/python tests/mutants/run_mutants.py            # every mutant
    .venv/bin/python tests/mutants/run_mutants.py sft-       # the mutants whose name starts so
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Mutant:
    name: str
    file: str  # relative to the repository root
    old: str
    new: str
    tests: tuple[str, ...]  # pytest node ids or files, relative to the repository root
    why: str = ""


MUTANTS: list[Mutant] = [
    # -- resume of `train sft` -------------------------------------------------------------------
    Mutant("sft-resume-from-scratch", "training/sft.py",
           "resume_from = _checkpoints(out)[-1] if out.exists() and _checkpoints(out) else None",
           "resume_from = None",
           ("tests/test_sft_resume.py::test_resume_starts_at_the_checkpoint_step",),
           "a resumed run restarts at step 0"),
    Mutant("sft-optimizer-not-restored", "training/sft.py",
           '        opt.load_state_dict(extra["optimizer"])\n', "",
           ("tests/test_sft_resume.py::test_resume_starts_at_the_checkpoint_step",)),
    Mutant("sft-scheduler-not-restored", "training/sft.py",
           '        sched.load_state_dict(extra["scheduler"])\n', "",
           ("tests/test_sft_resume.py::test_resume_starts_at_the_checkpoint_step",)),
    Mutant("sft-rng-not-restored", "training/sft.py",
           '        torch.set_rng_state(extra["torch_rng"])\n', "",
           ("tests/test_sft_resume.py::test_resume_starts_at_the_checkpoint_step",)),
    Mutant("sft-data-order-restarts", "training/sft.py",
           "stream = batches_from(step * cfg.grad_accum)", "stream = batches_from(0)",
           ("tests/test_sft_resume.py::test_resume_starts_at_the_checkpoint_step",)),
]


def copy_tree(dest: Path) -> Path:
    """The working tree (tracked and untracked, not ignored) as ``dest/vagent``."""
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split("\0")
    root = dest / "vagent"
    for name in filter(None, files):
        src = ROOT / name
        if src.is_file():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, root / name)
    return root


def run(m: Mutant) -> tuple[str, float, str]:
    with tempfile.TemporaryDirectory(prefix=f"mutant-{m.name}-") as tmp:
        root = copy_tree(Path(tmp))
        target = root / m.file
        text = target.read_text()
        if text.count(m.old) != 1:
            return "does-not-apply", 0.0, f"{m.file}: snippet found {text.count(m.old)} times"
        target.write_text(text.replace(m.old, m.new))
        env = {**os.environ, "PYTHONPATH": tmp + os.pathsep + os.environ.get("PYTHONPATH", ""),
               "VAGENT_TEST_CACHE": os.environ.get("VAGENT_TEST_CACHE", str(ROOT / ".cache"))}
        where = subprocess.run([sys.executable, "-c", "import vagent; print(vagent.__file__)"],
                               env=env, cwd=root, capture_output=True, text=True).stdout.strip()
        if not where.startswith(tmp):
            return "error", 0.0, f"the copy is not the imported vagent ({where})"
        t = time.monotonic()
        r = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                            *m.tests], env=env, cwd=root, capture_output=True, text=True)
        took = time.monotonic() - t
        tail = (r.stdout.strip().splitlines() or [""])[-1]
        if r.returncode == 0:
            return "SURVIVED", took, tail
        if r.returncode == 1:
            failed = [ln for ln in r.stdout.splitlines() if ln.startswith("FAILED")]
            return "killed", took, (failed[0] if failed else tail)
        return f"error (pytest exit {r.returncode})", took, tail


def main(argv: list[str]) -> int:
    chosen = [m for m in MUTANTS if not argv or any(m.name.startswith(a) for a in argv)]
    survived = 0
    for m in chosen:
        verdict, took, detail = run(m)
        survived += verdict != "killed"
        print(f"{m.name:34} {verdict:10} {took:6.0f} s  {detail[:150]}", flush=True)
    print(f"{len(chosen) - survived}/{len(chosen)} mutants killed")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
