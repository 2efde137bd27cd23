// The package's Jinja chat template, rendered with @huggingface/jinja.
import { Template } from '@huggingface/jinja';
import { EngineError } from './errors.js';

export interface ChatMessage {
  role: 'user' | 'assistant';
  content: string;
}

export class ChatTemplate {
  private constructor(
    private readonly template: Template,
    private readonly bosToken: string,
    private readonly eosToken: string,
  ) {}

  /** Parses the template and renders a probe message once, so a broken template fails at load. */
  static create(source: string, bosToken: string, eosToken: string): ChatTemplate {
    let template: Template;
    try {
      template = new Template(source);
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new EngineError('chat_template_invalid', `tokens.chat_template does not parse: ${reason}`, { field: 'tokens.chat_template', cause });
    }
    const chat = new ChatTemplate(template, bosToken, eosToken);
    try {
      chat.renderUserPrompt('probe');
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new EngineError('chat_template_invalid', `tokens.chat_template does not render a user message: ${reason}`, { field: 'tokens.chat_template', cause });
    }
    return chat;
  }

  /** The text the model sees before it answers `user`. */
  renderUserPrompt(user: string): string {
    return this.renderMessages([{ role: 'user', content: user }]);
  }

  /** A conversation ending with a user message, with the prompt for the assistant's answer after it. */
  renderMessages(messages: readonly ChatMessage[]): string {
    return this.template.render({ messages: [...messages], add_generation_prompt: true, bos_token: this.bosToken, eos_token: this.eosToken });
  }
}
