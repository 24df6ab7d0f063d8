"""The README walk's contract, checked in the test suite so a drift fails in seconds rather than
after CI's long walk: README marks exactly the steps the walk knows how to check, in the order a
newcomer needs them, and each marked block is a command a fresh virtualenv can run."""

from __future__ import annotations

import pytest
import walk_readme


def test_readme_marks_each_quick_start_step_once_in_order() -> None:
    steps = walk_readme.readme_steps((walk_readme.REPO / "README.md").read_text(encoding="utf-8"))

    assert [s.name for s in steps] == ["render", "emulator", "job-test"]
    assert steps[0].commands.startswith("python3 -m pip install . ")
    assert "'.[emulator]'" in steps[1].commands and "--emulator" in steps[1].commands
    assert "requirements-test.txt" in steps[2].commands and "pytest" in steps[2].commands


def test_a_marked_step_without_an_expectation_stops_the_walk() -> None:
    readme = "<!-- newcomer: render -->\n```sh\nglueprint generate\n```\n"

    with pytest.raises(SystemExit, match="mark each quick-start block"):
        walk_readme.readme_steps(readme)


def test_pytest_summary_must_be_all_passed() -> None:
    passed = walk_readme.Outcome("===== 1 passed in 3.2s =====\n", walk_readme.REPO)
    skipped = walk_readme.Outcome("===== 1 passed, 1 skipped in 3.2s =====\n", walk_readme.REPO)

    assert walk_readme.EXPECT["job-test"](passed) is None
    assert walk_readme.EXPECT["job-test"](skipped) == "pytest did not report passing tests only"
