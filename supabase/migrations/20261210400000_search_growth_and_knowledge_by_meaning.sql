-- GET /v1/search's two reads beside api.search_candidates (seed 000, Growth Model Integration 6:
-- evolution state and growth dimensions as searchable properties; knowledge retrieval by meaning):
-- which candidates have a card in the wanted evolution states and have grown in the wanted
-- dimensions, and the rows of the knowledge entries the vector index found near a query, kept
-- only when they are knowledge of the caller's apps.

-- The evolution state a card with these counts reaches under the configured rules: the first rule
-- it meets ({"state", "min_connections", "min_dimensions"}, a missing minimum = 0), else
-- default_state. The rule reading of api.card_evolution, for one card's counts.
create or replace function private.evolution_state_for(
  rules jsonb, default_state text, connection_count integer, dimension_count integer
) returns text
language sql
immutable
set search_path = ''
as $$
  select coalesce((
    select r.rule ->> 'state'
    from jsonb_array_elements(rules) with ordinality as r (rule, ord)
    where connection_count >= coalesce((r.rule ->> 'min_connections')::integer, 0)
      and dimension_count >= coalesce((r.rule ->> 'min_dimensions')::integer, 0)
    order by r.ord
    limit 1
  ), default_state)
$$;
comment on function private.evolution_state_for(jsonb, text, integer, integer) is
  'The evolution state of a card with these connection and positive-dimension counts under the rules (first met wins), else default_state; api.card_evolution''s rule reading.';
revoke all on function private.evolution_state_for(jsonb, text, integer, integer) from public, anon;
grant execute on function private.evolution_state_for(jsonb, text, integer, integer)
  to authenticated, service_role;

-- Which of the given entities the search may keep under its growth filters: each has a card of
-- the caller's whose evolution state (as api.card_evolution computes it: connections from
-- graph_connection_stats, dimensions with a positive summed delta, the configured rules) is one
-- of `states`, and a positive summed delta in every one of `dimensions` (null: not restricted).
-- An entity without a card passes no growth filter. Set-based over the given entities (a search
-- checks up to a few hundred candidates; api.card_evolution per card scans the caller's cards).
-- Security invoker: RLS keeps it to the caller's cards and growth events.
create or replace function api.search_growth_matches(
  entity_types text[],
  entity_ids uuid[],
  rules jsonb,
  default_state text,
  states text[] default null,
  dimensions text[] default null
)
returns table (entity_type text, entity_id uuid, evolution_state text)
language sql
stable
security invoker
set search_path = ''
as $$
  with carded as (
    select distinct c.user_id, c.source_entity_type as kind, c.source_entity_id as id
    from unnest(entity_types, entity_ids) as wanted (kind, id)
    join public.cards c
      on c.user_id = (select auth.uid())
     and c.source_entity_type = wanted.kind
     and c.source_entity_id = wanted.id
  ),
  grown as (
    select e.kind, e.id, array_agg(e.dim_key) filter (where e.total > 0) as dims
    from (
      select k.kind, k.id, g.dim_key, sum(g.delta) as total
      from carded k
      join public.growth_events g
        on g.user_id = k.user_id and g.entity_type = k.kind and g.entity_id = k.id
      group by k.kind, k.id, g.dim_key
    ) e
    group by e.kind, e.id
  ),
  evaluated as (
    select k.kind, k.id, coalesce(gr.dims, '{}') as dims,
           private.evolution_state_for(rules, default_state, coalesce(cs.connection_count, 0),
                                       coalesce(cardinality(gr.dims), 0)) as state
    from carded k
    left join grown gr on gr.kind = k.kind and gr.id = k.id
    left join public.graph_connection_stats cs
      on cs.user_id = k.user_id and cs.entity_type = k.kind and cs.entity_id = k.id
  )
  select v.kind, v.id, v.state
  from evaluated v
  where (states is null or v.state = any (states))
    and (dimensions is null or dimensions <@ v.dims)
$$;
comment on function api.search_growth_matches(text[], uuid[], jsonb, text, text[], text[]) is
  'GET /v1/search''s growth filters: the given entities whose card (the caller''s) is in one of states (computed as api.card_evolution does, with rules and default_state) and that grew (summed delta > 0) in every one of dimensions; null restricts nothing. Security invoker.';
revoke all on function api.search_growth_matches(text[], uuid[], jsonb, text, text[], text[])
  from public, anon;
grant execute on function api.search_growth_matches(text[], uuid[], jsonb, text, text[], text[])
  to authenticated, service_role;

-- The rows of the knowledge entries the vector index found near a search's query (the catalogue
-- tenant holds every app's entries): only active entries of active knowledge bases of the
-- caller's active apps (private.apps_of) survive, within the search's app and created range, in
-- the shape of api.search_rows. An entry several of the caller's apps read comes once.
create or replace function api.search_knowledge_rows(
  entry_ids uuid[],
  app uuid default null,
  created_after timestamptz default null,
  created_before timestamptz default null
)
returns table (entity_type text, entity_id uuid, title text, body text, app_id uuid,
               importance double precision, created_at timestamptz, updated_at timestamptz)
language sql
stable
security invoker
set search_path = ''
as $$
  select distinct on (ke.knowledge_entry_id)
         'knowledge', ke.knowledge_entry_id, ke.title, left(ke.content, 2000), a.app_id,
         null::double precision, ke.created_at, ke.updated_at
  from private.apps_of((select auth.uid())) as mine (app_id)
  join public.apps a on a.app_id = mine.app_id and a.is_active
  join public.app_knowledge_bases akb on akb.app_id = a.app_id
  join public.knowledge_bases kb on kb.knowledge_base_id = akb.knowledge_base_id and kb.is_active
  join public.knowledge_entries ke
    on ke.knowledge_base_id = kb.knowledge_base_id and ke.is_active
  where ke.knowledge_entry_id = any (entry_ids)
    and (app is null or a.app_id = app)
    and (created_after is null or ke.created_at > created_after)
    and (created_before is null or ke.created_at < created_before)
  order by ke.knowledge_entry_id, a.app_id
$$;
comment on function api.search_knowledge_rows(uuid[], uuid, timestamptz, timestamptz) is
  'GET /v1/search''s knowledge by meaning: the given entries (the vector index''s nearest) that are active knowledge of the caller''s active apps (private.apps_of), within app and the created range, each once. Security invoker.';
revoke all on function api.search_knowledge_rows(uuid[], uuid, timestamptz, timestamptz)
  from public, anon;
grant execute on function api.search_knowledge_rows(uuid[], uuid, timestamptz, timestamptz)
  to authenticated, service_role;
