import type { components } from '../../../api/schema';

export type Endpoint = components['schemas']['EndpointOut'];
export type EndpointCreated = components['schemas']['EndpointCreated'];
export type EventType = components['schemas']['EventTypeOut'];
export type DeliverySummary = components['schemas']['DeliverySummaryOut'];
export type Delivery = components['schemas']['DeliveryOut'];
export type DeliveryStatus = DeliverySummary['status'];
export type DeliveryPage = components['schemas']['Page_DeliverySummaryOut_'];

export const DELIVERY_STATUSES: readonly DeliveryStatus[] = ['pending', 'retrying', 'succeeded', 'failed'];
