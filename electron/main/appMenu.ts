// The application menu: every command with its keyboard shortcut, sent to the page as an
// AppCommand (the page does the work, the same as its own buttons).
import { Menu, type MenuItemConstructorOptions } from 'electron';
import type { AppCommand } from '../../host/protocol.js';

export function buildAppMenu(send: (command: AppCommand) => void): Menu {
  const item = (label: string, accelerator: string, command: AppCommand): MenuItemConstructorOptions => ({ label, accelerator, click: () => send(command) });
  const template: MenuItemConstructorOptions[] = [
    {
      label: 'File',
      submenu: [
        item('Open Trace…', 'CmdOrCtrl+O', 'open-trace'),
        item('Save Trace', 'CmdOrCtrl+S', 'save-trace'),
        item('Export HTML…', 'CmdOrCtrl+E', 'export-html'),
        { type: 'separator' },
        { role: 'quit' },
      ],
    },
    {
      label: 'Run',
      submenu: [item('Generate', 'CmdOrCtrl+Enter', 'generate'), item('Stop', 'CmdOrCtrl+.', 'stop')],
    },
    {
      label: 'View',
      submenu: [
        item('Playground', 'CmdOrCtrl+1', 'view-playground'),
        item('Race', 'CmdOrCtrl+2', 'view-race'),
        item('Step-through', 'CmdOrCtrl+3', 'view-debugger'),
        { type: 'separator' },
        item('Presentation Mode', 'F11', 'present'),
        item('Toggle Theme', 'CmdOrCtrl+Shift+T', 'toggle-theme'),
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { role: 'toggleDevTools' },
      ],
    },
  ];
  return Menu.buildFromTemplate(template);
}
