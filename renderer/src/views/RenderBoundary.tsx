// Where a view fails to render, the failure stays in its place: the panel says what could not
// be drawn and why, with a button that clears the run it was drawing, and the rest of the app
// (toolbar, prompt, the other panels) goes on. Trace files are checked before they open
// (engine/traceConsistency.ts); this catches what no check foresaw, and runs reported live.
import { Component, type ErrorInfo, type ReactNode } from 'react';
import type { LaneId } from '../../../host/protocol';
import { clearRuns } from '../controller';
import { useRunStore } from '../stores/runStore';

interface BoundaryProps {
  /** What the boundary holds, as a noun phrase ("the KV cache strip"). */
  what: string;
  /** Another value (another run, another view) tries the children again. */
  resetKey: string;
  onClear: () => void;
  children: ReactNode;
}

interface BoundaryState {
  error: Error | null;
  resetKey: string;
}

class Boundary extends Component<BoundaryProps, BoundaryState> {
  override state: BoundaryState = { error: null, resetKey: this.props.resetKey };

  static getDerivedStateFromError(error: unknown): Partial<BoundaryState> {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  static getDerivedStateFromProps(props: BoundaryProps, state: BoundaryState): Partial<BoundaryState> | null {
    return props.resetKey === state.resetKey ? null : { error: null, resetKey: props.resetKey };
  }

  override componentDidCatch(error: unknown, info: ErrorInfo): void {
    // The component stack is for whoever reads the console; the panel shows the message.
    console.error(`${this.props.what} failed to render`, error, info.componentStack);
  }

  override render(): ReactNode {
    const { error } = this.state;
    if (error === null) return this.props.children;
    return (
      <section className="render-error" role="alert" data-testid="render-error" data-what={this.props.what}>
        <strong>{`Could not draw ${this.props.what}.`}</strong>
        <code data-testid="render-error-message">{`${error.name}: ${error.message}`}</code>
        <span className="muted">The run it shows holds something this view cannot draw. The rest of the app still works.</span>
        <button type="button" onClick={this.props.onClear} data-testid="render-error-clear">
          Clear this run
        </button>
      </section>
    );
  }
}

/** A boundary around a view of the runs in `lanes`: it retries when one of their runs changes, and its button clears them. */
export function RenderBoundary({ what, lanes, children }: { what: string; lanes: readonly LaneId[]; children: ReactNode }) {
  const runIds = useRunStore((state) => lanes.map((lane) => state.runs[lane]?.started.runId ?? '').join(' '));
  return (
    <Boundary what={what} resetKey={`${what}|${lanes.join(' ')}|${runIds}`} onClear={() => void clearRuns(lanes)}>
      {children}
    </Boundary>
  );
}
