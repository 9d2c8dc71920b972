-- api.search_candidates: everything GET /v1/search needs from Postgres in one round trip.
--
-- 1. Full-text candidates (private.search_text_hits): the caller's search documents
--    (20261202130000) matching the query's words, ranked by ts_rank_cd, each with the query
--    words it contains and a strength from their rarity among the caller's documents.
-- 2. Knowledge candidates: api.search_knowledge over every app the caller has progress or a
--    conversation in (or just the app filtered on), which counts each hit's access as the
--    knowledge route does.
-- 3. The rows behind candidate ids found elsewhere (the vector index, the graph), re-read here
--    so that only the caller's live rows come back: those stores keep a memory until the
--    outbox delivers its deletion, and an expired one until the expiry job removes it.
-- Every candidate passes the filters (types, app, created range) and carries what the ranking
-- needs (importance, timestamps).


-- The query's meaningful words (stop words have no lexeme), first spelling of each, in order.
create or replace function private.search_terms(query text, out words text[], out lexemes text[])
language sql immutable parallel safe
set search_path = ''
as $$
  select coalesce(array_agg(t.word order by t.ord), '{}'), coalesce(array_agg(t.lexeme order by t.ord), '{}')
  from (
    select distinct on (l.lexeme) w.word, l.lexeme, w.ord
    from regexp_split_to_table(lower(coalesce(query, '')), '[^[:alnum:]]+') with ordinality as w (word, ord)
    cross join lateral unnest(tsvector_to_array(to_tsvector('english'::regconfig, w.word))) as l (lexeme)
    where w.word <> ''
    order by l.lexeme, w.ord
  ) as t
$$;
comment on function private.search_terms(text) is
  'A search query''s words that carry meaning and their English lexemes (letters and digits only), in query order.';
revoke all on function private.search_terms(text) from public, anon;
grant execute on function private.search_terms(text) to authenticated, service_role;

