import { render } from 'preact';
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { App } from './app';
import { completeSignIn, loadConfig } from './auth';

async function boot(): Promise<void> {
  const root = document.getElementById('app')!;
  let problem: string | undefined;
  try {
    await loadConfig();
    problem = await completeSignIn();
  } catch (error) {
    problem = (error as Error).message;
  }
  render(<App signInProblem={problem} />, root);
}

void boot();
