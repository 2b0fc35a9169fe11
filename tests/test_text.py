"""Text: the bundled word and sentence lists load offline, texts round-trip through ids, typos
are pure and seeded, and every cell (LSTM, GRU, Transformer; the recurrent ones also read both
ways) learns and decodes."""
from __future__ import annotations

import pytest
import torch

from aecore import text as tx
from aecore.config import LETTERS, TextAEConfig, TrainConfig
from aecore.errors import ConfigError
from aecore.models import build_model
from aecore.train import prepare_data, train


def test_bundled_lists_load_offline_with_their_licences():
    words, sentences = tx.load_words(), tx.load_sentences()
    assert len(words) == 24_000 and all(w.isalpha() and w.islower() and 3 <= len(w) <= 10 for w in words)
    assert len(sentences) >= 400 and all(12 <= len(s) <= 48 for s in sentences)
    assert all(set(s) <= set(tx.SENTENCE_ALPHABET) for s in sentences)
    assert (tx.DATA / "words" / "COPYING-SCOWL").read_text().count("Kevin Atkinson")
    assert "BSD" in (tx.DATA / "sentences" / "COPYING-fortunes").read_text()


def test_held_out_words_are_fixed_and_disjoint():
    train_a, held_a = tx.split(tx.load_words())
    train_b, held_b = tx.split(tx.load_words())
    assert held_a == held_b and len(held_a) == 2400 and not set(held_a) & set(train_a)


def test_texts_round_trip_through_ids_and_bad_text_gets_a_message():
    ids = tx.encode_texts(["cat", "Zebra"], LETTERS, 6)
    assert ids.tolist()[0] == [3, 1, 20, 0, 0, 0]
    assert tx.decode_ids(ids, LETTERS) == ["cat", "zebra"]
    with pytest.raises(ConfigError, match="not '23'"):
        tx.encode_texts(["r2d3"], LETTERS, 6)
    with pytest.raises(ConfigError, match="1 to 6"):
        tx.encode_texts(["elephants"], LETTERS, 6)


def test_a_typo_changes_one_edit_and_is_seeded():
    ids = tx.encode_texts(["garden"] * 200, LETTERS, 12)
    a = tx.add_typos(ids, 1.0, 26, torch.Generator().manual_seed(1))
    b = tx.add_typos(ids, 1.0, 26, torch.Generator().manual_seed(1))
    assert torch.equal(a, b)
    words = tx.decode_ids(a, LETTERS)
    assert all(w != "garden" for w in words)  # every one got its typo
    assert all(abs(len(w) - 6) <= 1 for w in words)
    assert {len(w) for w in words} == {5, 6, 7}  # deletions, substitutions/swaps, insertions
    assert torch.equal(tx.add_typos(ids, 0.0, 26, torch.Generator()), ids)


def test_char_marks_flag_wrong_and_missing_letters():
    assert tx.char_marks("cat", "cot") == [("c", True), ("o", False), ("t", True)]
    assert tx.char_marks("cats", "cat") == [("c", True), ("a", True), ("t", True), ("_", False)]


@pytest.mark.parametrize("cell, bidirectional", [("lstm", False), ("gru", False), ("transformer", False),
                                                 ("gru", True), ("lstm", True)])
def test_each_cell_learns_a_few_words_and_spells_them_back(cell, bidirectional):
    words = ["cat", "dog", "bird", "fish", "cow", "hen", "pig", "ant"]
    m = build_model(TextAEConfig(latent_dim=8, hidden=(32,), cell=cell, max_len=6,
                                 bidirectional=bidirectional), seed=0)
    ids = tx.encode_texts(words * 32, LETTERS, 6)
    from aecore.train import TrainData
    data = TrainData(ids, None, ids[:8], None)
    hist = train(m, TrainConfig(epochs=40, batch_size=64, lr=1e-2, loss="mse", dataset="words",
                                schedule="constant"), data=data, device="cpu")
    assert hist.epochs[-1]["train_loss"] < 0.5 * hist.epochs[0]["train_loss"]
    assert tx.accuracy(m, words)["char_acc"] > 0.8
    z = tx.codes(m, words)
    assert z.shape == (8, 8)
    state, code = tx.state_and_code(m, "cat")  # both directions' final states become the code
    assert state.shape == (64 if bidirectional else 32,) and code.shape == (8,)
    path = tx.interpolate(m, "cat", "dog", 5)
    assert [t for t, _ in path] == pytest.approx([0, 0.25, 0.5, 0.75, 1])
    assert all(set(w) <= set(LETTERS) for _, w in path)


def test_a_bidirectional_encoder_reads_both_ends_and_is_only_recurrent():
    """The code is made of both directions' final states: the forward one after the last
    position, the backward one after the first letter; a Transformer has no bidirectional
    option (refused by name)."""
    m = build_model(TextAEConfig(latent_dim=8, hidden=(16,), bidirectional=True), seed=0).eval()
    x = tx.encode_texts(["cat", "elephant"], LETTERS, 12)
    with torch.no_grad():
        out, _ = m.encoder(m.embed(x))  # (2, 12, 2 x 16): forward, then backward outputs
        state = m.final_state(x)
    assert torch.allclose(state, torch.cat([out[:, -1, :16], out[:, 0, 16:]], dim=1), atol=1e-6)
    with pytest.raises(ConfigError, match="bidirectional"):
        TextAEConfig(cell="transformer", hidden=(32,), bidirectional=True)


def test_words_prepare_holds_out_the_test_words():
    m = build_model(TextAEConfig(latent_dim=8, hidden=(16,)))
    data = prepare_data(m, TrainConfig(dataset="words", subset=500))
    seen = set(tx.decode_ids(data.x, LETTERS)) | set(tx.decode_ids(data.val_x, LETTERS))
    assert data.x.shape == (500, 12) and not seen & set(tx.split(tx.load_words())[1])


def test_the_sequences_benchmark_runs_and_prints_its_json_keys(capsys):
    import json

    from benchmarks import sequences
    sequences.main(["--quick"])
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(out["words"]) == {"exact_heldout", "char_acc_heldout", "typo_repair",
                                 "transformer_exact_heldout"}
    assert all(0 <= v <= 1 for v in out["words"].values())
    assert set(out["sound"]["snr_gain_db"]) == {"ae", "wiener", "spectral_subtraction"}
    assert set(out["train_s"]) == {"words_gru", "words_transformer", "words_typo", "sentences_gru"}
