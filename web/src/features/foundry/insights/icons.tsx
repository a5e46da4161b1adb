/** Insight kind icons (24×24 stroke, decorative), in the style of components/Icons. */
import type { SVGProps } from 'react';

type IconProps = SVGProps<SVGSVGElement>;

function Svg({ children, ...props }: IconProps) {
  return (
    <svg viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth={1.8} strokeLinecap="round" strokeLinejoin="round" aria-hidden="true" focusable="false" {...props}>
      {children}
    </svg>
  );
}

export const IconAlert = (p: IconProps) => (
  <Svg {...p}>
    <path d="M12 3.5 2.8 19.5h18.4z" />
    <path d="M12 10v4.5M12 17.2v.1" />
  </Svg>
);
export const IconTrend = (p: IconProps) => (
  <Svg {...p}>
    <path d="m3 17 6-6 4 4 8-8" />
    <path d="M15 7h6v6" />
  </Svg>
);
export const IconMovers = (p: IconProps) => (
  <Svg {...p}>
    <path d="M7 20V5M3.5 8.5 7 5l3.5 3.5" />
    <path d="M17 4v15M13.5 15.5 17 19l3.5-3.5" />
  </Svg>
);
export const IconSegments = (p: IconProps) => (
  <Svg {...p}>
    <circle cx="12" cy="12" r="8.5" />
    <path d="M12 3.5V12l6 6" />
  </Svg>
);
export const IconForecast = (p: IconProps) => (
  <Svg {...p}>
    <path d="M3 18 8 12l4 3 3-4" />
    <path d="m15 11 6-5" strokeDasharray="2 2.5" />
  </Svg>
);
export const IconRefresh = (p: IconProps) => (
  <Svg {...p}>
    <path d="M20 11a8 8 0 0 0-14.5-4.5L4 8" />
    <path d="M4 3.5V8h4.5" />
    <path d="M4 13a8 8 0 0 0 14.5 4.5L20 16" />
    <path d="M20 20.5V16h-4.5" />
  </Svg>
);
