// A chart's box: title, legend, export buttons, and an SVG sized to the space it gets.
// Children draw into the plot area; d3 only computes, React draws.
import { useRef, type ReactNode } from 'react';
import { useElementSize } from '../hooks/useElementSize';
import { useNoticeStore } from '../stores/noticeStore';
import { exportPng, exportSvg } from './chartExport';

export const MARGIN = { top: 10, right: 26, bottom: 28, left: 40 };

export interface PlotSize {
  width: number;
  height: number;
}

interface ChartFrameProps {
  title: string;
  fileName: string;
  legend?: ReactNode;
  children: (size: PlotSize) => ReactNode;
}

export function ChartFrame({ title, fileName, legend, children }: ChartFrameProps) {
  const [box, size] = useElementSize<HTMLDivElement>();
  const svg = useRef<SVGSVGElement>(null);
  const plot = { width: Math.max(0, size.width - MARGIN.left - MARGIN.right), height: Math.max(0, size.height - MARGIN.top - MARGIN.bottom) };
  const onPng = () => {
    if (svg.current !== null) exportPng(svg.current, fileName).catch((e: unknown) => useNoticeStore.getState().push('error', String(e)));
  };
  return (
    <figure className="chart" data-chart={fileName}>
      <figcaption>
        <span className="chart-title">{title}</span>
        <span className="chart-legend">{legend}</span>
        <span className="chart-export">
          <button type="button" className="link" onClick={() => svg.current !== null && exportSvg(svg.current, fileName)} title="Export as SVG">
            SVG
          </button>
          <button type="button" className="link" onClick={onPng} title="Export as PNG">
            PNG
          </button>
        </span>
      </figcaption>
      <div className="chart-box" ref={box}>
        {size.width > 0 && size.height > 0 && (
          <svg ref={svg} width={size.width} height={size.height} role="img" aria-label={title}>
            <g transform={`translate(${MARGIN.left},${MARGIN.top})`}>{plot.width > 0 && plot.height > 0 && children(plot)}</g>
          </svg>
        )}
      </div>
    </figure>
  );
}
