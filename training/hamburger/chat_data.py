"""A user's chat examples (`--data FILE`): one JSON object a line,

    {"messages": [{"role": "user", "content": "..."}, {"role": "assistant", "content": "..."}]}

rendered with a chat template and tokenized. The last message is the assistant's answer,
the response the stages train on; every message before it (a system message and earlier
turns, where the template allows them) is the prompt. The prompt is the template's rendering
of those messages with the generation prompt; the response is what the whole conversation
renders to after it, up to and including the template's end-of-turn token. Every bad line is
named with its number and what is wrong, all of them in one error.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Protocol

import torch

from .chat import CHAT_TEMPLATE, render_messages
from .data import SftExample
from .tokenizer import ByteLevelBPE

FAMILY = "chat"
MESSAGE_KEYS = {"role", "content"}
ROLES = ("system", "user", "assistant")
SHOWN_ERRORS = 20


class ChatFormat(Protocol):
    """A chat template and the tokenizer its text is encoded with."""
    eos_id: int                      # the id that ends an assistant turn
    identity: str                    # a digest of what decides the tokens: tokenizer file and template

    def render(self, messages: list[dict], add_generation_prompt: bool) -> str: ...

    def encode(self, text: str) -> list[int]: ...


class ProjectChat:
    """The project's template (chat.py) and a work folder's tokenizer (`prepare`)."""

    def __init__(self, tokenizer_file: Path):
        self.tokenizer = ByteLevelBPE.load(tokenizer_file)
        self.eos_id = self.tokenizer.special_id("<|eos|>")
        self.identity = hashlib.sha256(Path(tokenizer_file).read_bytes() + CHAT_TEMPLATE.encode()).hexdigest()

    def render(self, messages: list[dict], add_generation_prompt: bool) -> str:
        return render_messages(messages, add_generation_prompt)

    def encode(self, text: str) -> list[int]:
        return self.tokenizer.encode(text)


class BadLine(ValueError):
    pass


def _messages(record) -> list[dict]:
    if not isinstance(record, dict):
        raise BadLine(f"a line must hold a JSON object, got {type(record).__name__}")
    if set(record) != {"messages"}:
        extra = sorted(set(record) - {"messages"})
        raise BadLine(f"unknown keys {extra}; allowed: messages" if extra else "no \"messages\"")
    messages = record["messages"]
    if not isinstance(messages, list) or not messages:
        raise BadLine("\"messages\" must be a non-empty list of {\"role\", \"content\"} objects")
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or set(m) != MESSAGE_KEYS:
            raise BadLine(f"message {i} must be an object with exactly the keys role and content")
        if m["role"] not in ROLES:
            raise BadLine(f"message {i} has role {m['role']!r}; allowed: {', '.join(ROLES)}")
        if not isinstance(m["content"], str):
            raise BadLine(f"message {i}'s content must be a string, got {type(m['content']).__name__}")
    if messages[-1]["role"] != "assistant":
        raise BadLine(f"the last message is the response trained on and must be the assistant's, got "
                      f"{messages[-1]['role']!r}")
    if not messages[-1]["content"].strip():
        raise BadLine("the assistant's answer (the last message) is empty")
    if len(messages) < 2:
        raise BadLine("an assistant answer needs a message before it to answer")
    return messages


def _render(fmt: ChatFormat, messages: list[dict], add_generation_prompt: bool) -> str:
    try:
        return fmt.render(messages, add_generation_prompt)
    except Exception as e:  # the template's raise_exception, or Jinja's own errors
        raise BadLine(f"the chat template refuses it: {e}")


def encode_conversation(fmt: ChatFormat, messages: list[dict], example_id: str) -> SftExample:
    prompt = _render(fmt, messages[:-1], True)
    whole = _render(fmt, messages, False)
    if not whole.startswith(prompt):
        raise BadLine("the chat template does not render the conversation as its prompt followed by the answer")
    response = fmt.encode(whole[len(prompt):])
    if fmt.eos_id not in response:
        raise BadLine(f"the chat template does not end the answer with the end-of-turn token (id {fmt.eos_id})")
    return SftExample(example_id, FAMILY, fmt.encode(prompt), response[:response.index(fmt.eos_id) + 1])


def read_chat_jsonl(path: Path, fmt: ChatFormat, max_len: int) -> list[SftExample]:
    """The examples of `path` (ids line-N), those longer than `max_len` tokens left out and
    counted on stdout."""
    path = Path(path)
    if not path.is_file():
        raise SystemExit(f"error: --data {path} is not a file")
    examples, errors, too_long = [], [], []
    for n, raw in enumerate(path.read_bytes().split(b"\n"), 1):
        try:
            line = raw.decode("utf-8")
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as e:
                raise BadLine(f"not JSON ({e})")
            example = encode_conversation(fmt, _messages(record), f"line-{n}")
        except UnicodeDecodeError as e:
            errors.append(f"line {n}: not UTF-8 text ({e.reason} at byte {e.start})")
            continue
        except BadLine as e:
            errors.append(f"line {n}: {e}")
            continue
        if len(example.prompt_ids) + len(example.response_ids) > max_len:
            too_long.append(n)
        else:
            examples.append(example)
    if errors:
        more = f"\n  ... and {len(errors) - SHOWN_ERRORS} more" if len(errors) > SHOWN_ERRORS else ""
        raise SystemExit(f"error: --data {path} has {len(errors)} bad line(s) (each line: "
                         '{"messages": [{"role": "user", "content": "..."}, {"role": "assistant", "content": "..."}]}):\n  '
                         + "\n  ".join(errors[:SHOWN_ERRORS]) + more)
    if too_long:
        print(f"--data {path}: left out {len(too_long)} example(s) longer than the model's {max_len} positions "
              f"(lines {', '.join(map(str, too_long[:10]))}{' ...' if len(too_long) > 10 else ''})")
    if not examples:
        raise SystemExit(f"error: --data {path} holds no example to train on")
    return examples


def cached_chat_jsonl(path: Path, fmt: ChatFormat, max_len: int, cache: Path) -> list[SftExample]:
    """`read_chat_jsonl`, its examples kept in `cache` under a digest of the file, the format
    and `max_len`, so that the later commands of a run (and every process of a launch) read
    the tokens instead of rendering and encoding each line again (about 0.5 ms a line)."""
    key = hashlib.sha256(f"{data_digest(path)}/{fmt.identity}/{max_len}".encode()).hexdigest()[:32]
    stored = Path(cache) / f"{key}.pt"
    if stored.is_file():
        return [SftExample(**d) for d in torch.load(stored)]
    examples = read_chat_jsonl(path, fmt, max_len)
    stored.parent.mkdir(parents=True, exist_ok=True)
    part = stored.with_name(f"{stored.name}.{os.getpid()}")      # processes of one launch write at once
    torch.save([e.__dict__ for e in examples], part)
    part.replace(stored)
    return examples


def data_digest(path: Path) -> str:
    """What a segmentation of `path` was cut from, so that a stage given other data refuses it."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
