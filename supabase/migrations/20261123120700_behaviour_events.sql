-- Behaviour events: ONE stream for what people do in the app, merging V7 `user_activity_log`,
-- V9.7/V11 `interaction_logs` and Dreamscape `user_behaviors` (see docs/schema-map.md).
-- Partitioned by month on created_at (native partitioning; partitions kept ahead by
-- private.ensure_behaviour_event_partitions(), scheduled by pg_cron). Row-level security lives on
-- the parent: queries through public.behaviour_events apply its policies. Partitions are created
-- in the private schema with RLS on and no grants, so nobody reaches them around the parent.

create table if not exists public.behaviour_events (
  event_id uuid not null default gen_random_uuid(),
  user_id uuid not null default auth.uid() constraint behaviour_events_user_fk references auth.users (id) on delete cascade,
  event_type text not null,
  target_entity_id uuid,
  target_entity_type text,
  duration_seconds integer,
  content_text text,
  content_structured jsonb,
  context jsonb not null default '{}'::jsonb,
  metadata jsonb not null default '{}'::jsonb,
  session_id uuid,
  created_at timestamptz not null default now(),
  constraint behaviour_events_pkey primary key (event_id, created_at),
  constraint behaviour_events_event_type_length check (char_length(event_type) between 1 and 64),
  constraint behaviour_events_target_entity_type_length
    check (target_entity_type is null or char_length(target_entity_type) between 1 and 64),
  constraint behaviour_events_duration_nonnegative check (duration_seconds is null or duration_seconds >= 0),
  constraint behaviour_events_context_object check (jsonb_typeof(context) = 'object'),
  constraint behaviour_events_metadata_object check (jsonb_typeof(metadata) = 'object')
) partition by range (created_at);
comment on table public.behaviour_events is
  'Every tracked user action (activity log, interaction log, Dreamscape behaviours), partitioned by month.';

alter table public.behaviour_events enable row level security;

create index if not exists behaviour_events_user_id_created_at_idx
  on public.behaviour_events (user_id, created_at desc);
create index if not exists behaviour_events_user_id_event_type_idx
  on public.behaviour_events (user_id, event_type, created_at);
create index if not exists behaviour_events_created_at_idx on public.behaviour_events (created_at);

