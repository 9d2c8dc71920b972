-- Growth events: the six-dimension growth model, event-sourced (V7 `growth_events`, V9.7/V11
-- `growth_events` with `details`). Dimensions are configuration, not a table: a check keeps
-- dim_key to the six keys (self|world × know|act|show). The server appends events; nobody
-- rewrites them. profiles.growth_profile is kept in sync incrementally and can be recomputed.

-- The ledger: one row per growth step of one entity along one dimension.
create table if not exists public.growth_events (
  event_id uuid primary key default gen_random_uuid(),
  user_id uuid not null constraint growth_events_user_fk references auth.users (id) on delete cascade,
  entity_id uuid not null,
  entity_type text not null,
  dim_key text not null,
  delta double precision not null,
  source text not null,
  details jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  constraint growth_events_entity_type_valid
    check (entity_type in ('memory', 'concept', 'artifact', 'card', 'challenge', 'prompt')),
  constraint growth_events_dim_key_valid check (dim_key ~ '^(self|world)_(know|act|show)$'),
  constraint growth_events_delta_finite check (delta not in ('NaN', 'Infinity', '-Infinity')),
  constraint growth_events_source_length check (char_length(source) between 1 and 64),
  constraint growth_events_details_object check (jsonb_typeof(details) = 'object')
);
comment on table public.growth_events is
  'Append-only ledger of growth along the six dimensions, per entity; written by the server only.';

alter table public.growth_events enable row level security;

create index if not exists growth_events_user_id_created_at_idx
  on public.growth_events (user_id, created_at desc);
create index if not exists growth_events_user_id_entity_idx
  on public.growth_events (user_id, entity_type, entity_id, dim_key);

-- Owners read their ledger; only the server (service_role) appends, and nobody updates.
revoke all on table public.growth_events from anon, authenticated;
grant select on table public.growth_events to authenticated;
grant select, insert, delete on table public.growth_events to service_role;

drop policy if exists "Growth events are readable by their owner" on public.growth_events;
create policy "Growth events are readable by their owner" on public.growth_events
  for select to authenticated
  using (user_id = (select auth.uid()));

-- Append-only, whatever the grants say: an event, once written, is history.
create or replace function private.forbid_growth_event_update() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  raise exception 'growth_events is append-only: append a compensating event instead'
    using errcode = '42501';
end;
$$;
comment on function private.forbid_growth_event_update() is
  'Trigger: refuses every update of growth_events (append-only ledger).';
revoke all on function private.forbid_growth_event_update() from public, anon, authenticated;

drop trigger if exists growth_events_append_only on public.growth_events;
create trigger growth_events_append_only
  before update on public.growth_events
  for each row execute function private.forbid_growth_event_update();

-- Keeps profiles.growth_profile ({"self_know": 0.4, ...}) equal to the per-dimension sum of the
-- ledger, one update per user per statement. The sum is taken from the row being updated, so
-- concurrent writers for the same user serialise on its row lock and lose nothing.
create or replace function private.apply_growth_events_to_profile() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_sign double precision := case when tg_op = 'DELETE' then -1 else 1 end;
begin
  update public.profiles p
  set growth_profile = p.growth_profile || (
    select jsonb_object_agg(d.key, coalesce((p.growth_profile ->> d.key)::double precision, 0) + d.value::double precision)
    from jsonb_each_text(agg.deltas) as d
  )
  from (
    select s.user_id, jsonb_object_agg(s.dim_key, s.delta) as deltas
    from (
      select e.user_id, e.dim_key, v_sign * sum(e.delta) as delta
      from changed_events e
      group by e.user_id, e.dim_key
    ) s
    group by s.user_id
  ) agg
  where p.user_id = agg.user_id;
  return null;
end;
$$;
comment on function private.apply_growth_events_to_profile() is
  'Statement trigger on growth_events: adds (or on delete subtracts) deltas into profiles.growth_profile.';
revoke all on function private.apply_growth_events_to_profile() from public, anon, authenticated;

drop trigger if exists growth_events_apply_to_profile_on_insert on public.growth_events;
create trigger growth_events_apply_to_profile_on_insert
  after insert on public.growth_events
  referencing new table as changed_events
  for each statement execute function private.apply_growth_events_to_profile();

drop trigger if exists growth_events_apply_to_profile_on_delete on public.growth_events;
create trigger growth_events_apply_to_profile_on_delete
  after delete on public.growth_events
  referencing old table as changed_events
  for each statement execute function private.apply_growth_events_to_profile();

-- Rebuilds growth profiles from the ledger (after a scoring change or to repair drift).
-- The profile row is locked first, so the sum sees every event whose trigger already ran.
create or replace function private.recompute_growth_profile(p_user_id uuid default null)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_count integer;
begin
  perform 1 from public.profiles
  where p_user_id is null or user_id = p_user_id
  order by user_id
  for update;

  update public.profiles p
  set growth_profile = coalesce((
    select jsonb_object_agg(s.dim_key, s.total)
    from (
      select e.dim_key, sum(e.delta) as total
      from public.growth_events e
      where e.user_id = p.user_id
      group by e.dim_key
    ) s
  ), '{}'::jsonb)
  where p_user_id is null or p.user_id = p_user_id;
  get diagnostics v_count = row_count;
  return v_count;
end;
$$;
comment on function private.recompute_growth_profile(uuid) is
  'Recomputes profiles.growth_profile from growth_events for one user (or all when null); returns rows updated.';
revoke all on function private.recompute_growth_profile(uuid) from public, anon, authenticated;
grant execute on function private.recompute_growth_profile(uuid) to service_role;

-- No materialized per-entity scores (V7 mv_entity_growth): GET /v1/cards/{id}/dimensions sums
-- the entity's events live (growth_events_user_id_entity_idx), exact at once, where a copy refreshed
-- every 15 minutes would lag and cost a job. docs/schema-map.md says so.

create or replace function api.growth_summary(p_user_id uuid)
returns table (dim_key text, total_score double precision, entity_count bigint, last_activity timestamptz)
language sql
stable
security invoker
set search_path = ''
as $$
  select per_entity.dim_key, sum(per_entity.total), count(*), max(per_entity.last_at)
  from (
    select e.dim_key, sum(e.delta) as total, max(e.created_at) as last_at
    from public.growth_events e
    where e.user_id = p_user_id
    group by e.dim_key, e.entity_type, e.entity_id
  ) per_entity
  group by per_entity.dim_key
  order by per_entity.dim_key
$$;
comment on function api.growth_summary(uuid) is
  'Per-dimension total, entity count and last activity for a user (RLS: callers see only their own).';
revoke all on function api.growth_summary(uuid) from public, anon;
grant execute on function api.growth_summary(uuid) to authenticated, service_role;

-- Growth events may be about a conversation: growth_config.json's `conversation_processed`
-- rule is recorded by ingestion once per processed conversation, with the
-- conversation as its entity. Same constraint name, one more allowed entity type.
alter table public.growth_events drop constraint if exists growth_events_entity_type_valid;
alter table public.growth_events add constraint growth_events_entity_type_valid
  check (entity_type in ('memory', 'concept', 'artifact', 'card', 'challenge', 'prompt', 'conversation'));
