-- api.search_candidates: everything GET /v1/search needs from Postgres in one round trip.
--
-- 1. Full-text candidates: the caller's search documents (20261202130000) matching ANY word of
--    the query (a question's words rarely all appear in what answers it), ranked by ts_rank_cd,
--    each with the query words it contains.
-- 2. Knowledge candidates: api.search_knowledge over every app the caller has progress or a
--    conversation in (or just the app filtered on), which counts each hit's access as the
--    knowledge route does.
-- 3. The rows behind candidate ids found elsewhere (the vector index, the graph), re-read here
--    so that only the caller's live rows come back: those stores keep a memory until the
--    outbox delivers its deletion, and an expired one until the expiry job removes it.
-- Every candidate passes the filters (types, app, created range) and carries what the ranking
-- needs (importance, timestamps). Security invoker: row-level security decides what is the
-- caller's. An id that is not the caller's, or not live, simply does not come back.

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
  matched_terms text[]
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
  words text[];
  lexemes text[];
  tsq tsquery;
  any_word text;
begin
  if me is null then
    return;  -- nobody signed in: nothing is theirs
  end if;
  -- The query's words that carry meaning (stop words have no lexeme), first spelling of each.
  select coalesce(array_agg(t.word order by t.ord), '{}'), coalesce(array_agg(t.lexeme order by t.ord), '{}')
    into words, lexemes
  from (
    select distinct on (l.lexeme) w.word, l.lexeme, w.ord
    from regexp_split_to_table(lower(coalesce(query, '')), '[^[:alnum:]]+') with ordinality as w (word, ord)
    cross join lateral unnest(tsvector_to_array(to_tsvector('english'::regconfig, w.word))) as l (lexeme)
    where w.word <> ''
    order by l.lexeme, w.ord
  ) as t;
  if cardinality(lexemes) > 0 and cap > 0 then
    -- Lexemes are letters and digits only (the words were split on everything else), so quoting
    -- them is safe; a cast, unlike to_tsquery, does not stem them a second time.
    tsq := (select string_agg('''' || x || '''', ' | ') from unnest(lexemes) as x)::tsquery;
    any_word := array_to_string(array(select x from unnest(words) as x where x <> 'or'), ' or ');
  end if;

  return query
  with text_hits as (
    select d.entity_type, d.entity_id, ts_rank_cd(d.search_vector, tsq) as rank, d.search_vector
    from public.search_documents d
    where tsq is not null
      and d.user_id = me
      and d.search_vector @@ tsq
      and d.entity_type = any (wanted)
      and (d.expires_at is null or d.expires_at > now())
      and (app is null or d.app_id = app)
      and (created_after is null or d.created_at > created_after)
      and (created_before is null or d.created_at < created_before)
    order by rank desc, d.entity_id
    limit cap
  ),
  wanted_ids as (
    select array(select h.entity_id from text_hits h union select unnest(ids)) as all_ids
  ),
  rows as (
    select 'memory'::text as kind, m.memory_id as id, coalesce(m.title, left(m.content, 80)) as title,
           left(m.content, 2000) as body, m.app_id, m.importance::double precision as importance,
           m.created_at, m.updated_at
    from public.memories m, wanted_ids w
    where 'memory' = any (wanted) and m.memory_id = any (w.all_ids)
      and (m.expires_at is null or m.expires_at > now())
      and (app is null or m.app_id = app)
      and (created_after is null or m.created_at > created_after)
      and (created_before is null or m.created_at < created_before)
    union all
    select 'concept', c.concept_id, c.name, left(coalesce(c.description, c.name), 2000), null,
           c.salience, c.created_at, c.updated_at
    from public.concepts c, wanted_ids w
    where 'concept' = any (wanted) and app is null and c.concept_id = any (w.all_ids)
      and c.status = 'active'
      and (created_after is null or c.created_at > created_after)
      and (created_before is null or c.created_at < created_before)
    union all
    select 'artifact', a.artifact_id, a.title,
           left(concat_ws(E'\n\n', a.description, a.content_narrative), 2000), null, null,
           a.created_at, a.updated_at
    from public.derived_artifacts a, wanted_ids w
    where 'artifact' = any (wanted) and app is null and a.artifact_id = any (w.all_ids)
      and (created_after is null or a.created_at > created_after)
      and (created_before is null or a.created_at < created_before)
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
         h.rank,
         case when h.entity_id is null then null else array(
           select q.word from unnest(words, lexemes) as q (word, lexeme)
           where q.lexeme = any (tsvector_to_array(h.search_vector))) end
  from rows r
  left join text_hits h on h.entity_type = r.kind and h.entity_id = r.id
  union all
  select 'knowledge', k.knowledge_entry_id, k.title, left(k.content, 2000), k.app_id, null,
         k.created_at, k.updated_at, k.relevance,
         array(select q.word from unnest(words, lexemes) as q (word, lexeme)
               where q.lexeme = any (tsvector_to_array(k.search_vector)))
  from knowledge k;
end;
$$;
comment on function api.search_candidates(text, uuid[], text[], uuid, timestamptz, timestamptz, integer) is
  'GET /v1/search''s Postgres half: full-text candidates (any query word, ts_rank_cd), the caller''s app knowledge (api.search_knowledge, counting access), and the live rows behind entity_ids found by the vector index or the graph; all filtered by types, app and created range. Security invoker.';
revoke all on function api.search_candidates(text, uuid[], text[], uuid, timestamptz, timestamptz, integer)
  from public, anon;
grant execute on function api.search_candidates(text, uuid[], text[], uuid, timestamptz, timestamptz, integer)
  to authenticated, service_role;
