import json

import pytest
import torch

from coursework import runtime
from coursework.runtime import (
    PROFILES,
    ProfileError,
    get_device,
    get_profile,
    record_metrics,
    seed_everything,
    setup,
)


def test_profiles_scale_up_in_order():
    ci, cpu, gpu = PROFILES["ci"], PROFILES["cpu"], PROFILES["gpu"]
    for field in ("n_train", "width", "steps", "n_videos"):
        assert getattr(ci, field) < getattr(cpu, field) <= getattr(gpu, field), field
    # the budget grows too: examples seen in training
    seen = [p.n_train * p.epochs for p in (ci, cpu, gpu)]
    assert seen == sorted(seen) and ci.epochs < cpu.epochs
    assert ci.image_dataset == cpu.image_dataset == "digits"
    assert gpu.image_dataset == "mnist"


def test_profile_from_argument_and_environment(monkeypatch):
    monkeypatch.setenv("COURSEWORK_PROFILE", "cpu")
    assert get_profile().name == "cpu"
    assert get_profile("CI").name == "ci"


def test_profile_default_follows_hardware(monkeypatch):
    monkeypatch.delenv("COURSEWORK_PROFILE", raising=False)
    expected = "gpu" if torch.cuda.is_available() else "cpu"
    assert get_profile().name == expected


@pytest.mark.parametrize("source", ["argument", "env"])
def test_unknown_profile_lists_valid_ones(monkeypatch, source):
    if source == "env":
        monkeypatch.setenv("COURSEWORK_PROFILE", "laptop")
        call = get_profile
    else:

        def call():
            return get_profile("laptop")

    with pytest.raises(ProfileError) as err:
        call()
    msg = str(err.value)
    assert "'laptop'" in msg and "ci, cpu, gpu" in msg


def test_replace_keeps_the_rest():
    p = PROFILES["ci"].replace(epochs=99)
    assert p.epochs == 99 and p.width == PROFILES["ci"].width
    assert PROFILES["ci"].epochs != 99


def test_device_prefers_cuda_then_cpu():
    dev = get_device()
    assert dev.type == ("cuda" if torch.cuda.is_available() else dev.type)
    assert get_device("cpu") == torch.device("cpu")


def test_seed_everything_repeats_draws():
    g = seed_everything(3)
    a = torch.rand(4), torch.rand(2, generator=g)
    g = seed_everything(3)
    b = torch.rand(4), torch.rand(2, generator=g)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


def test_setup_prints_one_line(monkeypatch, capsys):
    monkeypatch.setenv("COURSEWORK_PROFILE", "ci")
    profile, device = setup()
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    assert "profile=ci" in out[0] and f"device={device}" in out[0]
    assert torch.__version__ in out[0]
    assert profile is PROFILES["ci"]


def test_data_dir_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSEWORK_DATA", str(tmp_path / "d"))
    assert runtime.data_dir() == tmp_path / "d"
    assert (tmp_path / "d").is_dir()


def test_record_metrics_merges_into_json(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("COURSEWORK_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("COURSEWORK_METRICS", str(tmp_path))
    record_metrics("03_vae", neg_elbo=torch.tensor(90.5))
    record_metrics("03_vae", iwae50=88)
    data = json.loads((tmp_path / "03_vae.json").read_text())
    assert data == {"neg_elbo": 90.5, "iwae50": 88.0}
    assert "03_vae: iwae50 = 88.0000" in capsys.readouterr().out


def test_record_metrics_without_folder_writes_only_the_data_dir(
    monkeypatch, tmp_path
):
    monkeypatch.delenv("COURSEWORK_METRICS", raising=False)
    monkeypatch.setenv("COURSEWORK_DATA", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    assert record_metrics("x", a=1.0) == {"a": 1.0}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def test_recorded_metrics_are_read_back_per_profile(monkeypatch, tmp_path):
    monkeypatch.delenv("COURSEWORK_METRICS", raising=False)
    monkeypatch.delenv("COURSEWORK_OVERRIDES", raising=False)
    monkeypatch.setenv("COURSEWORK_DATA", str(tmp_path))
    monkeypatch.setattr(runtime, "_RUN", {"profile": ""})
    setup("cpu")
    record_metrics("04_gan", fd_gan=3.5)
    record_metrics("04_gan", fd_wgan_gp=2.0)
    assert runtime.recorded_metrics("04_gan", "cpu") == {
        "fd_gan": 3.5,
        "fd_wgan_gp": 2.0,
    }
    assert runtime.recorded_metrics("04_gan", PROFILES["cpu"])["fd_gan"] == 3.5
    assert (tmp_path / "metrics" / "cpu" / "04_gan.json").is_file()
    # nothing recorded: an empty dict, never an error or a made-up number
    assert runtime.recorded_metrics("04_gan", "gpu") == {}
    assert runtime.recorded_metrics("02_autoregressive", "cpu") == {}
    # a damaged file reads as nothing recorded
    (tmp_path / "metrics" / "cpu" / "03_vae.json").write_text("{not json")
    assert runtime.recorded_metrics("03_vae", "cpu") == {}


def test_changed_sizes_are_recorded_apart(monkeypatch, tmp_path):
    monkeypatch.delenv("COURSEWORK_METRICS", raising=False)
    monkeypatch.setenv("COURSEWORK_DATA", str(tmp_path))
    monkeypatch.setattr(runtime, "_RUN", {"profile": ""})
    setup("ci", epochs=1)
    record_metrics("07_diffusion", fd_ddpm=1.0)
    assert runtime.recorded_metrics("07_diffusion", "ci") == {}
    assert runtime.recorded_metrics("07_diffusion", "ci-custom") == {"fd_ddpm": 1.0}
    assert runtime.metrics_profile(PROFILES["gpu"]) == "gpu"


def test_threads_from_environment(monkeypatch):
    before = torch.get_num_threads()
    try:
        monkeypatch.setenv("COURSEWORK_THREADS", "1")
        assert runtime.set_threads() == 1 == torch.get_num_threads()
        monkeypatch.setenv("COURSEWORK_THREADS", "zero")
        with pytest.raises(ValueError, match="COURSEWORK_THREADS='zero'"):
            runtime.set_threads()
        monkeypatch.delenv("COURSEWORK_THREADS")
        assert runtime.set_threads() == torch.get_num_threads()
    finally:
        torch.set_num_threads(before)


def test_seed_offset_moves_every_seed_everything_call(monkeypatch, capsys):
    """$COURSEWORK_SEED (the benchmark's --seeds) reruns a notebook with other
    seeds; unset, the course's seeds are unchanged."""
    monkeypatch.delenv(runtime.SEED_ENV, raising=False)
    assert runtime.seed_offset() == 0
    seed_everything(3)
    default = torch.rand(3)
    monkeypatch.setenv(runtime.SEED_ENV, "2")
    assert runtime.seed_offset() == 2
    seed_everything(1)  # 1 + 2
    assert torch.equal(torch.rand(3), default)
    seed_everything(3)
    assert not torch.equal(torch.rand(3), default)
    runtime.setup("ci")
    assert "seeds offset by 2 ($COURSEWORK_SEED)" in capsys.readouterr().out
    monkeypatch.setenv(runtime.SEED_ENV, "two")
    with pytest.raises(ValueError, match="not a whole number"):
        seed_everything(0)
