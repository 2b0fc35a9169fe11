"""Sound page through AppTest: players for clean, noisy, both baselines and the denoising AE,
SNRs that follow the slider, hostile WAV uploads and a broken model file answered with a
message."""
from __future__ import annotations

from conftest import open_page

from aecore import sound as sd


def _snrs(at) -> dict[str, float]:
    return {i: float(m.value.split()[0]) for i, m in enumerate(at.metric)}


def test_the_sound_page_plays_five_tracks_and_measures_them(app):
    at = open_page(app, "sound")
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.get("audio")) == 5  # clean, noisy, Wiener, spectral subtraction, the AE
    assert any("denoising AE" in m.value for m in at.markdown)
    snrs = _snrs(at)
    assert abs(snrs[0] - 5.0) < 0.05  # the noisy track is at the slider's SNR
    assert snrs[3] > snrs[0] + 3  # the AE's SNR: it cleans number 7 beyond the noisy input
    assert not at.warning
    at.slider(key="snd_snr").set_value(15).run()
    assert abs(_snrs(at)[0] - 15.0) < 0.05
    at.radio(key="snd_noise").set_value("hum").run()
    assert not at.exception and _snrs(at)[2] > _snrs(at)[0] + 3  # subtraction removes a steady hum


def test_an_uploaded_wav_is_denoised_and_a_bad_one_gets_a_message(app):
    at = open_page(app, "sound")
    at.radio(key="snd_src").set_value("upload").run()
    at.file_uploader(key="snd_wav").upload("not.wav", b"ID3\x03" + b"\x00" * 300, "audio/wav").run()
    assert not at.exception and any("not a WAV" in e.value for e in at.error)
    at.file_uploader(key="snd_wav").upload("seven.wav", sd.to_wav(sd.load_word("7")),
                                           "audio/wav").run()
    assert not at.exception and len(at.get("audio")) == 5


def test_a_missing_or_hostile_model_file_gets_a_message_and_the_baselines_stay(app, tmp_path,
                                                                               monkeypatch):
    import aecore.zoo
    from ui import loaders
    monkeypatch.setattr(aecore.zoo, "PRETRAINED_DIR", tmp_path)  # no sound_dae here
    loaders.zoo_model.clear()
    try:
        at = open_page(app, "sound")
        assert not at.exception, [e.value for e in at.exception]
        assert any("cannot be loaded" in w.value for w in at.warning)
        assert len(at.get("audio")) == 4  # clean, noisy and both baselines still play
        # a pickle posing as the weights: refused with a message, never unpickled
        (tmp_path / "sound_dae.safetensors").write_bytes(b"\x80\x04\x95" + b"\x00" * 64)
        loaders.zoo_model.clear()
        at.run()
        assert not at.exception and any("cannot be loaded" in w.value for w in at.warning)
        assert len(at.get("audio")) == 4
    finally:
        loaders.zoo_model.clear()  # later tests load the real file again
