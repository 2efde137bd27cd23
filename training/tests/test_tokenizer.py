import json

from tokenizers import Tokenizer

from conftest import SHIPPED
from hamburger.tokenizer import PARITY_STRINGS, SPECIAL_TOKENS, ByteLevelBPE, train_bpe

TOK = ByteLevelBPE.load(SHIPPED / "tokenizer.json")


def test_python_encoding_matches_the_shipped_parity_fixture():
    fixture = json.loads((SHIPPED / "tokenizer_fixture.json").read_text())
    assert {f["text"] for f in fixture} >= set(PARITY_STRINGS)
    for item in fixture:
        assert TOK.encode(item["text"]) == item["ids"], item["text"]


def test_the_tokenizers_library_reads_the_shipped_file_and_encodes_the_heldout_split_alike():
    hf = Tokenizer.from_file(str(SHIPPED / "tokenizer.json"))
    assert hf.get_vocab_size(with_added_tokens=True) == TOK.vocab_size
    heldout = [json.loads(line) for line in (SHIPPED / "eval" / "heldout.jsonl").read_text().splitlines()]
    for text in PARITY_STRINGS + [e[k] for e in heldout for k in ("prompt", "response")]:
        assert hf.encode(text, add_special_tokens=False).ids == TOK.encode(text), text


def test_every_string_round_trips_without_unknown_tokens():
    for s in PARITY_STRINGS + ["\x00\x01 control", "\udcff".encode("utf-8", "surrogatepass").decode("utf-8", "replace")]:
        assert TOK.decode(TOK.encode(s)) == s


def test_special_tokens_and_layout():
    assert [TOK.special_id(s) for s in SPECIAL_TOKENS] == [0, 1, 2, 3, 4]
    assert TOK.encode("<|user|>hi<|eos|>")[0] == 3 and TOK.encode("<|user|>hi<|eos|>")[-1] == 2
    assert TOK.vocab_size == 2048


def test_digits_are_single_tokens():
    ids = TOK.encode("12345")
    assert len(ids) == 5 and TOK.decode(ids[:1]) == "1"


def test_training_is_deterministic_and_merges_frequent_pairs_first():
    texts = ["the cat the hat the bat", "then there they"] * 3
    merges = train_bpe(texts, 5 + 256 + 4)
    assert merges == train_bpe(texts, 5 + 256 + 4)
    assert merges[0] == ("t", "h")
    assert len(ByteLevelBPE(merges).encode(" the")) < 4