-- The caller's full-text hits. Security definer, reading only auth.uid()'s documents: under
-- row-level security Postgres may not use the (user_id, search_vector) index for @@ (the match
-- operator is not leakproof, so it runs after the policy, on every one of the caller's rows:
-- 5 ms at 10k documents even for a word that occurs once). It returns ids and ranks only;
-- api.search_candidates re-reads the rows under RLS.
--
-- Ranking, BM25-minded: each word's idf among the caller's documents (ln(1 + (N - df + .5) /
-- (df + .5))); words in over 5% of them (and in over 20) are left out of the match when rarer
-- ones exist (as Elasticsearch's cutoff_frequency does), so "time" neither floods the
-- candidates nor outranks a name; candidates rank by ts_rank_cd (cover density, title A > content B > tags C), and each
-- carries its strength: the idf of the query words it contains over that of a word found once
-- (capped at 1), so one common word makes a weak hit and a rare name a strong one.
create or replace function private.search_text_hits(
  query text,
  entity_types text[],
  app uuid,
  created_after timestamptz,
  created_before timestamptz,
  max_hits integer
)
returns table (entity_type text, entity_id uuid, text_rank real, text_strength real, matched_terms text[])
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  me uuid := auth.uid();
  cap integer := least(greatest(coalesce(max_hits, 0), 0), 200);
  terms record;
  n_docs integer;
  dfs integer[];
  idfs double precision[];
  match_tsq tsquery;
begin
  terms := private.search_terms(query);
  if me is null or cap = 0 or cardinality(terms.lexemes) = 0 then
    return;
  end if;
  select count(*) into n_docs from public.search_documents d where d.user_id = me;
  if n_docs = 0 then
    return;
  end if;
  -- Lexemes are letters and digits only (the words were split on everything else), so quoting
  -- them is safe; a cast, unlike to_tsquery, does not stem them a second time.
  select array_agg((select count(*) from public.search_documents d
                    where d.user_id = me and d.search_vector @@ ('''' || x.lexeme || '''')::tsquery)::integer
                   order by x.ord)
    into dfs
  from unnest(terms.lexemes) with ordinality as x (lexeme, ord);
  idfs := array(select ln(1 + (n_docs - x.df + 0.5) / (x.df + 0.5))
                from unnest(dfs) with ordinality as x (df, ord) order by x.ord);
  select string_agg('''' || x.lexeme || '''', ' | ')::tsquery into match_tsq
  from unnest(terms.lexemes, dfs) as x (lexeme, df)
  where x.df > 0 and x.df <= greatest(20, n_docs * 0.05);
  if match_tsq is null then
    select string_agg('''' || x.lexeme || '''', ' | ')::tsquery into match_tsq
    from unnest(terms.lexemes, dfs) as x (lexeme, df) where x.df > 0;
  end if;
  if match_tsq is null then
    return;  -- no query word occurs in any of the caller's documents
  end if;
  return query
  select h.entity_type, h.entity_id, h.rank,
         least(1, m.idf / ln(1 + (n_docs - 0.5) / 1.5))::real, m.words
  from (
    select d.entity_type, d.entity_id, d.search_vector, ts_rank_cd(d.search_vector, match_tsq) as rank
    from public.search_documents d
    where d.user_id = me
      and d.search_vector @@ match_tsq
      and (entity_types is null or d.entity_type = any (entity_types))
      and (d.expires_at is null or d.expires_at > now())
      and (app is null or d.app_id = app)
      and (created_after is null or d.created_at > created_after)
      and (created_before is null or d.created_at < created_before)
    order by rank desc, d.entity_id
    limit cap
  ) as h
  cross join lateral (
    select coalesce(sum(q.idf), 0) as idf, array_agg(q.word order by q.ord) as words
    from unnest(terms.words, terms.lexemes, idfs) with ordinality as q (word, lexeme, idf, ord)
    where q.lexeme = any (tsvector_to_array(h.search_vector))
  ) as m;
end;
$$;
comment on function private.search_text_hits(text, text[], uuid, timestamptz, timestamptz, integer) is
  'The caller''s (auth.uid()) full-text hits: ids, ts_rank_cd, idf strength (0-1) and matched words; rare words match, words in over 5% of the documents only weigh in. Security definer so the GIN index serves @@; ids only, api.search_candidates re-reads rows under RLS.';
revoke all on function private.search_text_hits(text, text[], uuid, timestamptz, timestamptz, integer)
  from public, anon;
grant execute on function private.search_text_hits(text, text[], uuid, timestamptz, timestamptz, integer)
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
         h.text_rank, h.text_strength, h.matched_terms
  from rows r
  left join text_hits h on h.entity_type = r.kind and h.entity_id = r.id
  union all
  -- Knowledge is not the caller's to count words in: its strength is the share of query words
  -- it contains.
  select 'knowledge', k.knowledge_entry_id, k.title, left(k.content, 2000), k.app_id, null,
         k.created_at, k.updated_at, k.relevance,
         (cardinality(m.words)::real / greatest(cardinality(terms.words), 1))::real, m.words
  from knowledge k
  cross join lateral (
    select array(select q.word from unnest(terms.words, terms.lexemes) as q (word, lexeme)
                 where q.lexeme = any (tsvector_to_array(k.search_vector))) as words
  ) as m;
end;
$$;
comment on function api.search_candidates(text, uuid[], text[], uuid, timestamptz, timestamptz, integer) is
  'GET /v1/search''s Postgres half: full-text candidates (private.search_text_hits), the caller''s app knowledge (api.search_knowledge, counting access), and the live rows behind entity_ids found by the vector index or the graph; all filtered by types, app and created range. Security invoker.';
revoke all on function api.search_candidates(text, uuid[], text[], uuid, timestamptz, timestamptz, integer)
  from public, anon;
grant execute on function api.search_candidates(text, uuid[], text[], uuid, timestamptz, timestamptz, integer)
  to authenticated, service_role;