-- Clients log their own events (never backdated: created_at is the server's) and read them back;
-- nobody but the server changes or deletes them.
revoke all on table public.behaviour_events from anon, authenticated;
grant select on table public.behaviour_events to authenticated;
grant insert (user_id, event_type, target_entity_id, target_entity_type, duration_seconds,
              content_text, content_structured, context, metadata, session_id)
  on table public.behaviour_events to authenticated;
grant all on table public.behaviour_events to service_role;

drop policy if exists "Behaviour events are readable by their owner" on public.behaviour_events;
create policy "Behaviour events are readable by their owner" on public.behaviour_events
  for select to authenticated
  using (user_id = (select auth.uid()));

drop policy if exists "Behaviour events can be logged by their owner" on public.behaviour_events;
create policy "Behaviour events can be logged by their owner" on public.behaviour_events
  for insert to authenticated
  with check (user_id = (select auth.uid()));

-- Seals a partition: it is reached only through the parent (whose policies apply there).
create or replace function private.seal_behaviour_event_partition(p_partition regclass) returns void
language plpgsql
set search_path = ''
as $$
begin
  execute format('alter table %s enable row level security', p_partition);
  execute format('revoke all on table %s from public, anon, authenticated, service_role', p_partition);
end;
$$;
comment on function private.seal_behaviour_event_partition(regclass) is
  'Enables RLS and revokes every grant on one behaviour_events partition.';
revoke all on function private.seal_behaviour_event_partition(regclass) from public, anon, authenticated;

-- Catch-all for rows outside every monthly partition, so an insert never fails for want of one.
-- ensure_behaviour_event_partitions() moves such rows into the month partition when it creates it.
do $$
begin
  if to_regclass('private.behaviour_events_default') is null then
    create table private.behaviour_events_default partition of public.behaviour_events default;
    perform private.seal_behaviour_event_partition('private.behaviour_events_default');
  end if;
end
$$;
comment on table private.behaviour_events_default is
  'Default partition of public.behaviour_events; normally empty.';

-- Creates the monthly partitions (UTC months, named behaviour_events_pYYYY_MM) from p_from's month
-- (default: this month) through p_months_ahead months ahead (at least p_from's month). Each is built detached and then attached, which
-- locks the parent only in SHARE UPDATE EXCLUSIVE mode; rows already in the default partition for
-- that month are moved in first. Returns how many partitions it created.
create or replace function private.ensure_behaviour_event_partitions(
  p_months_ahead integer default 3,
  p_from date default null
)
returns integer
language plpgsql
security definer
set search_path = ''
set lock_timeout = '5s'
as $$
declare
  v_this_month date := date_trunc('month', now() at time zone 'UTC')::date;
  v_month date := date_trunc('month', coalesce(p_from, v_this_month))::date;
  v_last date := greatest(v_month, (v_this_month + make_interval(months => p_months_ahead))::date);
  v_name text;
  v_from timestamptz;
  v_to timestamptz;
  v_created integer := 0;
begin
  if p_months_ahead < 0 then
    raise exception 'p_months_ahead must be >= 0, got %', p_months_ahead using errcode = '22023';
  end if;
  while v_month <= v_last loop
    v_name := 'behaviour_events_p' || to_char(v_month, 'YYYY_MM');
    v_from := v_month::timestamp at time zone 'UTC';
    v_to := (v_month + interval '1 month')::timestamp at time zone 'UTC';
    if to_regclass(format('private.%I', v_name)) is null then
      execute format(
        'create table private.%I (like public.behaviour_events including defaults including constraints)',
        v_name);
      execute format(
        'alter table private.%I add constraint %I check (created_at >= %L and created_at < %L)',
        v_name, v_name || '_bounds', v_from, v_to);
      execute format(
        'with moved as (delete from private.behaviour_events_default where created_at >= %L and created_at < %L returning *)
         insert into private.%I select * from moved',
        v_from, v_to, v_name);
      execute format(
        'alter table public.behaviour_events attach partition private.%I for values from (%L) to (%L)',
        v_name, v_from, v_to);
      execute format('alter table private.%I drop constraint %I', v_name, v_name || '_bounds');
      perform private.seal_behaviour_event_partition(format('private.%I', v_name)::regclass);
      v_created := v_created + 1;
    end if;
    v_month := (v_month + interval '1 month')::date;
  end loop;
  return v_created;
end;
$$;
comment on function private.ensure_behaviour_event_partitions(integer, date) is
  'Partition upkeep: creates monthly behaviour_events partitions through p_months_ahead months ahead.';
revoke all on function private.ensure_behaviour_event_partitions(integer, date) from public, anon, authenticated;
grant execute on function private.ensure_behaviour_event_partitions(integer, date) to service_role;

do $$
begin
  perform private.ensure_behaviour_event_partitions(3);
end
$$;

-- When an event happened on the device, as the client reports it. created_at stays the server's
-- clock (the partition key; clients cannot backdate it); occurred_at is what a person's app saw,
-- kept apart so analytics can order a batch uploaded after a day offline. Clients may set it; the
-- API accepts it within the last 30 days and at most 5 minutes ahead (device clocks drift).
-- Nullable without a default, so adding it rewrites no partition.
alter table public.behaviour_events add column if not exists occurred_at timestamptz;
comment on column public.behaviour_events.occurred_at is
  'Client-reported time of the action (the API bounds it to 30 days back, 5 minutes ahead).';

grant insert (occurred_at) on table public.behaviour_events to authenticated;
