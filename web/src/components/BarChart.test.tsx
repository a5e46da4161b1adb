import { describe, expect, it } from 'vitest';
import { render, screen, within } from '@testing-library/react';
import { niceStep, StackedBarChart, type BarGroup } from './BarChart';

const series = [
  { key: 'openai', label: 'OpenAI', color: '#10b981' },
  { key: 'local', label: 'Offline engine', color: '#6366f1' },
];
const groups: BarGroup[] = [
  { key: '2025-01-01', label: 'Jan 1', values: { openai: 1200, local: 300 } },
  { key: '2025-01-02', label: 'Jan 2', values: {} },
  { key: '2025-01-03', label: 'Jan 3', values: { local: 50 } },
];

describe('StackedBarChart', () => {
  it('is an image with a title and description, one tooltip per non-zero segment, and a table fallback', () => {
    const { container } = render(
      <StackedBarChart title="Tokens per day" description="1,550 tokens in total." series={series} groups={groups} unit="tokens" />,
    );
    const img = screen.getByRole('img', { name: 'Tokens per day 1,550 tokens in total.' });
    const rects = img.querySelectorAll('rect');
    expect(rects).toHaveLength(3);
    expect(Array.from(rects).map((r) => r.querySelector('title')?.textContent)).toEqual([
      'Jan 1 — OpenAI: 1,200 tokens',
      'Jan 1 — Offline engine: 300 tokens',
      'Jan 3 — Offline engine: 50 tokens',
    ]);
    // Stacked: the offline segment sits on top of the OpenAI one, and the tallest bar fits under the top tick.
    const [openai, local] = [rects[0]!, rects[1]!];
    expect(Number(local.getAttribute('y')) + Number(local.getAttribute('height'))).toBeCloseTo(Number(openai.getAttribute('y')));
    expect(Number(local.getAttribute('y'))).toBeGreaterThanOrEqual(12);

    const table = screen.getByRole('table', { name: 'Tokens per day' });
    const rows = within(table).getAllByRole('row');
    expect(rows).toHaveLength(4);
    expect(rows[1]!.textContent).toBe('Jan 11,2003001,500');
    expect(rows[2]!.textContent).toBe('Jan 2000');
    expect(within(screen.getByRole('list', { name: 'Legend' })).getAllByRole('listitem').map((li) => li.textContent)).toEqual(['OpenAI', 'Offline engine']);
    expect(container.querySelectorAll('text').length).toBeGreaterThan(3);
  });

  it('picks round axis steps', () => {
    expect(niceStep(1500)).toBe(500);
    expect(niceStep(1000)).toBe(250);
    expect(niceStep(9)).toBe(2.5);
    expect(niceStep(0)).toBe(1);
    expect(niceStep(123_456)).toBe(50_000);
  });
});
