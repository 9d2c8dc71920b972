-- GET /v1/search's two reads beside api.search_candidates (seed 000, Growth Model Integration 6:
-- evolution state and growth dimensions as searchable properties; knowledge retrieval by meaning):
-- which candidates have a card in the wanted evolution states and have grown in the wanted
-- dimensions, and the rows of the knowledge entries the vector index found near a query, kept
-- only when they are knowledge of the caller's apps.

-- Which of the given entities the search may keep under its growth filters: each has a card of
-- the caller's whose evolution (api.card_evolution with the configured rules, as GET /v1/cards
-- computes it) is one of `states`, and a positive summed delta in every one of `dimensions` (null:
-- not restricted). An entity without a card passes no growth filter. Security invoker: RLS keeps
-- it to the caller's cards and growth events.
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
  select c.source_entity_type, c.source_entity_id, e.evolution_state
  from unnest(entity_types, entity_ids) as wanted (kind, id)
  join public.cards c
    on c.user_id = (select auth.uid())
   and c.source_entity_type = wanted.kind
   and c.source_entity_id = wanted.id
  cross join lateral api.card_evolution(rules, default_state, c.card_id) e
  where (states is null or e.evolution_state = any (states))
    and (dimensions is null or not exists (
      select 1
      from unnest(dimensions) as d (dim_key)
      where coalesce((
        select sum(g.delta)
        from public.growth_events g
        where g.user_id = c.user_id
          and g.entity_type = c.source_entity_type
          and g.entity_id = c.source_entity_id
          and g.dim_key = d.dim_key
      ), 0) <= 0
    ))
$$;
comment on function api.search_growth_matches(text[], uuid[], jsonb, text, text[], text[]) is
  'GET /v1/search''s growth filters: the given entities whose card (the caller''s) is in one of states (api.card_evolution with rules and default_state) and that grew (summed delta > 0) in every one of dimensions; null restricts nothing. Security invoker.';
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
