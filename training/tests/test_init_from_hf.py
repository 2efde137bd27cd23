"""Growing a HAMburger from a Hugging Face Llama (`--init-from-hf`) and training on a user's
chat JSONL (`--data`), on a Llama folder that transformers itself writes (random weights,
hidden 64) with a small BPE tokenizer and a Llama 3.2-shaped chat template."""
import dataclasses
import json

import pytest
import torch
from safetensors.torch import load_file, save_file
from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, trainers

from conftest import SHIPPED
from hamburger.__main__ import main
from hamburger.chat import render_prompt
from hamburger.chat_data import ProjectChat, read_chat_jsonl
from hamburger.config import REFERENCE_1B
from hamburger.hf_llama import RECORD, HfChat, graft_onto, grown_config, hf_model_config, load_llama
from hamburger.import_reference import HfFolder
from hamburger.model import Hamburger
from hamburger.package import load_models
from hamburger.synthetic_release import SYNTHETIC_CHAT_TEMPLATE, hf_config
from hamburger.tokenizer import ByteLevelBPE

SPECIALS = ["<|begin_of_text|>", "<|eot_id|>", "<|start_header_id|>", "<|end_header_id|>"]
TEXT = ["The cat sat on the mat.", "What is two plus two? Two plus two is four.", "Copy this: red green blue.",
        "Cutting Knowledge Date: December 2023", "Today Date: 26 Jul 2024", "system user assistant"]
VOCAB = 384


def _tokenizer() -> Tokenizer:
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(TEXT * 20, trainers.BpeTrainer(vocab_size=VOCAB - len(SPECIALS), show_progress=False,
                                                           initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in SPECIALS])
    return tok


@pytest.fixture(scope="module")
def hf_dir(tmp_path_factory):
    from transformers import LlamaConfig, LlamaForCausalLM
    folder = tmp_path_factory.mktemp("llama")
    tok = _tokenizer()
    tok.save(str(folder / "tokenizer.json"))
    bos, eos = tok.token_to_id(SPECIALS[0]), tok.token_to_id(SPECIALS[1])
    config = LlamaConfig(vocab_size=VOCAB, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, head_dim=16, max_position_embeddings=512,
                         rope_theta=500000.0, rms_norm_eps=1e-5, tie_word_embeddings=True, initializer_range=0.2,
                         bos_token_id=bos, eos_token_id=eos,
                         rope_scaling={"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0,
                                       "high_freq_factor": 4.0, "original_max_position_embeddings": 64})
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(folder, safe_serialization=True)
    (folder / "tokenizer_config.json").write_text(json.dumps({
        "bos_token": SPECIALS[0], "eos_token": SPECIALS[1], "chat_template": SYNTHETIC_CHAT_TEMPLATE,
        "tokenizer_class": "PreTrainedTokenizerFast"}))
    return folder


def _conversations() -> list[dict]:
    return [{"messages": [{"role": "user", "content": f"What is {a} plus {b}?"},
                          {"role": "assistant", "content": f"{a} plus {b} is {a + b}. The cat sat on the mat."}]}
            for a in range(6) for b in range(4)]


def _write_jsonl(path, records) -> None:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records))


def test_the_base_computes_the_logits_transformers_computes(hf_dir):
    from transformers import LlamaForCausalLM
    cfg = hf_model_config(hf_dir)
    assert (cfg.vocab_size, cfg.hidden_size, cfg.num_layers, cfg.num_heads, cfg.num_kv_heads, cfg.head_dim,
            cfg.intermediate_size, cfg.rope_theta, cfg.rope_scaling_factor, cfg.rope_original_max_position) == \
        (VOCAB, 64, 2, 4, 2, 16, 128, 500000.0, 32.0, 64)
    assert (cfg.micro_layers, cfg.max_steps, cfg.feature_layers, cfg.compose_heads) == (4, 4, (1, 2), 2)
    ids = torch.randint(0, VOCAB, (2, 300), generator=torch.Generator().manual_seed(1))
    reference = LlamaForCausalLM.from_pretrained(hf_dir, dtype=torch.float32, attn_implementation="eager").eval()
    with torch.no_grad():
        want = reference(ids).logits
        ours = load_llama(hf_dir, cfg).eval()(ids)
        h = Hamburger(cfg)
        graft_onto(h, hf_dir)
        grafted = h.model.eval()(ids)
    assert want.std() > 0.5                     # logits that tell tokens apart
    assert (ours - want).abs().max() < 2e-5
    assert torch.equal(grafted, ours)


def test_llama_3_2_1b_instructs_config_grows_the_authors_shape(tmp_path):
    # Its config.json as the synthetic release writes it (the real file's keys and values).
    cfg = grown_config(HfFolder(tmp_path, hf_config(REFERENCE_1B), {}, {}, None))
    assert cfg == dataclasses.replace(REFERENCE_1B, max_position=8192)


