-- api.search_rows: the live rows behind ids that the vector index or the graph found, for
-- GET /v1/search's re-read. The re-read used api.search_candidates with an empty query, whose
-- plan carries the text and knowledge halves it then skips: 2 to 5 ms for 60 ids at 10k
-- memories, against 0.5 ms for the rows alone. api.search_candidates now reads its rows through
-- it too, so what "live" means (not expired, active concepts, the filters) is written once.
-- Security invoker: row-level security decides what is the caller's.

create or replace function api.search_rows(
  entity_ids uuid[],
  entity_types text[] default null,
  app uuid default null,
  created_after timestamptz default null,
  created_before timestamptz default null
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
comment on function api.search_rows(uuid[], text[], uuid, timestamptz, timestamptz) is
  'The caller''s live memories, active concepts and artifacts among entity_ids, within the filters (types, app, created range): search''s re-read of what the vector index and the graph found. Security invoker.';
revoke all on function api.search_rows(uuid[], text[], uuid, timestamptz, timestamptz) from public, anon;
grant execute on function api.search_rows(uuid[], text[], uuid, timestamptz, timestamptz)
  to authenticated, service_role;

-- Security invoker: row-level security decides what is the caller's. An id that is not the
-- caller's, or not live, simply does not come back.
create or replace function api.search_candidates(
  query text,
  entity_ids uuid[] default '{}',
  entity_types text[] default null,
  app uuid default null,
  created_after timestamptz default null,
  created_before timestamptz default null,
  max_text_hits integer default 50
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
  text_rank real,
  text_strength real,
  matched_terms text[],
  superseded_by uuid,
  invalid_at timestamptz
)
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  me uuid := auth.uid();
  wanted text[] := coalesce(entity_types, array['memory', 'concept', 'artifact', 'knowledge']);
  cap integer := least(greatest(coalesce(max_text_hits, 0), 0), 200);
  ids uuid[] := coalesce(entity_ids, '{}');
  terms record;
  any_word text := '';
begin
  if me is null then
    return;  -- nobody signed in: nothing is theirs
  end if;
  terms := private.search_terms(query);
  if cap > 0 then
    any_word := array_to_string(array(select x from unnest(terms.words) as x where x <> 'or'), ' or ');
  end if;

  return query
  with text_hits as (
    select h.entity_type, h.entity_id, h.text_rank, h.text_strength, h.matched_terms
    from private.search_text_hits(query, wanted, app, created_after, created_before, cap) as h
  ),
  wanted_ids as (
    select array(select h.entity_id from text_hits h union select unnest(ids)) as all_ids
  ),
  rows as (
    select r.entity_type as kind, r.entity_id as id, r.title, r.body, r.app_id, r.importance,
           r.created_at, r.updated_at, r.superseded_by, r.invalid_at
    from wanted_ids w
    cross join lateral api.search_rows(w.all_ids, wanted, app, created_after, created_before) as r
  ),
  apps as (
    select p.app_id from public.user_progress p where p.user_id = me and (app is null or p.app_id = app)
    union
    select c.app_id from public.conversations c
    where c.user_id = me and c.app_id is not null and (app is null or c.app_id = app)
  ),
  knowledge as (
    select distinct on (k.knowledge_entry_id)
           k.knowledge_entry_id, k.title, k.content, a.app_id, k.relevance, e.created_at, e.updated_at,
           e.search_vector
    from apps a
    cross join lateral api.search_knowledge(any_word, a.app_id::text, cap) as k
    join public.knowledge_entries e on e.knowledge_entry_id = k.knowledge_entry_id
    where 'knowledge' = any (wanted) and any_word <> ''
      and (created_after is null or e.created_at > created_after)
      and (created_before is null or e.created_at < created_before)
    order by k.knowledge_entry_id, k.relevance desc
  )
  select r.kind, r.id, r.title, r.body, r.app_id, r.importance, r.created_at, r.updated_at,
         h.text_rank, h.text_strength, h.matched_terms, r.superseded_by, r.invalid_at
  from rows r
  left join text_hits h on h.entity_type = r.kind and h.entity_id = r.id
  union all
  -- Knowledge is not the caller's to count words in: its strength is the share of query words
  -- it contains.
  select 'knowledge', k.knowledge_entry_id, k.title, left(k.content, 2000), k.app_id, null,
         k.created_at, k.updated_at, k.relevance,
         (cardinality(m.words)::real / greatest(cardinality(terms.words), 1))::real, m.words,
         null, null
  from knowledge k
  cross join lateral (
    select array(select q.word from unnest(terms.words, terms.lexemes) as q (word, lexeme)
                 where q.lexeme = any (tsvector_to_array(k.search_vector))) as words
  ) as m;
end;
$$;
comment on function api.search_candidates(text, uuid[], text[], uuid, timestamptz, timestamptz, integer) is
  'GET /v1/search''s Postgres half: full-text candidates (private.search_text_hits), the caller''s app knowledge (api.search_knowledge, counting access), and the live rows behind entity_ids found by the vector index or the graph (api.search_rows); all filtered by types, app and created range; a memory a newer one replaced carries superseded_by and invalid_at (20261202110100). Security invoker.';
revoke all on function api.search_candidates(text, uuid[], text[], uuid, timestamptz, timestamptz, integer)
  from public, anon;
grant execute on function api.search_candidates(text, uuid[], text[], uuid, timestamptz, timestamptz, integer)
  to authenticated, service_role;
