-- When an event happened on the device, as the client reports it. created_at stays the server's
-- clock (the partition key; clients cannot backdate it); occurred_at is what a person's app saw,
-- kept apart so analytics can order a batch uploaded after a day offline. Clients may set it; the
-- API accepts it within the last 30 days and at most 5 minutes ahead (device clocks drift).
-- Nullable without a default, so adding it rewrites no partition.

alter table public.behaviour_events add column if not exists occurred_at timestamptz;
comment on column public.behaviour_events.occurred_at is
  'Client-reported time of the action (the API bounds it to 30 days back, 5 minutes ahead).';

grant insert (occurred_at) on table public.behaviour_events to authenticated;
