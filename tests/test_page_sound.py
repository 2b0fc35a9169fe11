"""Sound page through AppTest: players for clean, noisy and both baselines, SNRs that follow
the slider, hostile WAV uploads answered with a message."""
from __future__ import annotations

from conftest import open_page

from aecore import sound as sd


def _snrs(at) -> dict[str, float]:
    return {i: float(m.value.split()[0]) for i, m in enumerate(at.metric)}


def test_the_sound_page_plays_four_tracks_and_measures_them(app):
    at = open_page(app, "sound")
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.get("audio")) == 4  # clean, noisy, Wiener, spectral subtraction
    snrs = _snrs(at)
    assert abs(snrs[0] - 5.0) < 0.05  # the noisy track is at the slider's SNR
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
    assert not at.exception and len(at.get("audio")) == 4
