/** Custom metric calls, through the typed client. */
import { api, unwrap } from '../../../api/client';
import type { components } from '../../../api/schema';
import type { Filter, MetricFormat, MetricOut } from '../types';

/** A custom metric as the form sends it (CustomMetricIn in src/binelek/foundry/schemas.py). */
export interface CustomMetricIn {
  name: string;
  label: string;
  description?: string | null;
  format: MetricFormat;
  formula: string;
  filters: Filter[];
}

export async function createCustomMetric(body: CustomMetricIn): Promise<MetricOut> {
  const sent = body as components['schemas']['CustomMetricIn'];
  return (await unwrap(api.POST('/api/modules/mini-foundry/metrics/custom', { body: sent }))) as MetricOut;
}

export async function deleteCustomMetric(id: string): Promise<void> {
  await unwrap(api.DELETE('/api/modules/mini-foundry/metrics/custom/{metric_id}', { params: { path: { metric_id: id } } }));
}
