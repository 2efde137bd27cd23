import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChatTemplate } from '../../engine/chatTemplate.js';
import { EngineError } from '../../engine/errors.js';
import { parseManifest } from '../../engine/manifest.js';
import { MODEL_DIR } from '../support/shippedModel.js';

const manifest = parseManifest(JSON.parse(readFileSync(path.join(MODEL_DIR, 'hamburger.json'), 'utf8')), 'hamburger.json');

describe('ChatTemplate', () => {
  it('renders one user message with the generation prompt, as training/hamburger/chat.py', () => {
    const chat = ChatTemplate.create(manifest.tokens.chat_template, '<|bos|>', '<|eos|>');
    expect(chat.renderUserPrompt('Count from 1 to 3.')).toBe('<|bos|><|user|>\nCount from 1 to 3.\n<|assistant|>\n');
  });

  it('renders contents verbatim (no escaping, newlines kept)', () => {
    const chat = ChatTemplate.create(manifest.tokens.chat_template, '<|bos|>', '<|eos|>');
    expect(chat.renderUserPrompt('a < b & "c"\n\nd')).toBe('<|bos|><|user|>\na < b & "c"\n\nd\n<|assistant|>\n');
  });

  it('refuses a template that does not parse or does not render', () => {
    expect(() => ChatTemplate.create('{% if %}', 'b', 'e')).toThrow(EngineError);
    expect(() => ChatTemplate.create("{{ raise_exception('no') }}", 'b', 'e')).toThrow(/does not render/);
  });
});
