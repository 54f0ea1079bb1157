"""Shared fixtures: small dataset files in the real formats, written by the tests;
the tables of wrong answers to every topic's exercises."""

from __future__ import annotations

import importlib.util
import pickle
import struct
from pathlib import Path
from types import ModuleType, SimpleNamespace

import numpy as np
import pytest


def write_idx(path: Path, array: np.ndarray) -> None:
    """IDX (LeCun et al.): magic 0x0000 0x08 ndim, big-endian sizes, uint8 data."""
    with open(path, "wb") as fh:
        fh.write(struct.pack(">HBB", 0, 0x08, array.ndim))
        fh.write(struct.pack(f">{array.ndim}I", *array.shape))
        fh.write(array.astype(np.uint8).tobytes())


def write_mnist(root: Path, cls: str = "MNIST", n: int = 12):
    """torchvision's MNIST layout, ``root/<cls>/raw/*-ubyte``; same images per split."""
    raw = root / cls / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    for prefix in ("train", "t10k"):
        write_idx(raw / f"{prefix}-images-idx3-ubyte", images)
        write_idx(raw / f"{prefix}-labels-idx1-ubyte", labels)
    return images, labels


def write_cifar10(root: Path, n: int = 2) -> dict[str, tuple[np.ndarray, list[int]]]:
    """CIFAR-10's pickled batches, ``n`` images each. Only the checksums differ
    from the real files, so torchvision's integrity check must be bypassed."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(1)
    batches = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data = rng.integers(0, 256, size=(n, 3 * 32 * 32), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n).tolist()
        batches[name] = (data, labels)
        with open(folder / name, "wb") as fh:
            pickle.dump({"data": data, "labels": labels}, fh)
    with open(folder / "batches.meta", "wb") as fh:
        pickle.dump({"label_names": [f"c{i}" for i in range(10)]}, fh)
    return batches


def wrong_function_fails(exercise_id: str, fn, words: str) -> list:
    """A wrong answer fails some case, with ``words`` in a message, and loses points.

    Returns the failed cases.
    """
    from coursework.exercises import run_check

    result = run_check(exercise_id, fn, device="cpu")
    failed = [c for c in result.cases if c.status != "passed"]
    assert failed, f"{exercise_id}: a wrong function passed"
    assert any(words in c.message for c in failed), [c.message for c in failed]
    assert result.points < result.max_points
    return failed


WRONG_ANSWERS = Path(__file__).parent / "exercises" / "wrong"


def load_wrong_answers(topic: str) -> ModuleType:
    """``tests/exercises/wrong/<topic>.py``: ``WRONG`` = {id: (fn, words)}.

    Raises:
        FileNotFoundError: the topic has exercises but no table yet.
    """
    path = WRONG_ANSWERS / f"{topic}.py"
    if not path.is_file():
        raise FileNotFoundError(
            f"exercises of topic {topic!r} have no table of wrong answers: "
            f"write {path.relative_to(Path(__file__).parent.parent)} with "
            "WRONG = {exercise_id: (wrong_function, words_in_its_message)}"
        )
    spec = importlib.util.spec_from_file_location(f"wrong_answers_{topic}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def exercise_topics() -> list[str]:
    """Every module of ``coursework.exercises`` that defines a topic's exercises."""
    from coursework.exercises.registry import all_topics

    return all_topics()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrise ``exercise_topic`` over every topic and ``wrong_answer`` over
    every row of every topic's table (a topic without a table gets no rows here;
    the per-topic test says what to write)."""
    if "exercise_topic" in metafunc.fixturenames:
        metafunc.parametrize("exercise_topic", exercise_topics())
    if "wrong_answer" in metafunc.fixturenames:
        rows = []
        for topic in exercise_topics():
            if (WRONG_ANSWERS / f"{topic}.py").is_file():
                table = load_wrong_answers(topic)
                rows += [(i, *table.WRONG[i]) for i in sorted(table.WRONG)]
        metafunc.parametrize("wrong_answer", rows, ids=[r[0] for r in rows])


@pytest.fixture(autouse=True)
def _progress_file(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checks that tests run record progress in a temporary file, never in the
    user's ``~/.cache/coursework`` (kernels the tests start inherit it)."""
    path = tmp_path_factory.getbasetemp() / "progress.json"
    monkeypatch.setenv("COURSEWORK_PROGRESS", str(path))


@pytest.fixture
def wrong_answers():
    """``wrong_answers("vae")``: that topic's table module (its wrong functions)."""
    return load_wrong_answers


@pytest.fixture
def check_verdicts() -> SimpleNamespace:
    """Shared assertions of the exercise tests: ``check_verdicts.wrong_fails(...)``."""
    return SimpleNamespace(wrong_fails=wrong_function_fails)


@pytest.fixture(scope="session")
def fake_data() -> SimpleNamespace:
    """The writers above: ``fake_data.mnist(root)``, ``fake_data.cifar10(root)``.

    Plain functions with no state: one namespace serves the session (module
    fixtures, e.g. the gpu-path runs, use it too)."""
    return SimpleNamespace(mnist=write_mnist, cifar10=write_cifar10, idx=write_idx)