def test_a_folder_that_does_not_fit_is_named(hf_dir, tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    for f in hf_dir.iterdir():
        (bad / f.name).write_bytes(f.read_bytes())
    config = json.loads((hf_dir / "config.json").read_text())
    (bad / "config.json").write_text(json.dumps({**config, "intermediate_size": 96}))
    with pytest.raises(SystemExit, match=r"model.layers.0.mlp.gate_proj.weight is \(128, 64\), config.json says \(96, 64\)"):
        load_llama(bad, hf_model_config(bad))
    (bad / "config.json").write_text(json.dumps(config))
    weights = load_file(str(hf_dir / "model.safetensors"))
    save_file({k: v for k, v in weights.items() if k != "model.norm.weight"}, str(bad / "model.safetensors"))
    with pytest.raises(SystemExit, match=r"missing \['model.norm.weight'\]"):
        load_llama(bad, hf_model_config(bad))
    save_file({**weights, "lm_head.weight": weights["model.embed_tokens.weight"].clone()}, str(bad / "model.safetensors"))
    with pytest.raises(SystemExit, match="holds an lm_head.weight of its own"):
        load_llama(bad, hf_model_config(bad))
    (bad / "config.json").write_text(json.dumps({**config, "tie_word_embeddings": False}))
    with pytest.raises(SystemExit, match="tie_word_embeddings is not true"):
        hf_model_config(bad)
    rope = {**config["rope_parameters"], "rope_type": "yarn"}    # transformers 5's key; 4.x wrote rope_scaling
    (bad / "config.json").write_text(json.dumps({**config, "rope_parameters": rope}))
    with pytest.raises(SystemExit, match="rope_scaling 'yarn' is not supported"):
        hf_model_config(bad)


def test_sharded_weights_load_as_one_file(hf_dir, tmp_path):
    from transformers import LlamaForCausalLM
    sharded = tmp_path / "sharded"
    LlamaForCausalLM.from_pretrained(hf_dir, dtype=torch.float32).save_pretrained(sharded, max_shard_size="100KB")
    for name in ("tokenizer.json", "tokenizer_config.json"):
        (sharded / name).write_bytes((hf_dir / name).read_bytes())
    assert (sharded / "model.safetensors.index.json").is_file() and not (sharded / "model.safetensors").exists()
    cfg = hf_model_config(hf_dir)
    one, two = load_llama(hf_dir, cfg).state_dict(), load_llama(sharded, cfg).state_dict()
    assert all(torch.equal(one[k], two[k]) for k in one)


def test_chat_examples_render_as_the_templates_do(hf_dir, tmp_path):
    from transformers import AutoTokenizer
    data = tmp_path / "chat.jsonl"
    conversation = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is two plus two?"},
                    {"role": "assistant", "content": "Four."}, {"role": "user", "content": "And three?"},
                    {"role": "assistant", "content": "Two plus three is five."}]
    _write_jsonl(data, [{"messages": conversation}])
    [example] = read_chat_jsonl(data, HfChat(hf_dir, VOCAB), 512)
    hf = AutoTokenizer.from_pretrained(hf_dir)
    whole = hf.apply_chat_template(conversation, date_string="26 Jul 2024", tokenize=True, return_dict=True)["input_ids"]
    prompt = hf.apply_chat_template(conversation[:-1], add_generation_prompt=True, date_string="26 Jul 2024",
                                    tokenize=True, return_dict=True)["input_ids"]
    assert example.prompt_ids == prompt
    assert example.prompt_ids + example.response_ids == whole
    assert example.response_ids[-1] == hf.convert_tokens_to_ids("<|eot_id|>")
    # The project's template and tokenizer: what `prepare` makes of a task example.
    tok = ByteLevelBPE.load(SHIPPED / "tokenizer.json")
    _write_jsonl(data, [{"messages": [{"role": "user", "content": "Copy: red green"},
                                      {"role": "assistant", "content": "red green"}]}])
    [example] = read_chat_jsonl(data, ProjectChat(SHIPPED / "tokenizer.json"), 256)
    assert example.prompt_ids == tok.encode(render_prompt("Copy: red green"))
    assert example.response_ids == tok.encode("red green") + [tok.special_id("<|eos|>")]


