"""Agreement with the meters engineers trust: integrated loudness with pyloudnorm (within 0.1 LU)
and true peak with libebur128 through pyebur128 (within 0.2 dB), on the real files of the corpus,
and the audio inside the corpus DAWproject archives (the demo's synthesized music is checked the same
way in tests/daemon/demo/test_synth_measured.py).

pyloudnorm rounds BS.1770's last block index to the nearest, so a file that ends more than half
way into a 100 ms step gets a last, zero-padded block over its end; libebur128 counts complete
blocks only. Our integrated loudness reads as pyloudnorm does (analyzers.loudness), and its
complete-block reading (`integrated_lufs(segments)`) must agree with libebur128 within 0.01 LU.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.analyzers.meters import check

AUDIO = (".wav", ".flac", ".aif", ".aiff", ".ogg")


def corpus_audio(corpus: Path) -> list[tuple[str, np.ndarray, int]]:
    found = []
    for path in sorted((corpus / "audio").rglob("*")):
        if path.suffix.lower() in AUDIO:
            data, rate = sf.read(path, dtype="float32", always_2d=True)
            found.append((str(path.relative_to(corpus)), data, rate))
    for archive in sorted(corpus.rglob("*.dawproject")):
        try:
            members = zipfile.ZipFile(archive)
        except zipfile.BadZipFile:
            continue
        for name in members.namelist():
            if name.lower().endswith(AUDIO):
                data, rate = sf.read(io.BytesIO(members.read(name)), dtype="float32", always_2d=True)
                found.append((f"{archive.relative_to(corpus)}:{name}", data, rate))
    return found


@pytest.mark.corpus
def test_corpus_audio_agrees_with_pyloudnorm_and_libebur128(corpus: Path) -> None:
    files = corpus_audio(corpus)
    assert len(files) >= 10
    for name, data, rate in files:
        check(name, data, rate)
