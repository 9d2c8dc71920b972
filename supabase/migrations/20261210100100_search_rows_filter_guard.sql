-- api.search_rows calls private.memory_passes only when the search has memory filters.
--
-- private.memory_passes cannot be inlined (its own search_path, its subqueries), so each call is a
-- function call even when restrictions is null: 20 us a row, 0.9 of the 1.1 ms api.search_rows
-- took for 50 memories at 100k (EXPLAIN ANALYZE), and a search re-reads rows twice (its text
-- candidates, then what only the vectors or the graph found). Without filters it is now not
-- called; private.search_text_hits already guarded it so.
create or replace function api.search_rows(
  entity_ids uuid[],
  entity_types text[] default null,
  app uuid default null,
  created_after timestamptz default null,
  created_before timestamptz default null,
  memory_filter jsonb default null
)
returns table (
  entity_type text,
  entity_id uuid,
  title text,
  body text,
  app_id uuid,
  importance double precision,
  created_at timestamptz,
  updated_at timestamptz,
  superseded_by uuid,
  invalid_at timestamptz
)
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  wanted text[] := coalesce(entity_types, array['memory', 'concept', 'artifact']);
  ids uuid[] := coalesce(entity_ids, '{}');
begin
  if auth.uid() is null or cardinality(ids) = 0 then
    return;
  end if;
  return query
  select 'memory'::text, m.memory_id, coalesce(m.title, left(m.content, 80)),
         left(m.content, 2000), m.app_id, m.importance::double precision,
         m.created_at, m.updated_at, m.superseded_by, m.invalid_at
  from public.memories m
  where 'memory' = any (wanted) and m.memory_id = any (ids)
    and (m.expires_at is null or m.expires_at > now())
    and (app is null or m.app_id = app)
    and (created_after is null or m.created_at > created_after)
    and (created_before is null or m.created_at < created_before)
    and (memory_filter is null or private.memory_passes(memory_filter, m))
  union all
  select 'concept', c.concept_id, c.name, left(coalesce(c.description, c.name), 2000), null,
         c.salience::double precision, c.created_at, c.updated_at, null, null
  from public.concepts c
  where 'concept' = any (wanted) and app is null and c.concept_id = any (ids)
    and c.status = 'active'
    and (created_after is null or c.created_at > created_after)
    and (created_before is null or c.created_at < created_before)
  union all
  select 'artifact', a.artifact_id, a.title,
         left(concat_ws(E'\n\n', a.description, a.content_narrative), 2000), null, null,
         a.created_at, a.updated_at, null, null
  from public.derived_artifacts a
  where 'artifact' = any (wanted) and app is null and a.artifact_id = any (ids)
    and (created_after is null or a.created_at > created_after)
    and (created_before is null or a.created_at < created_before);
end;
$$;
comment on function api.search_rows(uuid[], text[], uuid, timestamptz, timestamptz, jsonb) is
  'The caller''s live memories, active concepts and artifacts among entity_ids, within the filters (types, app, created range; memory_filter applies to memories): search''s re-read of what the vector index and the graph found. Security invoker.';
revoke all on function api.search_rows(uuid[], text[], uuid, timestamptz, timestamptz, jsonb) from public, anon;
grant execute on function api.search_rows(uuid[], text[], uuid, timestamptz, timestamptz, jsonb)
  to authenticated, service_role;
