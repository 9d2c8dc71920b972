-- Cards (V9.7/V11 `cards`): the presentation of a memory, concept, artifact or prompt on the
-- user's canvas. Evolution (seed → sprout → bloom → constellation ...) is computed, never stored
-- (V7 `v_card_state`): api.card_evolution() derives it from growth and graph connections with
-- thresholds the caller passes from configuration.

-- One card per presented entity; the worker creates it, the person arranges it.
create table if not exists public.cards (
  card_id uuid primary key default gen_random_uuid(),
  user_id uuid not null constraint cards_user_fk references auth.users (id) on delete cascade,
  card_type text not null,
  source_entity_id uuid not null,
  source_entity_type text not null,
  status text not null default 'active_canvas',
  is_favorited boolean not null default false,
  display_data jsonb,
  is_synced boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint cards_card_type_format check (card_type ~ '^[a-z][a-z_]{0,31}$'),
  constraint cards_source_entity_type_valid
    check (source_entity_type in ('memory', 'concept', 'artifact', 'prompt')),
  constraint cards_status_valid check (status in ('active_canvas', 'active_archive', 'completed')),
  constraint cards_display_data_object check (display_data is null or jsonb_typeof(display_data) = 'object'),
  -- Lets conversations reference (card_id, user_id), so nothing links across users.
  constraint cards_id_user_unique unique (card_id, user_id)
);
comment on table public.cards is
  'A memory, concept, artifact or prompt presented as a card; evolution is computed by card_evolution().';

alter table public.cards enable row level security;

create index if not exists cards_user_id_status_idx on public.cards (user_id, status);
create index if not exists cards_user_id_source_entity_idx
  on public.cards (user_id, source_entity_type, source_entity_id);

drop trigger if exists cards_set_updated_at on public.cards;
create trigger cards_set_updated_at
  before update on public.cards
  for each row execute function private.set_updated_at();

-- People move cards between canvas and archive and favourite them; the rest is the server's.
revoke all on table public.cards from anon, authenticated;
grant select on table public.cards to authenticated;
grant update (status, is_favorited) on table public.cards to authenticated;
grant all on table public.cards to service_role;

drop policy if exists "Cards are readable by their owner" on public.cards;
create policy "Cards are readable by their owner" on public.cards
  for select to authenticated
  using (user_id = (select auth.uid()));

drop policy if exists "Cards are editable by their owner" on public.cards;
create policy "Cards are editable by their owner" on public.cards
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));

-- Computes each card's evolution state. p_rules comes from configuration, an ordered array of
-- {"state": text, "min_connections": int, "min_dimensions": int} (missing minimum = 0); the first
-- rule the card meets wins, else p_default_state. V7's rules are
-- [{"state":"constellation","min_connections":5},{"state":"bloom","min_dimensions":3},
--  {"state":"sprout","min_dimensions":1}] with default "seed". Dimensions count when their summed
-- delta for the card's source entity is positive; connections come from graph_connection_stats.
-- Security invoker: RLS limits it to the caller's cards.
create or replace function api.card_evolution(
  p_rules jsonb,
  p_default_state text default 'seed',
  p_card_id uuid default null
)
returns table (card_id uuid, user_id uuid, source_entity_type text, source_entity_id uuid,
               connection_count integer, dimension_count integer, evolution_state text)
language sql
stable
security invoker
set search_path = ''
as $$
  select
    c.card_id,
    c.user_id,
    c.source_entity_type,
    c.source_entity_id,
    coalesce(cs.connection_count, 0),
    gs.dimension_count,
    coalesce((
      select r.rule ->> 'state'
      from jsonb_array_elements(p_rules) with ordinality as r(rule, ord)
      where coalesce(cs.connection_count, 0) >= coalesce((r.rule ->> 'min_connections')::integer, 0)
        and gs.dimension_count >= coalesce((r.rule ->> 'min_dimensions')::integer, 0)
      order by r.ord
      limit 1
    ), p_default_state)
  from (
    -- One card by its key, or all of them: two branches, each gated by a one-time filter, so the
    -- plan (made once, for any p_card_id) reads one card through the primary key. A single
    -- `p_card_id is null or c.card_id = p_card_id` read every card the caller can see, once per
    -- card a page evaluates: 15.7 ms a card at 100k cards (docs/measurements.md).
    select k.* from public.cards k where p_card_id is not null and k.card_id = p_card_id
    union all
    select k.* from public.cards k where p_card_id is null
  ) as c
  -- A probe of the stats' key per card (a lateral with a limit is never a hash of them all).
  left join lateral (
    select s.connection_count
    from public.graph_connection_stats s
    where s.user_id = c.user_id
      and s.entity_type = c.source_entity_type
      and s.entity_id = c.source_entity_id
    limit 1
  ) cs on true
  cross join lateral (
    select count(*)::integer as dimension_count
    from (
      select g.dim_key
      from public.growth_events g
      where g.user_id = c.user_id
        and g.entity_type = c.source_entity_type
        and g.entity_id = c.source_entity_id
      group by g.dim_key
      having sum(g.delta) > 0
    ) positive_dimensions
  ) gs
$$;
comment on function api.card_evolution(jsonb, text, uuid) is
  'Evolution state of the caller''s cards (or one card) from configured thresholds; computed, never stored.';
revoke all on function api.card_evolution(jsonb, text, uuid) from public, anon;
grant execute on function api.card_evolution(jsonb, text, uuid) to authenticated, service_role;