def test_bad_lines_are_named_with_their_numbers(tmp_path):
    data = tmp_path / "chat.jsonl"
    good = _conversations()[0]
    _write_jsonl(data, [good, '{"messages": [', {"messages": [{"role": "user", "content": "hi"}]},
                        {"messages": [{"role": "tool", "content": "x"}, {"role": "assistant", "content": "y"}]},
                        {"messages": [{"role": "user", "content": 3}, {"role": "assistant", "content": "y"}]},
                        "", {"messages": good["messages"], "id": 7}, "[1, 2]",
                        {"messages": [{"role": "system", "content": "s"}, *good["messages"]]},
                        {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": " "}]}])
    with data.open("ab") as f:
        f.write(b"\xff\xfe\n")
    with pytest.raises(SystemExit) as failure:
        read_chat_jsonl(data, ProjectChat(SHIPPED / "tokenizer.json"), 256)
    message = str(failure.value)
    assert "has 9 bad line(s)" in message
    for expected in ["line 2: not JSON", "line 3: the last message is the response trained on and must be the "
                     "assistant's, got 'user'", "line 4: message 0 has role 'tool'; allowed: system, user, assistant",
                     "line 5: message 0's content must be a string, got int", "line 7: unknown keys ['id']; allowed: messages",
                     "line 8: a line must hold a JSON object, got list",
                     "line 9: the chat template refuses it: roles must be user or assistant, got system",
                     "line 10: the assistant's answer (the last message) is empty", "line 11: not UTF-8 text"]:
        assert expected in message
    assert "line 1:" not in message and "line 6:" not in message


def test_a_short_run_grows_and_trains_from_the_folder(hf_dir, tmp_path):
    data, other, work = tmp_path / "chat.jsonl", tmp_path / "other.jsonl", tmp_path / "work"
    _write_jsonl(data, _conversations())
    _write_jsonl(other, _conversations()[:5])
    common = ["--work", str(work), "--device", "cpu", "--threads", "1"]
    grow = ["--init-from-hf", str(hf_dir), "--data", str(data)]
    assert main([*common, "segment", "--strategy", "decreasing_v2", "--batch-size", "8", *grow]) == 0
    record = json.loads((work / RECORD).read_text())
    assert record["folder"] == str(hf_dir.resolve()) and record["model_config"]["hidden_size"] == 64
    segments = torch.load(work / "segments.pt")
    assert len(segments["groups"]) == 24 and segments["entropy_from"] == "hf"
    assert main([*common, "hamburger", "--steps", "3", "--lr", "1e-9", "--grafted-lr", "1e-3", *grow]) == 0
    ck = torch.load(work / "hamburger" / "checkpoint.pt")
    assert ck["step"] == 3 and ck["stage_config"]["init_from_hf"] == str(hf_dir)
    start = load_llama(hf_dir, hf_model_config(hf_dir)).state_dict()
    assert max((ck["model"][f"model.{k}"] - v).abs().max().item() for k, v in start.items()) < 1e-5
    losses = [json.loads(line)["loss"] for line in (work / "hamburger" / "log.jsonl").read_text().splitlines()]
    assert losses and all(0 < x < 20 for x in losses)
    assert main([*common, "stop", "--steps", "2", "--data", str(data)]) == 0       # the record builds its model
    assert torch.load(work / "stop" / "checkpoint.pt")["step"] == 2
    assert main([*common, "baseline", "--steps", "2", *grow]) == 0
    assert torch.load(work / "baseline" / "checkpoint.pt")["step"] == 2
    assert len(list((work / "chat-tokens").iterdir())) == 1    # one file of tokens, read by every command
    with pytest.raises(SystemExit, match="name its package with --out"):
        main([*common, "export", "--hamburger-stage", "stop"])
    package = tmp_path / "package"
    assert main([*common, "export", "--hamburger-stage", "stop", "--out", str(package)]) == 0
    h, baseline, manifest = load_models(package)
    stop = torch.load(work / "stop" / "checkpoint.pt")["model"]
    assert all(torch.equal(v, stop[k].half().float()) for k, v in h.state_dict().items())
    trained = torch.load(work / "baseline" / "checkpoint.pt")["model"]
    assert all(torch.equal(v, trained[k].half().float()) for k, v in baseline.state_dict().items())
    assert manifest["tokens"]["chat_template"] == SYNTHETIC_CHAT_TEMPLATE and manifest["tokens"]["eos_id"] == \
        json.loads((hf_dir / "config.json").read_text())["eos_token_id"]
    assert manifest["provenance"]["grown_from"] == str(hf_dir.resolve())
    assert (package / "tokenizer.json").read_bytes() == (hf_dir / "tokenizer.json").read_bytes()
    with pytest.raises(SystemExit, match="was cut from a --data file with sha256 .* but this command trains on --data"):
        main([*common, "stop", "--steps", "4", "--data", str(other)])
    copy = tmp_path / "copy"
    copy.mkdir()
    for f in hf_dir.iterdir():
        (copy / f.name).write_bytes(f.read_bytes())
    with pytest.raises(SystemExit, match=f"grows from {hf_dir.resolve()}; --init-from-hf {copy} is another folder"):
        main([*common, "hamburger", "--steps", "4", "--init-from-hf", str(copy), "--data", str(data)])
    with pytest.raises(SystemExit, match="--repeat-rows adds the project's synthetic copy requests"):
        main([*common, "hamburger", "--steps", "4", "--repeat-rows", "2", *grow])
