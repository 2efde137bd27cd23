"""The chat format, written once as the Jinja template that the manifest ships to the engine."""
from __future__ import annotations

import jinja2

CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{% if message['role'] == 'user' %}<|user|>\n{{ message['content'] }}\n"
    "{% elif message['role'] == 'assistant' %}<|assistant|>\n{{ message['content'] }}{{ eos_token }}\n"
    "{% else %}{{ raise_exception('roles must be user or assistant, got ' + message['role']) }}"
    "{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)


def _raise(msg: str) -> None:
    raise ValueError(msg)


_env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
_env.globals["raise_exception"] = _raise
_template = _env.from_string(CHAT_TEMPLATE)


def render_messages(messages: list[dict], add_generation_prompt: bool) -> str:
    """A conversation in the chat format; raises ValueError on a role other than user or assistant."""
    return _template.render(messages=messages, add_generation_prompt=add_generation_prompt,
                            bos_token="<|bos|>", eos_token="<|eos|>")


def render_prompt(user: str) -> str:
    """The text the model sees before it answers `user`."""
    return render_messages([{"role": "user", "content": user}], add_generation_prompt=True)
