import pytest

from mostaframe.config import SETTINGS, resolve
from mostaframe.errors import MostaframeError


def test_explicit_then_environment_then_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MOSTAFRAME_BATCH_SIZE", raising=False)
    assert resolve("batch_size") == 20_000
    monkeypatch.setenv("MOSTAFRAME_BATCH_SIZE", "1000")
    assert resolve("batch_size") == 1000
    assert resolve("batch_size", 7) == 7
    monkeypatch.setenv("MOSTAFRAME_BATCH_SIZE", "lots")
    with pytest.raises(
        MostaframeError, match="MOSTAFRAME_BATCH_SIZE='lots' is not valid: expected int"
    ):
        resolve("batch_size")


def test_every_setting_is_documented() -> None:
    from pathlib import Path

    doc = (Path(__file__).parent.parent / "docs" / "configuration.md").read_text()
    for setting in SETTINGS.values():
        assert setting.env in doc
