"""Vocabulary and text encoder: ids, padding masks, shapes and word order."""

from __future__ import annotations

import pytest
import torch

from coursework.data.audiovisual import make_clips
from coursework.multimodal.models import AudioVisualText
from coursework.multimodal.text import TextEncoder, Vocabulary, split_words

CAPTIONS = [
    "a red circle bounces indoors with a low sound",
    "a blue square bounces outdoors with a high sound, next to a silent circle",
]


def test_vocabulary_ids_and_mask() -> None:
    vocab = Vocabulary.build(CAPTIONS)
    assert vocab.words[:2] == ("<pad>", "<unk>")
    assert len(vocab) == 2 + len({w for c in CAPTIONS for w in split_words(c)})
    ids, mask = vocab.encode(["A red circle!", "a purple square bounces"])
    assert ids.shape == mask.shape == (2, 4) and ids.dtype == torch.long
    assert mask.tolist() == [[True, True, True, False], [True, True, True, True]]
    assert [vocab.words[i] for i in ids[0, :3]] == ["a", "red", "circle"]
    assert ids[0, 3] == 0  # padding
    assert ids[1, 1] == 1  # "purple" is not in the captions: unknown
    ids, mask = vocab.encode(CAPTIONS, max_len=5)
    assert ids.shape == (2, 5) and bool(mask.all())  # cut to 5 words


def test_vocabulary_refuses_an_empty_text() -> None:
    vocab = Vocabulary.build(CAPTIONS)
    with pytest.raises(ValueError, match="at least one word"):
        vocab.encode(["a circle", " , "])


def test_vocabulary_covers_the_generated_captions() -> None:
    clips = make_clips(16, 4, 16, seed=0)
    vocab = Vocabulary.build(clips.captions)
    ids, mask = vocab.encode(clips.captions)
    assert not bool((ids == 1).any())  # no unknown word
    assert mask.sum(1).tolist() == [len(split_words(c)) for c in clips.captions]


@pytest.mark.parametrize("layers", [0, 1, 2])
def test_text_encoder_shapes(layers: int) -> None:
    vocab = Vocabulary.build(CAPTIONS)
    ids, mask = vocab.encode(CAPTIONS)
    enc = TextEncoder(len(vocab), width=8, dim=6, max_len=20, layers=layers).eval()
    assert enc.features(ids, mask).shape == (2, 8)
    out = enc(ids, mask)
    assert out.shape == (2, 6) and bool(out.isfinite().all())


@pytest.mark.parametrize("layers", [0, 1])
def test_padding_changes_nothing(layers: int) -> None:
    """More padding, or other ids at padded places, give the same embedding."""
    torch.manual_seed(0)
    vocab = Vocabulary.build(CAPTIONS)
    enc = TextEncoder(len(vocab), width=8, dim=6, max_len=24, layers=layers).eval()
    enc = enc.double()
    ids, mask = vocab.encode(CAPTIONS)
    longer, longer_mask = vocab.encode(CAPTIONS, max_len=24)
    torch.testing.assert_close(enc(longer, longer_mask), enc(ids, mask))
    # row 0 is shorter than row 1: write real word ids into its padding
    junk = ids.clone()
    junk[~mask] = 3
    torch.testing.assert_close(enc(junk, mask), enc(ids, mask))
    # ... and the padded positions get no gradient through the embedding
    enc.zero_grad()
    enc(junk, mask)[0].sum().backward()
    assert 3 not in ids[0][mask[0]].tolist()  # id 3 ("blue") is only in row 1
    assert float(enc.embed.weight.grad[3].abs().sum()) == 0.0


def test_single_sentence_matches_the_batch() -> None:
    """Each row is encoded on its own: a batch equals its rows one at a time."""
    torch.manual_seed(0)
    vocab = Vocabulary.build(CAPTIONS)
    enc = TextEncoder(len(vocab), width=8, dim=6, max_len=24, layers=1).double().eval()
    ids, mask = vocab.encode(CAPTIONS)
    batch = enc(ids, mask)
    for i, caption in enumerate(CAPTIONS):
        row = enc(*vocab.encode([caption]))
        torch.testing.assert_close(row[0], batch[i])


def test_bag_of_words_ignores_order_and_the_transformer_does_not() -> None:
    torch.manual_seed(0)
    vocab = Vocabulary.build(CAPTIONS)
    texts = [
        "a red circle next to a silent square",
        "a red square next to a silent circle",
    ]
    ids, mask = vocab.encode(texts)
    bow = TextEncoder(len(vocab), 8, 6, max_len=16, layers=0).double().eval()
    out = bow(ids, mask)
    torch.testing.assert_close(out[0], out[1])
    # the bag of words is the mean of the word embeddings, then the projection
    mean = bow.embed.weight[ids[0]].mean(0)
    torch.testing.assert_close(out[0], bow.head(mean))
    transformer = TextEncoder(len(vocab), 8, 6, max_len=16, layers=1).double().eval()
    with torch.no_grad():
        out = transformer(ids, mask)
    assert float((out[0] - out[1]).abs().max()) > 1e-4


def test_text_encoder_errors_name_the_problem() -> None:
    enc = TextEncoder(10, 8, 6, max_len=4)
    ids = torch.ones(2, 6, dtype=torch.long)
    with pytest.raises(ValueError, match="max_len"):
        enc(ids, ids != 0)
    with pytest.raises(ValueError, match=r"\(B, L\)"):
        enc(ids[:, :3], (ids != 0)[:, :2])
    with pytest.raises(ValueError, match="multiple of heads"):
        TextEncoder(10, 7, 6, heads=2)


def test_three_towers_share_one_space() -> None:
    g = torch.Generator().manual_seed(0)
    frames = torch.randint(0, 256, (3, 4, 3, 16, 16), generator=g, dtype=torch.uint8)
    spec = torch.randn(3, 8, 16, generator=g)
    vocab = Vocabulary.build(CAPTIONS)
    ids, mask = vocab.encode(CAPTIONS + CAPTIONS[:1])
    model = AudioVisualText(8, width=4, dim=6, vocab_size=len(vocab), steps=2)
    v, a, t = model.eval()(frames, spec, ids, mask)
    assert v.shape == a.shape == t.shape == (3, 6)
    assert model.text.features(ids, mask).shape == (3, 8)
    (v.sum() + a.sum() + t.sum()).backward()
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)
