import pytest

from codesift.backends import BackendError
from codesift.backends.models import MODELS, EmbeddedModel, _file_sha256, assemble, resolve_model


def test_unknown_model_and_missing_file_are_clear_errors(tmp_path):
    with pytest.raises(BackendError, match="unknown model 'gpt-9'"):
        resolve_model("gpt-9")
    with pytest.raises(BackendError, match="does not exist"):
        resolve_model(str(tmp_path / "none.gguf"))


def test_hash_mismatch_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("CODESIFT_CACHE", str(tmp_path))
    real = MODELS["qwen2.5-coder-0.5b"]
    wrong = EmbeddedModel("tampered", real.module_prefix, 2, "0" * 64, real.extra)  # first two parts only
    with pytest.raises(BackendError, match="expected 0000"):
        assemble(wrong)
    assert not list(tmp_path.iterdir())  # nothing half-written is left behind


def test_missing_part_names_the_install_command():
    with pytest.raises(BackendError, match=r"part 1 of 3 is not installed.*pip install"):
        assemble(EmbeddedModel("absent", "codesift_no_such_part", 3, "0" * 64, "fast-model"))


def test_fast_model_assembles_to_the_pinned_hash():
    path = resolve_model("qwen2.5-coder-0.5b")
    assert path.name.endswith(".gguf")
    # the maker's official Q4_K_M file, written out here so a changed constant cannot pass unnoticed
    pinned = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
    assert MODELS["qwen2.5-coder-0.5b"].sha256 == pinned
    assert _file_sha256(path) == pinned


def test_a_corrupted_cache_file_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("CODESIFT_CACHE", str(tmp_path))
    real = MODELS["qwen2.5-coder-0.5b"]
    target = tmp_path / real.filename
    target.write_bytes(b"not a model")
    path = assemble.__wrapped__(real)
    assert path == target and path.stat().st_size > 300_000_000
    assert (tmp_path / (real.filename + ".verified")).read_text().endswith(real.sha256)
