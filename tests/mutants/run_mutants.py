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
    # -- redaction of secrets -----------------------------------------------------------------
    Mutant("redact-nothing", "agent/trajectory.py",
           '        return {k: ("<redacted>" if _SECRET.search(str(k)) and v else redact(v))',
           "        return {k: redact(v)",
           ("tests/test_loop.py", "tests/test_secrets.py"),
           "the trajectory writer redacts nothing"),
    Mutant("redact-counts-too", "agent/trajectory.py",
           'r"auth|cookie|credentials?)$"', 'r"auth|cookie|credentials?|tokens)$"',
           ("tests/test_loop.py::test_redact_keeps_counts_and_hides_secrets",)),
    Mutant("openai-completion-not-scrubbed", "policies/openai_policy.py",
           "        text = self._scrub(text)  # a server may quote the key back; the text is "
           "recorded\n", "", ("tests/test_secrets.py",)),
    Mutant("openai-error-not-scrubbed", "policies/openai_policy.py",
           'return self._scrub(" ".join(str(message or error.message or "").split()))[:200]',
           'return " ".join(str(message or error.message or "").split())[:200]',
           ("tests/test_secrets.py",)),
    Mutant("openai-logs-not-scrubbed", "policies/openai_policy.py",
           "        _LOG_SCRUBBER.watch(client)\n", "", ("tests/test_secrets.py",)),
    Mutant("openai-policy-keeps-the-key", "policies/openai_policy.py",
           "        del key  # from here on the key lives only in the client\n",
           "        self._key = key\n", ("tests/test_secrets.py",)),
    # -- parsing --------------------------------------------------------------------------------
    Mutant("repair-no-close-note", "actions/parsing/repair.py",
           '        notes.append(f"closed {len(stack)} unclosed bracket(s) {why}")\n', "",
           ("tests/test_parsing_repair.py",)),
    Mutant("repair-depth-cap-off", "actions/parsing/repair.py",
           "            if len(stack) >= MAX_DEPTH:",
           "            if len(stack) >= 10 * MAX_DEPTH:",
           ("tests/test_parsing_repair.py",)),
    Mutant("repair-no-missing-comma", "actions/parsing/repair.py",
           '        notes.append("supplied a missing comma")\n        return pos\n',
           "        return -pos\n",
           ("tests/test_parsing_repair.py", "tests/test_parsing_formats.py")),
    Mutant("repair-junk-after-value-raises", "actions/parsing/repair.py",
           "        if pos < 0:  # junk where a comma or closer belongs: the value was cut short\n"
           '            return close_all(-pos, "before text that is not JSON")\n',
           "        if pos < 0:\n            raise ParseError(\"junk\", -pos)\n",
           ("tests/test_parsing_repair.py", "tests/test_parsing_formats.py",
            "tests/test_parsing_properties.py")),
    Mutant("uitars-thought-dropped", "actions/parsing/uitars.py",
           "    thought = head[tm.end():] if tm else head\n", '    thought = ""\n',
           ("tests/test_parsing_formats.py", "tests/test_parsing_properties.py")),
    Mutant("box-centre-is-first-corner", "actions/parsing/boxes.py",
           "            return box_center(*a, *b) if a and b else None",
           "            return a if a and b else None",
           ("tests/test_parsing_repair.py", "tests/test_parsing_formats.py")),
    # -- metrics --------------------------------------------------------------------------------
    Mutant("vln-success-le-3m", "envs/vln/metrics.py",
           "    success = ne < SUCCESS_METRES", "    success = ne <= SUCCESS_METRES",
           ("tests/test_vln.py",)),
    Mutant("vln-oracle-is-final", "envs/vln/metrics.py",
           "    oracle = min(graph.distance(v, goal) for v in walk) < SUCCESS_METRES",
           "    oracle = graph.distance(walk[-1], goal) < SUCCESS_METRES", ("tests/test_vln.py",)),
    Mutant("vln-spl-no-max", "envs/vln/metrics.py",
           "    denom = max(length, shortest)", "    denom = length", ("tests/test_vln.py",)),
    Mutant("vln-rgs-any-object", "envs/vln/metrics.py",
           "str(predicted) == str(target)", "True", ("tests/test_vln.py",)),
    Mutant("aitw-tap-distance-strict", "benchmarks/aitz/metrics_aitw.py",
           "    if math.dist(a, b) <= TAP_MATCH_DISTANCE:",
           "    if math.dist(a, b) < TAP_MATCH_DISTANCE:", ("tests/test_aitz_metrics.py",)),
    Mutant("aitw-swipe-tie-horizontal", "benchmarks/aitz/metrics_aitw.py",
           "abs(lift[0] - touch[0]) >= abs(lift[1] - touch[1])",
           "abs(lift[0] - touch[0]) > abs(lift[1] - touch[1])", ("tests/test_aitz_metrics.py",)),
    Mutant("aitw-direction-ignored", "benchmarks/aitz/metrics_aitw.py",
           "    if not compare_direction:\n        return True\n", "    return True\n",
           ("tests/test_aitz_metrics.py",)),
    Mutant("coat-empty-text-contained", "benchmarks/aitz/metrics_coat.py",
           "    if not pred or not gt:\n        return pred == gt\n", "",
           ("tests/test_aitz_metrics.py",)),
    Mutant("coat-box-not-enlarged", "benchmarks/aitz/metrics_coat.py",
           "BOX_SCALE = 1.2", "BOX_SCALE = 1.0", ("tests/test_aitz_metrics.py",)),
    Mutant("coat-progress-counts-all-exact", "benchmarks/aitz/metrics_coat.py",
           "        while n < len(flags) and flags[n]:\n            n += 1\n",
           "        n = sum(flags)\n", ("tests/test_aitz_metrics.py",)),
    Mutant("alfred-plw-unweighted", "benchmarks/alfred/metrics.py",
           "    weight = min(1.0, expert_length / max(path_length, 1))", "    weight = 1.0",
           ("tests/test_alfred_tasks.py", "tests/test_alfred_eval.py")),
    Mutant("alfred-gc-per-episode-mean", "benchmarks/alfred/metrics.py",
           '"GC": pct(sum(r["gc_met"] for r in recs) / gc_total) if gc_total else 0.0,',
           '"GC": pct(sum(r["gc_met"] / max(1, r["gc_total"]) for r in recs) / n),',
           ("tests/test_alfred_tasks.py", "tests/test_alfred_eval.py")),
    Mutant("fncall-defaults-ignored", "benchmarks/fncall/metrics.py",
           "    for key, value in defaults.items():  # an explicit default equals an omitted one\n",
           "    for key, value in {}.items():\n", ("tests/test_fncall.py",)),
    Mutant("fncall-no-number-normalising", "benchmarks/fncall/metrics.py",
           '            number = float(text.replace(",", "")) if text else None',
           "            number = None", ("tests/test_fncall.py",)),
    # -- export (after issue 23.1's fix: the export equals what the policy sent) ------------------
    Mutant("export-without-thoughts", "training/export.py",
           "            answer, calls, thought = rec.raw, rec.calls, rec.thought\n",
           '            answer, calls, thought = rec.raw, rec.calls, ""\n',
           ("tests/test_export_equality.py",), "past steps shown without the model's thought"),
    Mutant("export-drops-failed-steps", "training/export.py",
           "            if not (same_format and protocol is None):\n                break",
           "            if True:\n                break", ("tests/test_export_equality.py",)),
    Mutant("export-approximate-tokens", "training/export.py",
           "    if tokenizer is None:\n        return approx_tokens\n",
           "    return approx_tokens\n", ("tests/test_export_equality.py",)),
    # -- benchmark runs (one resumable run shape, benchmarks/run.py) ------------------------------
    Mutant("run-file-rewritten", "benchmarks/run.py",
           '        self._file = open(self.out / EPISODES, "a", encoding="utf-8")\n'
           "        if self._show:",
           '        self._file = open(self.out / EPISODES, "w", encoding="utf-8")\n'
           "        if self._show:",
           ("tests/test_benchmark_runs.py::"
            "test_a_killed_run_resumes_only_its_unfinished_episodes",),
           "a rerun rewrites episodes.jsonl instead of appending"),
    Mutant("run-forgets-finished", "benchmarks/run.py",
           "        self.records = read_episodes(self.out / EPISODES, repair=True)\n",
           "        read_episodes(self.out / EPISODES, repair=True)\n        self.records = {}\n",
           ("tests/test_benchmark_runs.py::"
            "test_a_killed_run_resumes_only_its_unfinished_episodes",),
           "a rerun ignores the finished episodes"),
    Mutant("run-todo-everything", "benchmarks/run.py",
           "        return [i for i in self.ids if i not in self.records]",
           "        return list(self.ids)",
           ("tests/test_benchmark_runs.py::"
            "test_a_killed_run_resumes_only_its_unfinished_episodes[vln]",)),
    *[Mutant(f"runner-{name}-reruns-finished", path, old, new,
             ("tests/test_benchmark_runs.py::"
              f"test_a_killed_run_resumes_only_its_unfinished_episodes[{name}]",))
      for name, path, old, new in [
          ("phone-sim", "benchmarks/phone_sim.py",
           "                if bench.done(ep_id):\n                    continue\n", ""),
          ("alfred", "benchmarks/alfred/runner.py",
           "                if bench.done(task.episode_id):\n                    continue\n", ""),
          ("fncall", "benchmarks/fncall/runner.py",
           '                if not bench.done(item["id"]):\n', "                if True:\n"),
          ("cards", "benchmarks/cards/runner.py",
           "                    if not bench.done(episode_id(g, i))]", "]"),
          ("aitz", "benchmarks/aitz/runner.py",
           "for ep in episodes if not bench.done(ep.episode_id)}", "for ep in episodes}"),
      ]],
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
                            "--tb=short", *m.tests],
                           env=env, cwd=root, capture_output=True, text=True)
        took = time.monotonic() - t
        tail = (r.stdout.strip().splitlines() or [""])[-1]
        if r.returncode == 0:
            return "SURVIVED", took, tail
        if r.returncode == 1:
            failed = [ln.split(" - ")[0].removeprefix("FAILED ") for ln in r.stdout.splitlines()
                      if ln.startswith("FAILED")]
            why = next((ln[1:].strip() for ln in r.stdout.splitlines() if ln.startswith("E ")),
                       "")
            return "killed", took, f"{failed[0] if failed else tail}: {why}"
        return f"error (pytest exit {r.returncode})", took, tail


def main(argv: list[str]) -> int:
    chosen = [m for m in MUTANTS if not argv or any(m.name.startswith(a) for a in argv)]
    survived = 0
    for m in chosen:
        verdict, took, detail = run(m)
        survived += verdict != "killed"
        print(f"{m.name:34} {verdict:10} {took:6.0f} s  {detail[:220]}", flush=True)
    print(f"{len(chosen) - survived}/{len(chosen)} mutants killed")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
