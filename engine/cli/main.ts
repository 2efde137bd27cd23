// `npm run cli -- <command>`: the engine without the app, for scripts and checks.
import { analyseCommand, ANALYSE_USAGE } from './analyseCommand.js';
import { benchCommand, BENCH_USAGE } from './benchCommand.js';
import { evalCommand, EVAL_USAGE } from './evalCommand.js';
import { generateCommand, GENERATE_USAGE } from './generateCommand.js';
import { kvCostCommand, KV_COST_USAGE } from './kvCostCommand.js';
import { EngineError } from '../errors.js';

const COMMANDS: Record<string, (args: string[]) => Promise<number>> = {
  generate: generateCommand,
  bench: benchCommand,
  eval: evalCommand,
  'kv-cost': kvCostCommand,
  analyse: analyseCommand,
};

const USAGE = ['commands: generate, analyse, bench, eval, kv-cost', GENERATE_USAGE, ANALYSE_USAGE, BENCH_USAGE, EVAL_USAGE, KV_COST_USAGE].join('\n\n');

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    console.error(`unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  try {
    return await command(args);
  } catch (error) {
    if (error instanceof EngineError) {
      const where = error.field === undefined ? '' : ` (${error.field}${error.limit === undefined ? '' : `, limit ${error.limit}`})`;
      console.error(`error [${error.code}]${where}: ${error.message}`);
      return 1;
    }
    if (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) {
      console.error(`${error.message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }
}

process.exitCode = await main(process.argv.slice(2));
