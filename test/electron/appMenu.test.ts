// The application menu with `electron` mocked: every app command is in it once, each with its
// own shortcut, and an item sends its command to the page.
import { describe, expect, it, vi } from 'vitest';
import { APP_COMMANDS, type AppCommand } from '../../host/protocol.js';

vi.mock('electron', () => import('./electronMock.js'));

const { buildAppMenu } = await import('../../electron/main/appMenu.js');

interface Item {
  label?: string;
  accelerator?: string;
  role?: string;
  submenu?: Item[];
  click?: () => void;
}

const sent: AppCommand[] = [];
const { template } = buildAppMenu((command) => sent.push(command)) as unknown as { template: Item[] };
const items = template.flatMap((menu) => menu.submenu ?? []).filter((item) => item.click !== undefined);

/** The command an item sends. */
function commandOf(item: Item): AppCommand {
  sent.length = 0;
  item.click!();
  expect(sent).toHaveLength(1);
  return sent[0]!;
}

describe('buildAppMenu', () => {
  it('has every app command once, each on its own shortcut', () => {
    expect(items.map(commandOf).sort()).toEqual([...APP_COMMANDS].sort());
    const accelerators = items.map((item) => item.accelerator);
    expect(new Set(accelerators).size).toBe(accelerators.length);
  });

  it('exports the run as one HTML file from the File menu', () => {
    const file = template.find((menu) => menu.label === 'File')!.submenu!;
    const item = file.find((entry) => entry.label === 'Export HTML…')!;
    expect(item.accelerator).toBe('CmdOrCtrl+E');
    expect(commandOf(item)).toBe('export-html');
  });
});
