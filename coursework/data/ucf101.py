"""UCF-101 (Soomro et al., 2012, arXiv:1212.0402) from its original files.

The videos are ``.avi`` files in one folder per class (``UCF-101/``); the
official splits are text files (``ucfTrainTestlist/``: ``classInd.txt``,
``trainlist0{fold}.txt``, ``testlist0{fold}.txt``), the layout that
:class:`torchvision.datasets.UCF101` reads. We read it ourselves and decode
with PyAV, whose wheels bundle FFmpeg: ``pip install 'coursework[video]'`` is
then the whole install, with no system libraries and no root (torchvision's
own reader needs torchcodec, which loads FFmpeg's shared libraries from the
system).

Nothing here downloads: UCF-101 is a 6.5 GB rar archive that must be fetched
and unpacked by hand, so notebooks use generated videos unless the files are
there (see :func:`coursework.data.video.choose_video_dataset`).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from coursework.data.real import DatasetUnavailable

DOWNLOAD_HINT = (
    "Download UCF101.rar and UCF101TrainTestSplits-RecognitionTask.zip from "
    "https://www.crcv.ucf.edu/data/UCF101.php and unpack them into "
    "<COURSEWORK_DATA>/ucf101/ (giving UCF-101/ and ucfTrainTestlist/), or use the "
    "generated actions: coursework.data.video.make_actions(...)."
)


def decoding_problem() -> str | None:
    """Why videos cannot be decoded here, or ``None`` when they can.

    Probes by doing the real thing, not by importing: it encodes a tiny clip in
    memory and decodes it back, so a decoder whose libraries fail to load is
    caught here rather than half-way through a dataset.
    """
    try:
        frames = np.full((4, 16, 16, 3), 128, dtype=np.uint8)
        data = encode_avi(frames, frame_rate=5)
        decoded = _decode(io.BytesIO(data))
    except Exception as exc:  # ImportError, OSError, av.error.* ...
        return (
            f"cannot decode video ({type(exc).__name__}: {exc}); install PyAV, whose "
            "wheels bundle FFmpeg: pip install 'coursework[video]'"
        )
    if len(decoded) != len(frames):
        return f"decoded {len(decoded)} of {len(frames)} frames of a test clip"
    return None


def encode_avi(frames: np.ndarray, frame_rate: int = 25) -> bytes:
    """Encode uint8 RGB frames (T, H, W, 3) as an MPEG-4 ``.avi`` (UCF-101's format).

    H and W must be even (the codec stores colour at half resolution).
    """
    import av

    buffer = io.BytesIO()
    with av.open(buffer, "w", format="avi") as container:
        stream = container.add_stream("mpeg4", rate=frame_rate)
        stream.height, stream.width = frames.shape[1], frames.shape[2]
        stream.pix_fmt = "yuv420p"
        for frame in frames:
            image = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), "rgb24")
            container.mux(stream.encode(image))
        container.mux(stream.encode())
    return buffer.getvalue()


def _decode(source: str | Path | io.BytesIO) -> list[np.ndarray]:
    import av

    with av.open(source if isinstance(source, io.BytesIO) else str(source)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def read_video(path: str | Path, frame_rate: int | None = None) -> torch.Tensor:
    """All frames of a video file as uint8 (T, 3, H, W), optionally resampled.

    Args:
        path: the video file.
        frame_rate: keep frames at about this many per second (low fps), by
            taking every ``fps / frame_rate``-th frame; ``None`` keeps all.
    """
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        fps = float(stream.average_rate or 25)
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
    if not frames:
        return torch.zeros(0, 3, 1, 1, dtype=torch.uint8)
    video = torch.from_numpy(np.stack(frames)).permute(0, 3, 1, 2)  # (T, 3, H, W)
    if frame_rate and frame_rate < fps:
        keep = torch.arange(0, len(frames), fps / frame_rate).long()
        video = video[keep]
    return video


def read_split(
    annotation_path: str | Path, split: str = "train", fold: int = 1
) -> tuple[list[str], list[tuple[str, int]]]:
    """Class names and ``(relative path, label)`` pairs of one official split."""
    folder = Path(annotation_path)
    if split not in ("train", "test"):
        raise ValueError(f"Unknown split {split!r}; use 'train' or 'test'.")
    if fold not in (1, 2, 3):
        raise ValueError(f"UCF-101 has folds 1, 2 and 3, not {fold!r}.")
    # classInd.txt: "1 ApplyEyeMakeup"
    lines = (folder / "classInd.txt").read_text().split("\n")
    classes = [line.split()[1] for line in lines if line.strip()]
    listing = folder / f"{split}list0{fold}.txt"
    items = []
    for line in listing.read_text().split("\n"):
        if line.strip():
            rel = line.split()[0]  # the test lists have no label column
            items.append((rel, classes.index(rel.split("/")[0])))
    return classes, items


def load_ucf101(
    root: str | Path,
    annotation_path: str | Path,
    frames: int,
    frame_size: int,
    split: str = "train",
    fold: int = 1,
    frame_rate: int | None = None,
    n: int | None = None,
    device: torch.device | str | None = None,
) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    """UCF-101 clips as tensors: one clip of ``frames`` frames per video.

    With ``n``, ``n`` videos spread evenly over the split (so every class is
    drawn from) are decoded; the clip is taken from the middle of each video.

    Args:
        root: the folder of class folders of ``.avi`` files (``UCF-101/``).
        annotation_path: the folder with the split files (``ucfTrainTestlist/``).
        frames: frames per clip ``T``; shorter videos repeat their last frame.
        frame_size: side ``S`` to resize the frames to.
        split: ``train`` or ``test``.
        fold: which of the three official splits.
        frame_rate: resample videos to about this many frames per second.
        n: how many videos to use (default: all of the split).
        device: where to put the tensors.

    Returns:
        ``(videos, labels, classes)``: uint8 (N, T, 3, S, S), long (N,), names.

    Raises:
        DatasetUnavailable: the files are missing or cannot be decoded; the
            message says where to get them and names the generated alternative.
    """
    root, annotation_path = Path(root), Path(annotation_path)
    if split not in ("train", "test"):
        raise ValueError(f"Unknown split {split!r}; use 'train' or 'test'.")
    if not root.is_dir() or not (annotation_path / "classInd.txt").is_file():
        raise DatasetUnavailable(
            f"UCF-101 not found (videos: {root}, splits: {annotation_path}). "
            + DOWNLOAD_HINT
        )
    problem = decoding_problem()
    if problem:
        raise DatasetUnavailable(f"UCF-101 is there but {problem}.")
    classes, items = read_split(annotation_path, split, fold)
    if not items:
        raise DatasetUnavailable(f"UCF-101 split file for {split} {fold} is empty")
    if n is not None and n < len(items):
        picks = torch.linspace(0, len(items) - 1, n).round().long().tolist()
        items = [items[i] for i in picks]
    videos = []
    for rel, _ in items:
        video = read_video(root / rel, frame_rate)  # (L, 3, H, W)
        if len(video) == 0:
            raise DatasetUnavailable(f"{root / rel} has no frames")
        start = max(0, (len(video) - frames) // 2)
        index = (start + torch.arange(frames)).clamp(max=len(video) - 1)
        clip = F.interpolate(
            video[index].float(), size=(frame_size, frame_size), mode="bilinear"
        )
        videos.append(clip.round().clamp(0, 255).to(torch.uint8))
    labels = torch.tensor([label for _, label in items])
    return torch.stack(videos).to(device), labels.to(device), classes
